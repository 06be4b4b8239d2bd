"""Settings from the environment, in one place. Every variable has a working default."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field


def _today_from_env() -> dt.date | None:
    raw = os.environ.get("LINDUNGI_TODAY")
    return dt.date.fromisoformat(raw) if raw else None


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    # A fixed "today" (YYYY-MM-DD) for demos and tests of dated rules; real date when unset.
    today: dt.date | None = field(default_factory=_today_from_env)
    log_level: str = field(default_factory=lambda: _env("LINDUNGI_LOG_LEVEL", "WARNING"))
    # Conversation state, progress and the message log. SQLite file by default; PostgreSQL in
    # production, e.g. postgresql+psycopg2://user@host/lindungi.
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", "sqlite:///var/lindungi.db"))
    # Where the embedded defaults live (SQLite file, generated secret key).
    data_dir: str = field(default_factory=lambda: _env("LINDUNGI_DATA_DIR", "var"))
    # Key for personal data at rest (Fernet) and lookup hashes (HMAC); generated into data_dir if unset.
    secret_key: str = field(default_factory=lambda: _env("LINDUNGI_SECRET_KEY"))
    telegram_token: str = field(default_factory=lambda: _env("TELEGRAM_BOT_TOKEN"))
    # Telegram's Bot API by default; a self-hosted Bot API server or a test stand-in otherwise.
    telegram_api_base_url: str = field(
        default_factory=lambda: _env("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"))
    # Webhook mode: the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token, and where to listen.
    webhook_secret: str = field(default_factory=lambda: _env("TELEGRAM_WEBHOOK_SECRET"))
    webhook_listen: str = field(default_factory=lambda: _env("LINDUNGI_WEBHOOK_LISTEN", "127.0.0.1"))
    webhook_port: int = field(default_factory=lambda: int(_env("LINDUNGI_WEBHOOK_PORT", "8443")))
    # Polling mode: serve /healthz and /metrics on this port of webhook_listen (0: not served).
    health_port: int = field(default_factory=lambda: int(_env("LINDUNGI_HEALTH_PORT", "0")))
    # Log lines as plain text ("text") or one JSON object per line ("json"); personal data masked.
    log_format: str = field(default_factory=lambda: _env("LINDUNGI_LOG_FORMAT", "text"))

    # When staff answer handoffs (WIB), e.g. "mon-fri 08:00-16:00".
    office_hours: str = field(default_factory=lambda: _env("LINDUNGI_OFFICE_HOURS", "mon-fri 08:00-16:00"))
    # Staff dashboard: where it listens, and whether its cookie is sent over HTTPS only.
    dashboard_host: str = field(default_factory=lambda: _env("LINDUNGI_DASHBOARD_HOST", "127.0.0.1"))
    dashboard_port: int = field(default_factory=lambda: int(_env("LINDUNGI_DASHBOARD_PORT", "8080")))
    dashboard_https: bool = field(default_factory=lambda: _env("LINDUNGI_DASHBOARD_HTTPS", "") == "1")
    # Where "Export training data" writes reviewed examples (included by `make train`).
    reviewed_dir: str = field(default_factory=lambda: _env("LINDUNGI_REVIEWED_DIR", "nlu/data/reviewed"))

    # The sender's pace: messages per second overall, per chat, and the burst a chat may get at once.
    send_rate: float = field(default_factory=lambda: float(_env("LINDUNGI_SEND_RATE", "30")))
    chat_rate: float = field(default_factory=lambda: float(_env("LINDUNGI_CHAT_RATE", "1")))
    chat_burst: float = field(default_factory=lambda: float(_env("LINDUNGI_CHAT_BURST", "3")))

    # Rasa servers to ask instead of loading the model in this process ("http://host:5005,http://…").
    nlu_url: str = field(default_factory=lambda: _env("NLU_URL"))
    nlu_timeout: float = field(default_factory=lambda: float(_env("NLU_TIMEOUT", "2")))
    # How long a serving process's model waits for other users' texts before it parses a lone one
    # (milliseconds): they then share one run of the pipeline (bot/understanding/model.py).
    nlu_linger_ms: float = field(default_factory=lambda: float(_env("LINDUNGI_NLU_LINGER_MS", "20")))

    def clock(self):
        """A function returning today's date (fixed when LINDUNGI_TODAY is set)."""
        fixed = self.today
        from bot import clock

        return clock.fixed(fixed) if fixed else clock.today

    @property
    def migrate_on_start(self) -> bool:
        """The embedded SQLite database is brought up to date on start; others need `bot migrate`."""
        return self.database_url.startswith("sqlite")
