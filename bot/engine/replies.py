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
        data = {"text": self.text, "buttons": [{"label": b.label, "data": b.data} for b in self.buttons]}
        if self.columns != 1:
            data["columns"] = self.columns
        for name in ("edit", "remove_keyboard", "private"):
            if getattr(self, name):
                data[name] = True
        if self.contact_button:
            data["contact_button"] = self.contact_button
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Reply":
        return cls(text=data["text"], buttons=tuple(Button(b["label"], b["data"]) for b in data.get("buttons") or ()),
                   columns=int(data.get("columns", 1)), edit=bool(data.get("edit")),
                   contact_button=data.get("contact_button", ""), remove_keyboard=bool(data.get("remove_keyboard")),
                   private=bool(data.get("private")))


def split_text(text: str, size: int = 4000) -> list[str]:
    """Plain text in pieces of at most `size` characters, cut at line breaks where possible."""
    text = text or " "
    pieces = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut <= 0:
            cut = text.rfind(" ", 0, size)
        if cut <= 0:
            cut = size
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return [piece for piece in pieces if piece.strip()] or [" "]


def split_reply(reply: Reply, size: int = 4000) -> list[Reply]:
    """A long reply as several messages (Telegram takes 4096 characters): buttons on the last one."""
    pieces = split_text(reply.text, size)
    if len(pieces) == 1:
        return [reply]
    parts = [Reply(piece, private=reply.private) for piece in pieces[:-1]]
    last = Reply(pieces[-1], reply.buttons, reply.columns, False, reply.contact_button, reply.remove_keyboard,
                 reply.private)
    return parts + [last]
