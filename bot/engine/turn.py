"""One event being handled: who sent it, their stored state, and the parts a flow may use."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.engine.replies import Button

if TYPE_CHECKING:   # flows never touch the database session or the model directly
    from bot.engine.engine import Engine
    from bot.knowledge import Knowledge
    from bot.privacy import Vault
    from bot.storage.models import User
    from bot.storage.repository import Repository
    from bot.understanding import Understood


@dataclass
class Turn:
    user: "User"
    repo: "Repository"
    knowledge: "Knowledge"
    answers: "Engine"
    today: dt.date
    vault: "Vault | None" = None
    bot_username: str = ""          # for invite links (t.me/<bot>?start=<code>); empty in the terminal
    understood: "Understood | None" = None
    forgotten: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def texts(self) -> dict:
        return self.knowledge.texts["dialogue"]

    @property
    def role(self) -> str:
        return self.user.role or "worker"

    @property
    def data(self) -> dict:
        return dict(self.user.data or {})

    @property
    def model_ready(self) -> bool:
        return getattr(self.answers.understanding, "ready", True)

    def fact(self, name: str) -> str:
        """A fact as it stands today (a dated figure chosen by today's date)."""
        return self.knowledge.facts[name].render("", self.today)

    def parse(self, text: str) -> "Understood":
        """Understand the text once per turn (flows and free questions share the result)."""
        if self.understood is None or self.understood.text != text:
            self.understood = self.answers.understanding.parse(text)
        return self.understood

    def set_state(self, flow: str | None, step: str | None = None, data: dict | None = None) -> None:
        self.repo.set_state(self.user, flow, step, data)

    def menu_button(self) -> Button:
        return Button(self.texts["menu_button"], "menu")
