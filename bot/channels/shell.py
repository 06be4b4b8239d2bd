"""Terminal chat: the same dialogue as Telegram, with numbered buttons. Ctrl-D or /keluar quits."""
from __future__ import annotations

import asyncio
import sys
from typing import Callable, TextIO

from bot.engine.dialogue import Dialogue
from bot.engine.events import ButtonEvent, CommandEvent, Event, TextEvent, UserRef
from bot.engine.outbox import deliver_pending
from bot.engine.replies import Reply

WELCOME = (
    "Lindungi — asisten BPJS Ketenagakerjaan untuk pekerja dan pemilik UMKM.\n"
    "Ketik pertanyaan Anda, perintah seperti /menu, atau angka tombol [1], [2], … untuk memilih. "
    "Ketik /keluar untuk selesai."
)
PROMPT = "Anda: "
SHELL_USER = UserRef("shell", "local")


def render(reply: Reply) -> str:
    lines = [reply.text]
    if reply.contact_button:
        lines.append("  (Di Telegram ada tombol untuk mengirim nomor HP. Di sini, ketik nomornya.)")
    for number, button in enumerate(reply.buttons, 1):
        lines.append(f"  [{number}] {button.label}")
    return "\n".join(lines)


def event_for(text: str, buttons) -> Event:
    if text.isdigit() and buttons and 1 <= int(text) <= len(buttons):
        return ButtonEvent(buttons[int(text) - 1].data)
    if text.startswith("/") and len(text) > 1:
        name, _, payload = text[1:].partition(" ")
        return CommandEvent(name.lower(), payload.strip())
    return TextEvent(text)


def run_shell(dialogue: Dialogue, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
              notice: Callable[[str], None] | None = None, who: UserRef = SHELL_USER) -> None:
    def say(text: str) -> None:
        stdout.write(text + "\n")
        stdout.flush()

    def show(event: Event):
        outcome = dialogue.handle(who, event)
        for reply in outcome.replies:
            say("Lindungi: " + render(reply))
        # Every choice shown in this turn stays selectable by its number.
        return tuple(b for r in outcome.replies for b in r.buttons)

    def deliver_outbox() -> None:
        """Messages queued for this user (status changes, reminders) appear before the prompt."""
        async def send(_chat: str, reply: Reply) -> None:
            say("Lindungi: " + render(reply))

        asyncio.run(deliver_pending(dialogue.database, who.channel, send, chat_id=who.chat))

    say(WELCOME)
    buttons = show(CommandEvent("menu") if dialogue.known(who) else CommandEvent("start"))
    while True:
        deliver_outbox()
        stdout.write(PROMPT)
        stdout.flush()
        line = stdin.readline()
        if not line:
            say("")
            break
        text = line.strip()
        if text.lower() in ("/keluar", "/exit", "/quit"):
            break
        event = event_for(text, buttons)
        if notice and not getattr(dialogue.engine.understanding, "ready", True) and isinstance(event, TextEvent):
            notice("(Sebentar, Lindungi masih menyiapkan pemahaman bahasa…)")
        buttons = show(event)
    say("Sampai jumpa! Semoga selalu terlindungi.")
