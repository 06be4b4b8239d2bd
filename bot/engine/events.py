"""What a user sends, as the engine sees it: text, a pressed button, a command or something else."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextEvent:
    text: str


@dataclass(frozen=True)
class ButtonEvent:
    data: str


@dataclass(frozen=True)
class CommandEvent:
    """`/start abc` → name "start", payload "abc"."""

    name: str
    payload: str = ""


@dataclass(frozen=True)
class OtherEvent:
    """A message the bot cannot read: sticker, photo, voice, location, …"""

    kind: str


@dataclass(frozen=True)
class ContactEvent:
    """A shared contact: the phone number, and whether it is the sender's own."""

    phone: str
    own: bool


Event = TextEvent | ButtonEvent | CommandEvent | OtherEvent | ContactEvent


@dataclass(frozen=True)
class UserRef:
    """Who sent an event, on which channel, and where to answer."""

    channel: str
    user_id: str
    chat_id: str = ""

    @property
    def chat(self) -> str:
        return self.chat_id or self.user_id
