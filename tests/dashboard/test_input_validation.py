"""Hostile and mistyped parameters (issue 14, findings 7 and 8): every query and form value is
checked; a bad one gets the dashboard's own page with a 400 or 404 saying what is expected, never
a bare 500; redirects stay on the dashboard; every form field has a length limit."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.dashboard import seed
from tests.dashboard.conftest import csrf_of, login

HUGE = "99999999999999999999"


@pytest.fixture()
def client(dashboard_app):
    with TestClient(dashboard_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def friendly(response, status: int, words: str = "") -> None:
    assert response.status_code == status, (response.url, response.status_code, response.text[:300])
    assert "Tidak bisa dibuka" in response.text and "Lindungi" in response.text
    assert "Traceback" not in response.text and "Internal Server Error" not in response.text
    assert words in response.text


@pytest.mark.parametrize("query", ["page=²", f"page={HUGE}", "page=-1", "page=1e3"])
def test_bad_page_numbers_are_400(client, staff, query):
    login(client, "ani")
    for path in ("/conversations", "/review", "/applications", "/audit"):
        friendly(client.get(f"{path}?{query}"), 400, "Nomor halaman")


def test_bad_dates_and_numbers_in_filters_are_400(client, staff):
    login(client, "ani")
    for path in ("/conversations", "/applications", "/audit"):
        friendly(client.get(f"{path}?to=9999-12-31"), 400, "2100-12-31")
        friendly(client.get(f"{path}?from=2026-02-30"), 400, "TTTT-BB-HH")
        friendly(client.get(f"{path}?from=kemarin"), 400, "TTTT-BB-HH")
    friendly(client.get("/audit?from=2026-12-02&to=2026-12-01"), 400, "sebelum")
    for below in ("nan", "inf", "abc", "2"):
        friendly(client.get(f"/conversations?below={below}"), 400, "Batas keyakinan")
    for business in ("²", HUGE, "abc"):
        friendly(client.get(f"/applications?business={business}"), 400, "Usaha")
    assert client.get("/conversations?below=0.5&from=2026-11-01&to=2026-12-01").status_code == 200
    assert client.get("/insights?to=9999-12-31").status_code == 200        # the range is clamped and explained


def test_ids_too_large_for_the_database_are_404(client, staff):
    login(client, "ani")
    for path in (f"/conversations/{HUGE}", f"/applications/{HUGE}", f"/handoffs/{HUGE}"):
        friendly(client.get(path), 404)
    csrf = csrf_of(client)
    for path in (f"/applications/{HUGE}/reveal", f"/applications/{HUGE}/status", f"/handoffs/{HUGE}/reply"):
        friendly(client.post(path, data={"csrf": csrf, "text": "halo", "status": "aktif"}), 404)
    friendly(client.get("/conversations/²"), 404, "tidak ada")
    friendly(client.get("/tidak-ada-halaman"), 404, "tidak ada")


def test_a_message_id_that_is_not_a_number_is_400(client, staff, database):
    seed.message(database, "xyzzy")
    login(client, "rudi")
    csrf = csrf_of(client, "/review")
    friendly(client.post("/review/label", data={"csrf": csrf, "message_id": "abc", "intent": "skip"}), 400,
             "Nomor pesan")
    friendly(client.post("/review/label", data={"csrf": csrf, "message_id": HUGE, "intent": "skip"}), 404)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                                    "/\t/evil.example/", "javascript:alert(1)", "http:/evil.example"])
def test_redirects_stay_on_the_dashboard(client, staff, database, target):
    message_id = seed.message(database, "xyzzy")
    login(client, "rudi")
    response = client.post("/review/label", data={"csrf": csrf_of(client, "/review"), "message_id": str(message_id),
                                                  "intent": "skip", "back": target}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/review"
    client.post("/logout", data={"csrf": csrf_of(client)})
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/login", data={"name": "rudi", "password": "sandi-rahasia-123", "csrf": csrf,
                                           "next": target}, follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == "/"


def test_a_same_site_back_is_kept(client, staff, database):
    message_id = seed.message(database, "xyzzy")
    login(client, "rudi")
    back = "/review/group?key=xyzzy&intent=nlu_fallback"
    response = client.post("/review/label", data={"csrf": csrf_of(client, "/review"), "message_id": str(message_id),
                                                  "intent": "skip", "back": back}, follow_redirects=False)
    assert response.headers["location"] == back


def test_every_form_field_has_a_length_limit(client, staff, database, vault):
    app_id = seed.application(database, vault)
    login(client, "ani")
    csrf = csrf_of(client)
    friendly(client.post(f"/applications/{app_id}/status", data={"csrf": csrf, "status": "ditolak",
                                                                 "reason": "x" * 301}), 400, "paling banyak 300")
    friendly(client.post("/handoffs/1/reply", data={"csrf": csrf, "text": "x" * 8001}), 400, "paling banyak 8000")
    friendly(client.post("/review/label", data={"csrf": csrf, "intent": "skip", "anything": "x" * 201}), 400,
             "paling banyak 200")
    page = client.get("/login")
    assert page.status_code == 200
    with database.transaction() as session:
        from bot.storage.models import Application

        assert session.get(Application, app_id).status == "diajukan"          # nothing changed


def test_nul_characters_are_refused_before_the_database_sees_them(client, staff, database):
    login(client, "ani")
    for path in ("/conversations?q=%00", "/applications?q=a%00b", "/review/group?key=%00&intent=x"):
        friendly(client.get(path), 400, "karakter")
    friendly(client.post("/handoffs/1/reply", data={"csrf": csrf_of(client), "text": "halo\x00"}), 400, "karakter")
