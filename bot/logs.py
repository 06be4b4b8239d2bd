"""Logging set-up: plain lines for people, or one JSON object per line for log collectors.

Either way personal data is masked first (bot.privacy.MaskingFilter runs before any formatter).
"""
from __future__ import annotations

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "exception"?}` per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, style: str = "text") -> None:
    from bot.privacy import protect_logs

    handler = logging.StreamHandler()
    if style == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO, and a Bot API URL carries the bot's token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    protect_logs()          # no NIK, phone or e-mail in any log line, exceptions included
