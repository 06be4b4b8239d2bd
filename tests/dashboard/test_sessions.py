"""Staff sessions that really end (issue 14, findings 1 and 2): a random id in a browser-session
cookie, a row in the database; logout, a password change or disabling the account ends them, in
every dashboard process; 8 hours from login and 30 minutes without a request at most; an account's
id is never handed to another person."""
from __future__ import annotations

import datetime as dt
import json
from base64 import b64encode

import itsdangerous
import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from bot.dashboard import sessions
from bot.dashboard.staff import add_staff, by_name, disable, enable, set_password
from bot.storage.models import AuditLog, Staff, StaffSession
from tests.dashboard.conftest import PASSWORD, csrf_of, login

NEW_PASSWORD = "sandi-baru-yang-panjang"


class Clock:
    def __init__(self):
        self.moment = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def make_app(database, vault, knowledge, tmp_path, staff, clock):
    """A dashboard process; each call is another process on the same database (another secret)."""
    from bot.dashboard.app import create_app

    def make(secret: bytes | None = None):
        return create_app(database, vault, knowledge, intents=sorted(knowledge.texts["intent_labels"]),
                          reviewed_dir=tmp_path / "reviewed", secret=secret, clock=clock)
    return make


def client_for(app) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def opens(client, path: str = "/conversations") -> bool:
    response = client.get(path, follow_redirects=False)
    assert response.status_code in (200, 302), (path, response.status_code)
    return response.status_code == 200


def copy_of(client, app) -> TestClient:
    """Another browser holding a copy of this one's cookies."""
    thief = client_for(app)
    for name, value in client.cookies.items():
        thief.cookies.set(name, value)
    return thief


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(make_app, database):
    app = make_app()
    with client_for(app) as browser:
        assert login(browser, "ani").status_code == 302
        thief = copy_of(browser, app)
        assert opens(thief, "/audit")
        browser.post("/logout", data={"csrf": csrf_of(browser)})
        assert not opens(thief, "/audit") and not opens(thief, "/conversations")
        assert not opens(browser)
        with database.transaction() as session:
            assert session.query(StaffSession).count() == 0
            assert session.query(AuditLog).filter_by(action="logout", staff_name="ani").count() == 1


def test_a_second_dashboard_process_and_a_restart_know_the_same_sessions(make_app):
    first, second = make_app(b"a" * 32), make_app(b"b" * 32)
    with client_for(first) as browser:
        login(browser, "ani")
        other = copy_of(browser, second)
        assert opens(other)                                  # the same session on another process
        other.post("/logout", data={"csrf": csrf_of(other)})
        assert not opens(browser)                            # ended there, ended here
    restarted = make_app(b"c" * 32)
    with client_for(first) as browser:
        login(browser, "rudi")
        assert opens(copy_of(browser, restarted), "/review")


def test_a_password_change_ends_every_session_of_that_account_only(make_app, database):
    app = make_app()
    with client_for(app) as phone, client_for(app) as laptop, client_for(app) as colleague:
        login(phone, "rudi"), login(laptop, "rudi"), login(colleague, "ani")
        assert opens(phone) and opens(laptop)
        with database.transaction() as session:
            assert set_password(session, by_name(session, "rudi"), NEW_PASSWORD) == 2
        assert not opens(phone) and not opens(laptop)
        assert opens(colleague)
        assert login(phone, "rudi").status_code == 401
        assert login(phone, "rudi", NEW_PASSWORD).status_code == 302 and opens(phone)


def test_a_disabled_account_loses_its_sessions_and_cannot_log_in(make_app, database):
    app = make_app()
    with client_for(app) as browser:
        login(browser, "sari")
        assert opens(browser, "/handoffs")
        with database.transaction() as session:
            disable(session, by_name(session, "sari"))
        assert not opens(browser, "/handoffs")
        refused = login(browser, "sari")
        assert refused.status_code == 401 and "Nama atau sandi salah." in refused.text
        with database.transaction() as session:
            enable(session, by_name(session, "sari"))
        assert login(browser, "sari").status_code == 302 and opens(browser, "/handoffs")


