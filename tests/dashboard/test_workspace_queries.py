"""The workspace's queries on SQLite and PostgreSQL: WIB days, one row per person, the review queue
without form answers, undo, and the status history."""
from __future__ import annotations

import datetime as dt

from bot.dashboard import queries
from bot.storage.models import Application, Staff
from tests.dashboard.workspace_seed import seed


def test_days_are_wib_days_and_the_rate_counts_out_of_scope(database, vault, staff):
    seed(database, vault)
    with database.transaction() as session:
        days = {day: (users, messages, rate) for day, users, messages, rate in
                queries.per_day(session, queries.Period(dt.date(2026, 11, 22), dt.date(2026, 11, 23)))}
    assert days["2026-11-22"] == (0, 0, 0.0)          # 18:31 UTC on the 22nd is 01:31 WIB on the 23rd
    assert days["2026-11-23"] == (5, 16, round(4 / 12, 3))


def test_one_row_per_person_newest_first(database, vault, staff):
    seeded = seed(database, vault)
    with database.transaction() as session:
        people = queries.conversations(session, queries.Filters())
        missed = {p.user.id: p.not_understood for p in people}
        only_handed_off = [p.user.id for p in queries.conversations(session, queries.Filters(), handed_off_only=True)]
        with_fallback = {p.user.id for p in queries.conversations(session, queries.Filters(fallback=True))}
    assert [p.user.id for p in people] == [seeded.quiet, seeded.taken, seeded.asker, seeded.owner, seeded.worker]
    assert missed[seeded.worker] == 2 and missed[seeded.owner] == 2 and missed[seeded.quiet] == 0
    assert sorted(only_handed_off) == sorted([seeded.asker, seeded.taken])
    assert with_fallback == {seeded.worker, seeded.owner}


def test_queue_leaves_out_form_answers_and_undo_takes_back_one_action(database, vault, staff):
    seed(database, vault)
    with database.transaction() as session:
        groups = {g.normalized for g in queries.review_groups(session)}
        reviewer = session.query(Staff).filter_by(name="rudi").one()
        ids = [m.id for m in queries.group_messages(session, "xyzzy plugh kwek", "nlu_fallback")]
        assert queries.label(session, ids, "out_of_scope", reviewer.id, "batch-1") == 2
    assert "xyzzy plugh kwek" in groups and "budi santoso" not in groups and "dua juta lima ratus" not in groups
    with database.transaction() as session:
        assert queries.last_batch(session, reviewer.id) == ("batch-1", "out_of_scope", 2)
        assert queries.undo(session, reviewer.id, "batch-1") == 2
    with database.transaction() as session:
        assert "xyzzy plugh kwek" in {g.normalized for g in queries.review_groups(session)}


def test_status_history_names_who_and_when(database, vault, staff):
    seeded = seed(database, vault)
    with database.transaction() as session:
        app = session.get(Application, seeded.application)
        reviewer = session.query(Staff).filter_by(name="rudi").one()
        app.status = "diverifikasi"
        queries.record_status(session, app, reviewer, "data cocok")
    with database.transaction() as session:
        history = queries.status_history(session, session.get(Application, seeded.application))
    assert [(status, who) for status, _, who, _ in history] == [("diajukan", None), ("diverifikasi", "rudi")]
    assert history[1][1] == "data cocok"


def test_forgetting_a_person_removes_staff_notes_and_markers_about_them(database, vault, staff):
    from bot.storage.models import ConversationReview, HandoffNote, User
    from bot.storage.repository import Repository

    seeded = seed(database, vault)
    with database.transaction() as session:
        reviewer = session.query(Staff).filter_by(name="rudi").one()
        session.add(HandoffNote(handoff_id=seeded.open_handoff, staff_id=reviewer.id, text="rekening beda nama"))
        queries.mark_reviewed(session, seeded.asker, reviewer)
    with database.transaction() as session:
        Repository(session).forget(session.get(User, seeded.asker))
    with database.transaction() as session:
        assert session.query(HandoffNote).count() == 0 and session.query(ConversationReview).count() == 0


def test_forgetting_a_person_clears_the_reasons_in_their_status_history(database, vault, staff):
    from bot.storage.models import StatusChange, User
    from bot.storage.repository import Repository

    seeded = seed(database, vault)
    with database.transaction() as session:
        app = session.get(Application, seeded.application)
        app.status = "ditolak"
        queries.record_status(session, app, session.query(Staff).filter_by(name="rudi").one(), "nama Siti beda di KTP")
    with database.transaction() as session:
        Repository(session).forget(session.get(User, seeded.asker))
    with database.transaction() as session:
        (change,) = session.query(StatusChange).all()
        assert change.status == "ditolak" and change.reason is None and change.staff_name == "rudi"


def test_a_status_set_on_the_command_line_is_in_the_history(database, vault, staff):
    import os
    import subprocess
    import sys
    from pathlib import Path

    seeded = seed(database, vault)
    env = dict(os.environ, DATABASE_URL=database.url, RASA_TELEMETRY_ENABLED="false")
    done = subprocess.run([sys.executable, "-m", "bot", "applications", "set-status", seeded.reference, "diverifikasi"],
                          cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with database.transaction() as session:
        history = queries.status_history(session, session.get(Application, seeded.application))
    assert [(status, who) for status, _, who, _ in history] == [("diajukan", None), ("diverifikasi", "(baris perintah)")]
