"""Staff accounts (argon2 hashes, password policy, login throttling) and the audit log of every
staff action.

Accounts are disabled, never deleted. A failed login makes the next attempt for the same name, and
from the same client address, wait longer once a few have failed (growing delays), instead of a
lock anyone could trigger; unknown names are throttled like real ones and get the same answer, so
the login form does not tell which names exist.
"""
from __future__ import annotations

import datetime as dt
import math
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.dashboard import sessions
from bot.storage.models import AuditLog, LoginThrottle, Staff, now

ROLES = ("admin", "reviewer", "agent")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
WIB = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class Throttle:
    """Failures allowed before delays start, and the longest delay."""
    free: int
    longest: dt.timedelta


# Per account name: short delays (a person who mistypes, or someone holding the account down,
# waits two minutes at most). Per client address: one source guessing many names waits long.
BY_NAME = Throttle(free=5, longest=dt.timedelta(minutes=2))
BY_ADDRESS = Throttle(free=20, longest=dt.timedelta(minutes=15))
# Failures older than this are forgotten.
FORGET_AFTER = dt.timedelta(hours=1)

_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("lindungi-dummy-password")
# The client address of the request being handled, for the audit log (set by the dashboard).
current_address: ContextVar[str | None] = ContextVar("current_address", default=None)


class StaffError(ValueError):
    pass


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, name: str = "") -> str | None:
    """Why this password may not be used (ASVS L1: 12+ characters, not a common password), or None."""
    if len(password) < MIN_PASSWORD:
        return f"the password needs at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password may have at most {MAX_PASSWORD} characters"
    folded = password.casefold()
    if folded in _common_passwords():
        return "this password is one of the most common passwords; choose another"
    if len(set(folded)) < 4:
        return "the password repeats too few characters; choose another"
    if name and name.casefold() in folded:
        return "the password may not contain the account name"
    return None


def add_staff(session: Session, name: str, role: str, password: str) -> Staff:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if not name or len(name) > 64 or name != name.strip():
        raise StaffError("the name needs 1-64 characters, without spaces at the ends")
    problem = password_problem(password, name)
    if problem:
        raise StaffError(problem)
    if session.execute(select(Staff).where(Staff.name == name)).scalar_one_or_none():
        raise StaffError(f"staff {name!r} exists already")
    staff = Staff(name=name, role=role, password_hash=_hasher.hash(password), failed_logins=0)
    session.add(staff)
    session.flush()
    audit(session, None, "staff_add", name, f"role {role}")
    return staff


def by_name(session: Session, name: str) -> Staff:
    staff = session.execute(select(Staff).where(Staff.name == name)).scalar_one_or_none()
    if staff is None:
        raise StaffError(f"no staff account {name!r}")
    return staff


def set_password(session: Session, staff: Staff, password: str, moment: dt.datetime | None = None) -> int:
    """A new password; every session of the account ends. Returns how many ended."""
    problem = password_problem(password, staff.name)
    if problem:
        raise StaffError(problem)
    staff.password_hash, staff.password_changed_at = _hasher.hash(password), moment or now()
    ended = sessions.end_all(session, staff.id)
    audit(session, None, "staff_password", staff.name, f"{ended} sesi diakhiri")
    return ended


def disable(session: Session, staff: Staff, moment: dt.datetime | None = None) -> int:
    """The account can no longer log in; its sessions end. Its id and history stay."""
    staff.disabled_at = staff.disabled_at or moment or now()
    ended = sessions.end_all(session, staff.id)
    audit(session, None, "staff_disable", staff.name, f"{ended} sesi diakhiri")
    return ended


def enable(session: Session, staff: Staff) -> None:
    staff.disabled_at = None
    audit(session, None, "staff_enable", staff.name)


def unlock(session: Session, name: str) -> int:
    """Forget the failed logins of one account name (not of client addresses)."""
    done = session.execute(delete(LoginThrottle).where(LoginThrottle.key == _name_key(name))).rowcount or 0
    audit(session, None, "staff_unlock", name[:64])
    return done


