"""What the engine answers with, independent of any transport."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """A choice shown under a reply. `data` comes back as a button event when pressed."""

    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    """One message to the user: plain text (adapters escape it) and optional buttons."""

    text: str
    buttons: tuple[Button, ...] = ()

    def to_dict(self) -> dict:
        return {"text": self.text, "buttons": [{"label": b.label, "data": b.data} for b in self.buttons]}
