"""Assembling the parts of one process: settings, knowledge, the NLU model and the engine."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.engine.dialogue import Dialogue
from bot.engine.engine import Engine
from bot.knowledge import default_knowledge
from bot.office_hours import OfficeHours
from bot.privacy import Vault
from bot.storage.database import Database, SchemaOutdated
from bot.understanding.training import find_model, model_path
from bot.understanding import RemoteUnderstanding, Understanding

log = logging.getLogger(__name__)


class ModelMissing(RuntimeError):
    pass


def build_engine(settings: Settings | None = None, model: Path | None = None,
                 background: bool = False, start_model: bool = True, serving: bool = False) -> Engine:
    """An engine with the NLU model loading (in the background if asked; not yet if `start_model`
    is false, for a server that starts it once it is answering) and the knowledge base. A `serving`
    process (many users at once) lets the model wait a moment to parse their texts together."""
    settings = settings or Settings()
    if settings.nlu_url and model is None:
        remote = RemoteUnderstanding([u.strip() for u in settings.nlu_url.split(",") if u.strip()],
                                     timeout=settings.nlu_timeout)
        return Engine(remote, default_knowledge(), settings.clock())
    path = model or find_model()
    if path is None or not Path(path).exists():
        raise ModelMissing("Belum ada model NLU. Jalankan `make train` dulu.")
    if model is None and not os.environ.get("LINDUNGI_MODEL") and Path(path) != model_path():
        log.warning("Using %s, trained on older data: run `make train` to update it.", Path(path).name)
    understanding = Understanding(path, linger=settings.nlu_linger_ms / 1000 if serving else 0.0)
    if start_model or not background:
        understanding.start_loading()
    if not background:
        understanding.load()
    return Engine(understanding, default_knowledge(), settings.clock())


def open_database(settings: Settings) -> Database:
    """The database with an up-to-date schema (SQLite is migrated on start; others must be current)."""
    database = Database(settings.database_url)
    try:
        database.ensure_schema(upgrade=settings.migrate_on_start)
    except SchemaOutdated as error:
        fail(str(error))
    except SQLAlchemyError as error:
        fail(f"Database tidak bisa dibuka ({settings.database_url.split('@')[-1]}): {error.__class__.__name__}")
    return database


def build_dialogue(settings: Settings, background: bool = True, wait_for_model: bool = False,
                   start_model: bool = True, serving: bool = False) -> Dialogue:
    """The dialogue of one process: engine (model loading in the background) over the database."""
    try:
        engine = build_engine(settings, background=background, start_model=start_model, serving=serving)
    except ModelMissing as error:
        fail(str(error))
    try:
        hours = OfficeHours.parse(settings.office_hours)
    except ValueError as error:
        fail(f"LINDUNGI_OFFICE_HOURS: {error}")
    return Dialogue(engine, open_database(settings), open_vault(settings), wait_for_model=wait_for_model,
                    office_hours=hours)


def open_vault(settings: Settings) -> Vault:
    try:
        return Vault.from_settings(settings.secret_key, Path(settings.data_dir))
    except (OSError, ValueError) as error:
        fail(f"Kunci data pribadi tidak bisa dibuka: {error}. Periksa LINDUNGI_SECRET_KEY atau LINDUNGI_DATA_DIR.")


def fail(message: str) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(2)
