"""A small, known workspace for the dashboard's browser tests, written straight into the database.

Times are fixed in UTC so the WIB labels can be checked: 2026-11-22 18:30 UTC is 01:30 WIB on
the 23rd (a different day in Jakarta than in London).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.review import normalize
from bot.storage.models import Application, Handoff, MessageLog, Staff, User

UTC = dt.timezone.utc
DAY = dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC)          # 10:00 WIB
LATE = dt.datetime(2026, 11, 22, 18, 30, tzinfo=UTC)       # 01:30 WIB on the 23rd


@dataclass
class Seeded:
    worker: int          # a worker with buttons, a follow-up read with context, two not understood
    owner: int           # an owner who answered form steps (kept out of the review queue)
    asker: int           # asked for staff: handoff open, nobody assigned
    taken: int           # asked for staff: handoff assigned to the agent "sari"
    quiet: int           # never asked for staff (agents must not see them)
    open_handoff: int
    taken_handoff: int
    application: int
    reference: str


def seed(database, vault) -> Seeded:
    with database.transaction() as session:
        users = {}
        for n, (name, role) in enumerate((("worker", "worker"), ("owner", "owner"), ("asker", "worker"),
                                         ("taken", "worker"), ("quiet", None)), start=1):
            user = User(channel="telegram", external_id=str(7000 + n), chat_id=str(7000 + n), role=role, data={})
            session.add(user)
            users[name] = user
        session.flush()
        clock = [LATE]

        def log(user, direction, kind, text, minutes=1, **fields):
            clock[0] += dt.timedelta(minutes=minutes)
            if kind == "text" and direction == "in":
                fields.setdefault("normalized", normalize(text))
            session.add(MessageLog(user_id=user.id, chat_id=user.chat_id, direction=direction, kind=kind,
                                   text=text, created_at=clock[0], **fields))

        w = users["worker"]
        log(w, "in", "command", "/start")
        log(w, "out", "reply", "Halo, selamat datang di Lindungi!")
        log(w, "in", "button", "role:worker")
        log(w, "out", "reply", "Baik, saya akan menjelaskan dari sisi pekerja.")
        log(w, "in", "text", "brp iuran jkk", intent="contribution_bpu", confidence=0.91)
        log(w, "out", "reply", "Iuran JKK untuk pekerja mandiri ...")
        log(w, "in", "text", "kalau ojol gimana", intent="contribution_bpu", confidence=0.62,
            context={"followup": True, "used": {"topic": "contribution_bpu", "occupation": "ojek"}})
        log(w, "out", "reply", "Untuk ojek online ...")
        log(w, "in", "text", "xyzzy plugh kwek", intent="nlu_fallback", confidence=0.21)
        log(w, "in", "text", "harga cabe hari ini", intent="out_of_scope", confidence=0.88)
        log(w, "in", "button", "enrol:consent:yes")

        o = users["owner"]
        clock[0] = DAY
        log(o, "in", "button", "enrol:consent:yes", flow="enrol", step="consent")
        log(o, "in", "text", "Budi Santoso", flow="enrol", step="name", intent="greet", confidence=0.31)
        log(o, "in", "text", "dua juta lima ratus", flow="calculator", step="income", intent="nlu_fallback",
            confidence=0.12)
        log(o, "in", "text", "xyzzy plugh kwek", intent="nlu_fallback", confidence=0.25)
        log(o, "in", "text", "qwerty asdf zxcv", intent="nlu_fallback", confidence=0.18)

        a = users["asker"]
        log(a, "in", "text", "saya mau bicara dengan petugas", intent="human_handoff", confidence=0.97)
        opened = clock[0]
        log(a, "out", "reply", "Baik, saya hubungkan Anda dengan petugas Lindungi.")
        log(a, "in", "text", "halo, klaim jht saya ditolak kenapa ya", intent="claim_jht", confidence=0.55)
        open_handoff = Handoff(user_id=a.id, reason="intent", status="open", opened_at=opened, waiting_since=opened)

        t = users["taken"]
        log(t, "in", "text", "tolong hubungkan ke petugas", intent="human_handoff", confidence=0.95)
        sari = session.query(Staff).filter_by(name="sari").one()
        taken_handoff = Handoff(user_id=t.id, reason="intent", status="open", opened_at=clock[0],
                                waiting_since=clock[0], agent_id=sari.id)
        session.add_all([open_handoff, taken_handoff])

        q = users["quiet"]
        log(q, "in", "text", "apa itu jkm", intent="program_jkm", confidence=0.93)

        app = Application(user_id=a.id, status="diajukan", reference="LDG-2026-000001",
                          nik_token=vault.encrypt("3201014508900001"), name_token=vault.encrypt("Siti Aminah"),
                          birth_date_token=vault.encrypt("1990-08-05"), phone_token=vault.encrypt("6281234567890"),
                          gender="P", province="Jawa Barat", regency="Kab. Bogor", occupation="pedagang",
                          income=2_500_000, income_base=2_500_000, with_jht=0, monthly_amount=16_800,
                          consented_at=DAY, submitted_at=DAY, reminder_opt_in=0, payment_reminder_opt_in=0)
        other = Application(user_id=o.id, status="diajukan", reference="LDG-2026-000002",
                            nik_token=vault.encrypt("3174012301850002"), name_token=vault.encrypt("Budi Santoso"),
                            birth_date_token=vault.encrypt("1985-01-23"), phone_token=vault.encrypt("6281398765432"),
                            gender="L", province="DKI Jakarta", regency="Jakarta Timur", occupation="ojek",
                            income=3_000_000, income_base=3_000_000, with_jht=1, monthly_amount=76_800,
                            consented_at=DAY, submitted_at=DAY + dt.timedelta(hours=1), reminder_opt_in=0,
                            payment_reminder_opt_in=0)
        session.add_all([app, other])
        session.flush()
        return Seeded(worker=w.id, owner=o.id, asker=a.id, taken=t.id, quiet=q.id, open_handoff=open_handoff.id,
                      taken_handoff=taken_handoff.id, application=app.id, reference=app.reference)