def _name_key(name: str) -> str:
    return "name:" + name.casefold()[:100]


def _throttles(session: Session, name: str, address: str | None) -> list[tuple[LoginThrottle, Throttle]]:
    wanted = [(_name_key(name), BY_NAME)] + ([("address:" + address[:45], BY_ADDRESS)] if address else [])
    found = []
    for key, rule in wanted:
        # A name or address without failures gets a row only when an attempt fails.
        found.append((session.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0), rule))
    return found


def _delay(failures: int, rule: Throttle) -> dt.timedelta:
    """Nothing for the first `free` failures, then 1 s, 2 s, 4 s … up to `longest`."""
    if failures <= rule.free:
        return dt.timedelta()
    return min(dt.timedelta(seconds=2 ** min(failures - rule.free - 1, 20)), rule.longest)


@dataclass(frozen=True)
class LoginResult:
    staff: Staff | None
    problem: str = ""                 # "" | "wrong" | "throttled"
    wait: int = 0                     # seconds until the next attempt is accepted, when throttled


def authenticate(session: Session, name: str, password: str, moment: dt.datetime | None = None,
                 address: str | None = None) -> LoginResult:
    """Check a login. Unknown name, wrong password and disabled account all answer "wrong"."""
    moment = moment or now()
    name, password = name[:200], password[:MAX_PASSWORD]
    # Failures older than FORGET_AFTER count for nothing: drop their rows (names typed at random too).
    session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < moment - FORGET_AFTER))
    throttles = _throttles(session, name, address)
    for row, _rule in throttles:
        if row.updated_at is not None and sessions.aware(row.updated_at) + FORGET_AFTER <= moment:
            row.failures, row.not_before = 0, None
    waits = [sessions.aware(row.not_before) - moment for row, _ in throttles
             if row.not_before is not None and sessions.aware(row.not_before) > moment]
    if waits:
        audit(session, None, "login_throttled", name[:64])
        return LoginResult(None, "throttled", max(1, math.ceil(max(waits).total_seconds())))
    staff = session.execute(select(Staff).where(Staff.name == name)).scalar_one_or_none()
    try:
        _hasher.verify(staff.password_hash if staff else _DUMMY_HASH, password)
        correct = staff is not None
    except (VerificationError, InvalidHashError):
        correct = False
    if correct and staff.disabled_at is None:
        for row, rule in throttles:
            if rule is BY_NAME and row in session:
                session.delete(row)
        if _hasher.check_needs_rehash(staff.password_hash):
            staff.password_hash = _hasher.hash(password)
        audit(session, staff, "login", staff.name)
        return LoginResult(staff)
    for row, rule in throttles:
        session.add(row)
        row.failures = (row.failures or 0) + 1
        row.updated_at = moment
        delay = _delay(row.failures, rule)
        row.not_before = moment + delay if delay else None
    reason = "unknown name" if staff is None else ("account disabled" if correct else "wrong password")
    audit(session, staff, "login_failed", name[:64], reason)
    return LoginResult(None, "wrong")


def audit(session: Session, staff: Staff | None, action: str, target: str = "", detail: str = "") -> None:
    session.add(AuditLog(staff_id=staff.id if staff else None, staff_name=staff.name if staff else None,
                         action=action, target=(target or "")[:64], detail=detail or None,
                         address=current_address.get()))


def audit_rows(staff_name: str = "", action: str = "", first: dt.date | None = None, last: dt.date | None = None):
    """The audit log query, newest first: one staff member's actions, one kind of action, and the
    days from `first` to `last` (WIB days, like every date the dashboard shows)."""
    query = select(AuditLog).order_by(AuditLog.id.desc())
    if staff_name:
        query = query.where(AuditLog.staff_name == staff_name)
    if action:
        query = query.where(AuditLog.action == action)
    if first:
        query = query.where(AuditLog.created_at >= dt.datetime.combine(first, dt.time(), WIB))
    if last:
        query = query.where(AuditLog.created_at < dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), WIB))
    return query
