"""Settings from the environment, in one place. Every variable has a working default."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field


def _today_from_env() -> dt.date | None:
    raw = os.environ.get("LINDUNGI_TODAY")
    return dt.date.fromisoformat(raw) if raw else None


@dataclass(frozen=True)
class Settings:
    # A fixed "today" (YYYY-MM-DD) for demos and tests of dated rules; real date when unset.
    today: dt.date | None = field(default_factory=_today_from_env)
    telegram_token: str = field(default_factory=lambda: os.environ.get("TELEGRAM_BOT_TOKEN", ""))
    log_level: str = field(default_factory=lambda: os.environ.get("LINDUNGI_LOG_LEVEL", "WARNING"))

    def clock(self):
        """A function returning today's date (fixed when LINDUNGI_TODAY is set)."""
        fixed = self.today
        return (lambda: fixed) if fixed else dt.date.today
