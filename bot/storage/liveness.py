"""Which worker processes are alive: each beats every few seconds; a lease held by a process that
stopped beating (killed, crashed) can be taken over at once instead of waiting for it to expire."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.storage.driver import Driver
from bot.storage.models import Worker, now

BEAT = 1.0
DEAD_AFTER = dt.timedelta(seconds=4)
INSTANCE = uuid.uuid4().hex          # this process


def beat(session: Session, worker_id: str = INSTANCE) -> None:
    row = session.get(Worker, worker_id)
    if row is None:
        session.add(Worker(id=worker_id))
    else:
        row.heartbeat_at = now()
    session.execute(delete(Worker).where(Worker.heartbeat_at < now() - dt.timedelta(hours=1)))


def touch(session: Session, worker_id: str = INSTANCE) -> bool:
    """A beat in one UPDATE (on the driver: it runs with every claim); False when this worker has no
    row (then `beat`)."""
    driver = Driver.of(session.connection())
    beaten = driver.execute("UPDATE workers SET heartbeat_at = ? WHERE id = ?", (driver.when(now()), worker_id))
    return beaten.rowcount > 0


def alive():
    """A subquery of the ids of live workers."""
    return select(Worker.id).where(Worker.heartbeat_at > now() - DEAD_AFTER)


def alive_since():
    """The live workers and their last beat."""
    return select(Worker.id, Worker.heartbeat_at).where(Worker.heartbeat_at > now() - DEAD_AFTER)


def leave(session: Session, worker_id: str = INSTANCE) -> None:
    session.execute(delete(Worker).where(Worker.id == worker_id))
