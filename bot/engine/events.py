"""What a user sends, as the engine sees it: typed text or a pressed button."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextEvent:
    text: str


@dataclass(frozen=True)
class ButtonEvent:
    data: str


Event = TextEvent | ButtonEvent
