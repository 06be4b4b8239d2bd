"""Rows the security tests need, written straight into the database (no NLU model involved):
logged messages and submitted applications with encrypted personal data."""
from __future__ import annotations

import datetime as dt

from bot.review import normalize
from bot.storage.models import Application, now
from bot.storage.repository import Repository

NIK = "3201011708900001"
PHONE = "+6281234567890"


def message(database, text: str, who: str = "w1", intent: str = "nlu_fallback", confidence: float = 0.2) -> int:
    """A message a person sent, logged the way the dialogue logs it; returns its id."""
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.user("test", who, who)
        repo.log(user, "in", "text", text, intent=intent, confidence=confidence, normalized=normalize(text))
        session.flush()
        from bot.storage.models import MessageLog

        return session.query(MessageLog).order_by(MessageLog.id.desc()).first().id


def application(database, vault, name: str = "SITI AMINAH", nik: str = NIK, status: str = "diajukan",
                occupation: str = "Pedagang", who: str = "w1", number: int = 1) -> int:
    """A submitted application; returns its id."""
    with database.transaction() as session:
        user = Repository(session).user("test", who, who)
        app = Application(user_id=user.id, reference=f"LDG-2026-{number:06d}", status=status,
                          nik_token=vault.encrypt(nik), nik_hash=vault.lookup_hash(nik), name_token=vault.encrypt(name),
                          birth_date_token=vault.encrypt("1990-08-17"), gender="P", phone_token=vault.encrypt(PHONE),
                          province="Jawa Barat", regency="Kab. Bogor", occupation=occupation, income=2_500_000,
                          income_base=2_500_000, with_jht=1, payment_months=1, monthly_amount=16_800,
                          consented_at=now() - dt.timedelta(hours=1), submitted_at=now())
        session.add(app)
        session.flush()
        return app.id
