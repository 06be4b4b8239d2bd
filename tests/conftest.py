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
    """The model of the current training data, always.

    Cheap when `make train` accepted it (models/nlu-<hash of the data>.tar.gz). When the promotion
    gate kept an older model that scored better, the tests still take the model of the current data
    (models/rejected/, or trained once without the gate into .pytest_cache/, never into models/).
    """
    from pathlib import Path

    from bot.understanding.training import ROOT, model_path as current_model, train

    if os.environ.get("LINDUNGI_MODEL"):            # a chosen model file, e.g. while iterating
        return Path(os.environ["LINDUNGI_MODEL"])
    current = current_model()
    for candidate in (current, current.parent / "rejected" / current.name):
        if candidate.exists():
            return candidate
    folder = ROOT / ".pytest_cache" / "lindungi-models"
    before = os.environ.get("LINDUNGI_MODEL_DIR")
    os.environ["LINDUNGI_MODEL_DIR"] = str(folder)
    try:
        trained = train(guard=False)
    finally:
        if before is None:
            os.environ.pop("LINDUNGI_MODEL_DIR")
        else:
            os.environ["LINDUNGI_MODEL_DIR"] = before
    if trained != folder / current.name:
        pytest.fail(f"the tests need the model of the current data ({current.name}), got {trained}")
    return trained


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


def missing(reason: str):
    """Skip on a user's machine; fail in CI (LINDUNGI_CI=1), where every service must be there."""
    if os.environ.get("LINDUNGI_CI"):
        pytest.fail(reason.replace("skipped", "required in CI"))
    pytest.skip(reason)


# Databases -------------------------------------------------------------------------------------
PG_ADMIN_URL = os.environ.get("LINDUNGI_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_ADMIN_URL, future=True, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A migrated, empty database: a SQLite file, and PostgreSQL (a schema of its own) when reachable."""
    import uuid

    from sqlalchemy import create_engine, text

    from bot.storage.database import Database

    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'lindungi.db'}")
        db.migrate()
        yield db
        db.dispose()
        return
    if not postgres_available():
        missing(f"PostgreSQL not reachable at {PG_ADMIN_URL.split('@')[-1]}: its storage tests are skipped")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    db = Database(f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}")
    db.migrate()
    yield db
    db.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture(scope="session")
def vault():
    from bot.privacy import Vault

    return Vault(os.urandom(32))


@pytest.fixture()
def dialogue(engine, database, vault):
    from bot.engine.dialogue import Dialogue

    return Dialogue(engine, database, vault, wait_for_model=True)
