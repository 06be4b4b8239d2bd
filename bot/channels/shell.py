"""Terminal chat: the same engine as Telegram, with numbered buttons. Ctrl-D or /keluar quits."""
from __future__ import annotations

import sys
from typing import Callable, TextIO

from bot.engine.engine import Engine
from bot.engine.events import ButtonEvent, TextEvent
from bot.engine.replies import Reply

WELCOME = (
    "Lindungi — asisten BPJS Ketenagakerjaan untuk pekerja dan pemilik UMKM.\n"
    "Ketik pertanyaan Anda, atau angka tombol [1], [2], … untuk memilih. Ketik /keluar untuk selesai."
)
PROMPT = "Anda: "


def render(reply: Reply) -> str:
    lines = [reply.text]
    for number, button in enumerate(reply.buttons, 1):
        lines.append(f"  [{number}] {button.label}")
    return "\n".join(lines)


def run_shell(engine: Engine, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
              notice: Callable[[str], None] | None = None) -> None:
    def say(text: str) -> None:
        stdout.write(text + "\n")
        stdout.flush()

    say(WELCOME)
    buttons = ()
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
        if text.isdigit() and buttons and 1 <= int(text) <= len(buttons):
            event = ButtonEvent(buttons[int(text) - 1].data)
        else:
            event = TextEvent(text)
        if notice and not getattr(engine.understanding, "ready", True) and isinstance(event, TextEvent):
            notice("(Sebentar, Lindungi masih menyiapkan pemahaman bahasa…)")
        outcome = engine.handle(event)
        for reply in outcome.replies:
            say("Lindungi: " + render(reply))
        buttons = outcome.replies[-1].buttons if outcome.replies else ()
    say("Sampai jumpa! Semoga selalu terlindungi.")
