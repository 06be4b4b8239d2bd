"""Staff accounts (argon2 hashes, lockout) and the audit log of every staff action."""
from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import AuditLog, Staff, now

ROLES = ("admin", "reviewer", "agent")
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("lindungi-dummy-password")


class StaffError(ValueError):
    pass


def add_staff(session: Session, name: str, role: str, password: str) -> Staff:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password needs at least {MIN_PASSWORD} characters")
    if session.execute(select(Staff).where(Staff.name == name)).scalar_one_or_none():
        raise StaffError(f"staff {name!r} exists already")
    staff = Staff(name=name, role=role, password_hash=_hasher.hash(password), failed_logins=0)
    session.add(staff)
    session.flush()
    audit(session, None, "staff_add", name, f"role {role}")
    return staff


def authenticate(session: Session, name: str, password: str, moment: dt.datetime | None = None) -> tuple[Staff | None, str]:
    """(staff, "") on success; (None, reason) otherwise: "wrong" or "locked"."""
    moment = moment or now()
    staff = session.execute(select(Staff).where(Staff.name == name)).scalar_one_or_none()
    if staff is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        audit(session, None, "login_failed", name[:64], "unknown name")
        return None, "wrong"
    locked_until = staff.locked_until
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=dt.timezone.utc)
    if locked_until is not None and locked_until > moment:
        audit(session, staff, "login_locked", staff.name)
        return None, "locked"
    try:
        _hasher.verify(staff.password_hash, password)
    except (VerificationError, InvalidHashError):
        staff.failed_logins += 1
        if staff.failed_logins >= MAX_FAILURES:
            staff.locked_until, staff.failed_logins = moment + LOCKOUT, 0
            audit(session, staff, "lockout", staff.name, f"{MAX_FAILURES} wrong passwords")
            return None, "locked"
        audit(session, staff, "login_failed", staff.name)
        return None, "wrong"
    staff.failed_logins, staff.locked_until = 0, None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    audit(session, staff, "login", staff.name)
    return staff, ""


def audit(session: Session, staff: Staff | None, action: str, target: str = "", detail: str = "") -> None:
    session.add(AuditLog(staff_id=staff.id if staff else None, staff_name=staff.name if staff else None,
                         action=action, target=(target or "")[:64], detail=detail or None))
