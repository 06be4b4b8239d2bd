"""Dashboard security: sessions, CSRF, escaping, roles, lockout, audit."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from bot.engine.events import TextEvent, UserRef
from bot.storage.models import AuditLog
from tests.dashboard.conftest import PASSWORD, csrf_of, login

ROUTES = ["/", "/conversations", "/conversations/1", "/review", "/review/group?key=a&intent=b",
          "/review/export.yml", "/handoffs", "/handoffs/1", "/applications", "/applications/1",
          "/applications/export.csv", "/applications/export-full", "/insights", "/insights/daily.csv", "/audit",
          "/facts"]
POSTS = ["/logout", "/review/label", "/review/export", "/handoffs/1/reply", "/handoffs/1/close",
         "/applications/1/reveal", "/applications/1/status",
         "/applications/export-full"]


@pytest.fixture()
def client(dashboard_app):
    with TestClient(dashboard_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_every_route_but_login_needs_a_session(client):
    for path in ROUTES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (302, 401), path
        assert response.headers["location"].startswith("/login"), path
    for path in POSTS:
        assert client.post(path, follow_redirects=False).status_code in (302, 401), path
    assert client.get("/login").status_code == 200


def test_session_cookie_is_httponly_and_samesite(client, staff):
    response = login(client, "ani")
    assert response.status_code == 302
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_forms_without_the_csrf_token_are_refused(client, staff, database):
    login(client, "ani")
    assert client.post("/review/export").status_code == 403
    assert client.post("/review/export", data={"csrf": "forged"}).status_code == 403
    client.get("/login")
    assert client.post("/login", data={"name": "ani", "password": PASSWORD}).status_code == 403


def test_user_text_is_shown_escaped(client, staff, dialogue):
    dialogue.handle(UserRef("test", "x"), TextEvent("<script>alert('hai')</script> iuran brp"))
    login(client, "ani")
    page = client.get("/conversations").text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_a_reviewer_cannot_reveal_or_export_full_data(client, staff, dialogue, database):
    from tests.engine.test_enrolment import NIK, enrol_until_summary
    from bot.engine.events import ButtonEvent

    enrol_until_summary(dialogue)
    dialogue.handle(UserRef("test", "w1"), ButtonEvent("enrol:submit"))
    login(client, "rudi")
    detail = client.get("/applications/1").text
    assert "3201********0001" in detail and NIK not in detail and "Tampilkan NIK" not in detail
    assert client.post("/applications/1/reveal", data={"csrf": csrf_of(client)}).status_code == 403
    export = client.get("/applications/export.csv").text
    assert "3201********0001" in export and NIK not in export and "0812*****890" in export
    assert "SITI A." in export and "SITI AMINAH" not in export

    client.post("/logout", data={"csrf": csrf_of(client)})
    login(client, "ani")
    revealed = client.post("/applications/1/reveal", data={"csrf": csrf_of(client)}).text
    assert NIK in revealed and "081234567890" in revealed
    assert NIK not in client.get("/applications/export.csv").text          # a GET is always masked
    assert NIK in client.post("/applications/export-full", data={"csrf": csrf_of(client), "confirm": "1"}).text
    with database.transaction() as session:
        actions = [(a.staff_name, a.action) for a in session.query(AuditLog).order_by(AuditLog.id)]
    assert ("ani", "reveal") in actions and ("ani", "export_csv") in actions and ("rudi", "export_csv") in actions


def test_an_agent_cannot_open_the_review_queue(client, staff):
    login(client, "sari")
    assert client.get("/review").status_code == 403
    assert client.get("/handoffs").status_code == 200


def test_repeated_wrong_passwords_slow_down_without_locking(client, staff, database):
    for _ in range(6):
        assert login(client, "rudi", "salah-sandi-000").status_code == 401
    held = login(client, "rudi")
    assert held.status_code == 429 and "Coba lagi dalam" in held.text and "dikunci" not in held.text
    with database.transaction() as session:
        assert session.query(AuditLog).filter_by(action="login_throttled").count() == 1
