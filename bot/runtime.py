"""Assembling the parts of one process: settings, knowledge, the NLU model and the engine."""
from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Settings
from bot.engine.engine import Engine
from bot.knowledge import default_knowledge
from bot.training import find_model
from bot.understanding import Understanding


class ModelMissing(RuntimeError):
    pass


def build_engine(settings: Settings | None = None, model: Path | None = None,
                 background: bool = False) -> Engine:
    """An engine with the NLU model loading (in the background if asked) and the knowledge base."""
    settings = settings or Settings()
    path = model or find_model()
    if path is None or not Path(path).exists():
        raise ModelMissing("Belum ada model NLU. Jalankan `make train` dulu (or: python -m bot train).")
    understanding = Understanding(path)
    understanding.start_loading()
    if not background:
        understanding.load()
    return Engine(understanding, default_knowledge(), settings.clock())


def fail(message: str) -> "NoReturn":  # noqa: F821
    print(message, file=sys.stderr)
    raise SystemExit(2)