def test_thirty_idle_minutes_end_a_session(make_app, clock):
    with client_for(make_app()) as browser:
        login(browser, "ani")
        clock.advance(minutes=29)
        assert opens(browser)                   # in use: the idle time starts again
        clock.advance(minutes=29)
        assert opens(browser)
        clock.advance(minutes=30)
        assert not opens(browser)


def test_eight_hours_after_login_a_session_ends_even_in_use(make_app, clock):
    with client_for(make_app()) as browser:
        login(browser, "ani")
        for _ in range(7 * 3 + 2):              # a request every 20 minutes for 7 h 40 min
            clock.advance(minutes=20)
            assert opens(browser)
        clock.advance(minutes=20)               # 8 h after login
        assert not opens(browser)
        assert login(browser, "ani").status_code == 302 and opens(browser)


def test_the_cookie_is_a_random_browser_session_cookie_and_the_row_describes_the_login(make_app, database, clock):
    app = make_app()
    with client_for(app) as browser, client_for(app) as again:
        first = login(browser, "ani")
        cookie = next(h for h in first.headers.get_list("set-cookie") if h.startswith(sessions.COOKIE + "="))
        attributes = cookie.lower()
        assert "httponly" in attributes and "samesite=strict" in attributes and "path=/" in attributes
        assert "max-age" not in attributes and "expires" not in attributes       # gone with the browser
        token = browser.cookies[sessions.COOKIE]
        login(again, "ani")
        assert len(token) >= 40 and again.cookies[sessions.COOKIE] != token
        with database.transaction() as session:
            rows = session.query(StaffSession).order_by(StaffSession.id).all()
            staff_id = by_name(session, "ani").id
    assert len(rows) == 2 and all(row.staff_id == staff_id for row in rows)
    row = rows[0]
    assert token not in (row.token_hash, row.csrf)                    # the database holds only a hash
    assert sessions.aware(row.created_at) == clock.moment == sessions.aware(row.last_seen_at)
    assert sessions.aware(row.expires_at) == clock.moment + dt.timedelta(hours=8)
    assert row.address == "testclient" and row.user_agent == "testclient"


def test_a_signed_staff_id_cookie_opens_nothing(make_app, database):
    """The old cookie format ({staff_id, csrf} signed with the app's secret) is not a login."""
    secret = b"s" * 32
    app = make_app(secret)
    with database.transaction() as session:
        admin_id = by_name(session, "ani").id
    signer = itsdangerous.TimestampSigner(secret.hex())
    forged = signer.sign(b64encode(json.dumps({"staff_id": admin_id, "csrf": "x"}).encode())).decode()
    with client_for(app) as browser:
        for name in ("lindungi_staff", "lindungi_form", sessions.COOKIE):
            browser.cookies.set(name, forged)
        assert not opens(browser, "/audit")


def test_a_deleted_accounts_id_is_never_given_to_a_new_account(make_app, database):
    """Even if a staff row is removed by hand, the next account gets a new id, and the old cookie
    does not become the new person's session."""
    app = make_app()
    with database.transaction() as session:
        add_staff(session, "lama", "agent", PASSWORD)
    with client_for(app) as browser:
        login(browser, "lama")
        assert opens(browser, "/handoffs") and browser.get("/audit").status_code == 403     # an agent
        with database.transaction() as session:
            old_id = by_name(session, "lama").id
            session.execute(text("delete from staff_sessions where staff_id = :i"), {"i": old_id})
            session.execute(text("update audit_log set staff_id = null where staff_id = :i"), {"i": old_id})
            session.execute(text("delete from staff where id = :i"), {"i": old_id})
        with database.transaction() as session:
            new = add_staff(session, "baru", "admin", PASSWORD)
            assert new.id > old_id
        response = browser.get("/audit", follow_redirects=False)
        assert response.status_code == 302 and response.headers["location"].startswith("/login")


def test_accounts_are_disabled_never_deleted(database):
    from bot.dashboard import staff as accounts

    own = [name for name, value in vars(accounts).items() if getattr(value, "__module__", "") == accounts.__name__]
    assert "disable" in own and not [name for name in own if name.startswith(("delete", "remove"))]
    with database.transaction() as session:
        add_staff(session, "tono", "agent", PASSWORD)
        disable(session, by_name(session, "tono"))
    with database.transaction() as session:
        tono = by_name(session, "tono")
        assert tono.disabled_at is not None and session.get(Staff, tono.id) is not None
