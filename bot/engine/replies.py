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
    """One message to the user: plain text (adapters escape it) and optional buttons.

    `columns` lays the buttons out in rows of that many; `edit` asks the adapter to replace the
    message whose button was pressed (lesson cards) instead of sending a new one.
    `contact_button` asks for the user's phone number with the channel's share-contact button
    (Telegram); `remove_keyboard` takes such a keyboard away again.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    columns: int = 1
    edit: bool = False
    contact_button: str = ""
    remove_keyboard: bool = False
    private: bool = False          # shows personal data: the log keeps a placeholder, not the text

    def rows(self) -> list[tuple[Button, ...]]:
        size = max(1, self.columns)
        return [self.buttons[i:i + size] for i in range(0, len(self.buttons), size)]

    def with_buttons(self, *extra: Button) -> "Reply":
        return Reply(self.text, self.buttons + tuple(extra), self.columns, self.edit, self.contact_button,
                     self.remove_keyboard, self.private)

    def to_dict(self) -> dict:
        return {"text": self.text, "buttons": [{"label": b.label, "data": b.data} for b in self.buttons]}
