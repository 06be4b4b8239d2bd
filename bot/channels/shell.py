"""Terminal chat: the same dialogue as Telegram, with numbered buttons. Ctrl-D or /keluar quits."""
from __future__ import annotations

import sys
from typing import Callable, TextIO

from bot.engine.dialogue import Dialogue
from bot.engine.events import ButtonEvent, CommandEvent, Event, TextEvent, UserRef
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

    say(WELCOME)
    buttons = show(CommandEvent("menu") if dialogue.known(who) else CommandEvent("start"))
    while True:
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
