"""Server-side staff sessions.

The browser holds only a random token (a browser-session cookie, HttpOnly, SameSite=Strict,
Secure over HTTPS); the database holds its SHA-256 hash with the staff account, the CSRF token,
when it started and was last used, when it expires, and the client's address and user agent.
A session ends on logout, when its account's password changes or the account is disabled (every
session of that account), 8 hours after login, or after 30 minutes without a request. A copied
cookie is worth nothing once its row is gone, in this process or any other.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.storage.models import Staff, StaffSession

COOKIE = "lindungi_session"
ABSOLUTE = dt.timedelta(hours=8)
IDLE = dt.timedelta(minutes=30)
# last_seen_at is written at most this often (a write per page view is not needed for a 30 min limit).
TOUCH_EVERY = dt.timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def start(session: Session, staff: Staff, moment: dt.datetime, address: str | None = None,
          user_agent: str | None = None) -> tuple[str, StaffSession]:
    """A new session for `staff`: (the cookie's token, the row). Expired rows are cleared on the way."""
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= moment))
    token = secrets.token_urlsafe(32)
    row = StaffSession(token_hash=_hash(token), staff_id=staff.id, csrf=secrets.token_urlsafe(24),
                       created_at=moment, last_seen_at=moment, expires_at=moment + ABSOLUTE,
                       address=(address or "")[:45] or None, user_agent=(user_agent or "")[:200] or None)
    session.add(row)
    session.flush()
    return token, row


def find(session: Session, token: str | None, moment: dt.datetime) -> tuple[StaffSession, Staff] | None:
    """The live session of this token and its (enabled) account, or None. Using it counts as activity."""
    if not token or len(token) > 100:
        return None
    found = session.execute(select(StaffSession, Staff).join(Staff, Staff.id == StaffSession.staff_id)
                            .where(StaffSession.token_hash == _hash(token))).first()
    if found is None:
        return None
    row, staff = found
    if (aware(row.expires_at) <= moment or aware(row.last_seen_at) + IDLE <= moment
            or staff.disabled_at is not None):
        session.delete(row)
        return None
    if moment - aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = moment
    return row, staff


def end(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))


def end_all(session: Session, staff_id: int) -> int:
    """End every session of one account (password changed, account disabled)."""
    return session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id)).rowcount or 0


def live_count(session: Session, staff_id: int, moment: dt.datetime) -> int:
    rows = session.execute(select(StaffSession).where(StaffSession.staff_id == staff_id,
                                                      StaffSession.expires_at > moment)).scalars()
    return sum(1 for row in rows if aware(row.last_seen_at) + IDLE > moment)
