"""Dashboard promises from the README: the Secure session cookie behind HTTPS, and the insights
numbers (the figures and their CSVs) counted right from what was logged."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.dashboard import queries, times
from bot.storage.models import Application, LessonProgress, MessageLog, User
from tests.dashboard.conftest import PASSWORD, login
from tests.e2e.test_webhook import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_dashboard(tmp_path: Path, https: bool) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'dash.db'}", LINDUNGI_DATA_DIR=str(tmp_path),
               LINDUNGI_SECRET_KEY="d" * 44, RASA_TELEMETRY_ENABLED="false", PYTHONWARNINGS="ignore",
               LINDUNGI_DASHBOARD_HTTPS="1" if https else "")
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "bot", "staff", "add", "ani", "--role", "admin", "--password-stdin"],
                   cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bot", "dashboard", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the dashboard exited"
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2).read()
            return process, base
        except OSError:
            assert time.monotonic() < deadline, "the dashboard never answered"
            time.sleep(0.1)


def session_cookie(base: str) -> str:
    """The Set-Cookie of the login page: the session that carries the form's CSRF token."""
    with urllib.request.urlopen(f"{base}/login", timeout=5) as answer:
        return answer.headers["Set-Cookie"]


@pytest.mark.parametrize("https", [True, False])
def test_the_session_cookie_is_secure_with_lindungi_dashboard_https(tmp_path, https):
    process, base = run_dashboard(tmp_path, https)
    try:
        cookie = session_cookie(base).lower()
    finally:
        process.terminate()
        process.wait(20)
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert ("; secure" in cookie) is https, cookie


# Insights ----------------------------------------------------------------------------------------
def _log(session, user, day: dt.date, intent: str | None, kind: str = "text", direction: str = "in",
         flow: str | None = None, hour: int = 10):
    session.add(MessageLog(user_id=user.id, chat_id=user.chat_id, direction=direction, kind=kind, text="x",
                           intent=intent, flow=flow,
                           created_at=dt.datetime.combine(day, dt.time(hour), dt.timezone.utc)))


def test_the_daily_numbers_count_users_messages_and_the_fallback_rate(database):
    day = dt.date(2026, 11, 20)
    with database.transaction() as session:
        a, b = (User(channel="test", external_id=n, chat_id=n, data={}) for n in ("a", "b"))
        session.add_all([a, b])
        session.flush()
        _log(session, a, day, "contribution_bpu")
        _log(session, a, day, queries.FALLBACK)
        _log(session, a, day, None, kind="button")                  # a press: counted, not in the rate
        _log(session, b, day, queries.FALLBACK, hour=16)             # 23:00 WIB, still that WIB day
        _log(session, b, day, None, direction="out")                # the bot's replies are not messages in
        _log(session, b, day - dt.timedelta(days=2), "greet", hour=0)
        _log(session, b, day, "greet", hour=17)                      # 00:00 WIB: the next WIB day
        _log(session, b, day - dt.timedelta(days=30), "greet")      # outside the 30 days
    with database.transaction() as session:
        daily = queries.per_day(session, queries.last_days(30, today=day))
    assert len(daily) == 30 and daily[-1][0] == "2026-11-20" and daily[0][0] == "2026-10-22"
    by_day = {row[0]: row[1:] for row in daily}
    assert by_day["2026-11-20"] == (2, 4, round(2 / 3, 3))           # 2 users, 4 messages, 2 of 3 texts not understood
    assert by_day["2026-11-18"] == (1, 1, 0.0)
    assert sum(row[2] for row in daily) == 5


def test_the_insights_page_and_csvs_show_the_logged_counts(database, vault, tmp_path, staff, knowledge):
    from bot.dashboard.app import create_app

    # The dashboard's clock, not the wall clock: the page's last day is this moment's WIB day.
    moment = dt.datetime(2026, 12, 1, 16, 59, 30, tzinfo=dt.timezone.utc)        # 23:59:30 WIB
    dashboard_app = create_app(database, vault, knowledge, intents=sorted(knowledge.texts["intent_labels"]),
                               reviewed_dir=tmp_path / "reviewed", secret=vault.derive("dashboard session"),
                               clock=lambda: moment)
    lessons = list(knowledge.lessons.lessons)
    with database.transaction() as session:
        users = [User(channel="test", external_id=str(n), chat_id=str(n), data={}) for n in range(4)]
        session.add_all(users)
        session.flush()
        today = times.today(moment)                                  # the WIB day the page shows last
        for user, intents in zip(users, (["greet", "contribution_bpu"], ["contribution_bpu"],
                                         ["contribution_bpu", "claim_jht"], [])):
            for intent in intents:
                _log(session, user, today, intent, hour=5)                          # 12:00 WIB
        for user in users[:3]:
            _log(session, user, today, None, direction="out", flow="enrol", hour=5)  # three began enrolling
        session.add(LessonProgress(user_id=users[0].id, lesson_id=lessons[0], card=3, answered=0, correct=0,
                                   completed_at=moment - dt.timedelta(hours=1)))
        session.add(LessonProgress(user_id=users[1].id, lesson_id=lessons[0], card=1, answered=0, correct=0))
        for user, status, province, occupation in ((users[0], "aktif", "Jawa Barat", "pedagang"),
                                                   (users[1], "diajukan", "Jawa Barat", "ojek"),
                                                   (users[2], "draft", None, None)):
            at = moment - dt.timedelta(hours=1)
            session.add(Application(user_id=user.id, status=status, province=province, occupation=occupation,
                                    consented_at=at, submitted_at=at if status != "draft" else None,
                                    reminder_opt_in=0, payment_reminder_opt_in=0))

    def table(client, name):
        response = client.get(f"/insights/{name}.csv")
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.text)))[1:]

    with TestClient(dashboard_app, base_url="http://127.0.0.1") as client:
        assert login(client, staff["admin"]).status_code == 302
        assert client.get("/insights").status_code == 200
        intents = table(client, "intents")
        funnel = table(client, "funnel")
        lessons_csv = {row[0]: row[1:] for row in table(client, "lessons")}
        regions = table(client, "regions")
        occupations = table(client, "occupations")
        messages = table(client, "messages")
        people = table(client, "users")
    assert intents[0] == ["contribution_bpu", "3"] and sorted(intents[1:]) == [["claim_jht", "1"], ["greet", "1"]]
    assert funnel == [["mulai", "3"], ["setuju", "3"], ["diajukan", "2"], ["aktif", "1"]]
    assert lessons_csv[knowledge.lessons.lessons[lessons[0]].title] == ["2", "1"]
    assert regions == [["Jawa Barat", "2"]]
    assert sorted(occupations) == [["ojek", "1"], ["pedagang", "1"]]
    assert messages[-1][1] == "5" and people[-1][1] == "3"
