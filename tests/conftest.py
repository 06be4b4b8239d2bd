"""Shared fixtures: the real NLU model (trained from the repo's data, loaded once per session)."""
from __future__ import annotations

import datetime as dt
import os

import pytest

os.environ["RASA_TELEMETRY_ENABLED"] = "false"

# The day the dated rules are checked against unless a test says otherwise: inside both PP 50/2025
# discount periods (non-transport Apr–Dec 2026, transport Jan 2026–Mar 2027).
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="session")
def knowledge():
    from bot.knowledge import load_knowledge

    return load_knowledge()


@pytest.fixture(scope="session")
def model_path():
    from bot.training import train

    return train()   # a no-op when `make test` already trained the current model


@pytest.fixture(scope="session")
def understanding(model_path):
    from bot.understanding import Understanding

    nlu = Understanding(model_path).load()
    yield nlu
    nlu.close()


@pytest.fixture()
def engine(understanding, knowledge):
    from bot.engine.engine import Engine

    return Engine(understanding, knowledge, today=lambda: TODAY)
