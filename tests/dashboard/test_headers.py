"""Security headers on every response (issue 14, finding 5): one strict CSP, no framing, no MIME
sniffing, no Referer, HSTS over HTTPS, and nothing personal left in the browser's cache."""
from __future__ import annotations

import os

import pytest
from starlette.testclient import TestClient

from bot.privacy import Vault
from tests.dashboard import seed
from tests.dashboard.conftest import csrf_of, login

CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
PAGES = ["/conversations", "/conversations/1", "/review", "/handoffs", "/applications", "/applications/1",
         "/applications/export-full", "/insights", "/audit"]
DOWNLOADS = ["/applications/export.csv", "/insights/messages.csv", "/review/export.yml"]


@pytest.fixture()
def client(dashboard_app):
    with TestClient(dashboard_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def assert_hardened(response, cached: bool = False) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    if not cached:
        assert headers["cache-control"] == "no-store"


def test_every_page_and_download_of_a_logged_in_admin_is_hardened_and_never_cached(client, staff, database, vault):
    seed.message(database, "halo")
    seed.application(database, vault)
    login(client, "ani")
    for path in PAGES + DOWNLOADS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_hardened(response)
        assert "strict-transport-security" not in response.headers       # plain HTTP: no HSTS
    revealed = client.post("/applications/1/reveal", data={"csrf": csrf_of(client)})
    assert seed.NIK in revealed.text
    assert_hardened(revealed)
    full = client.post("/applications/export-full", data={"csrf": csrf_of(client), "confirm": "1"})
    assert seed.NIK in full.text and full.headers["content-disposition"].startswith("attachment")
    assert_hardened(full)


def test_login_errors_and_redirects_are_hardened_too(client, staff):
    for response in (client.get("/login"), client.get("/no-such-page"), client.get("/audit", follow_redirects=False),
                     login(client, "ani", "salah-sandi-000")):
        assert_hardened(response)


def test_static_files_keep_their_caching(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert_hardened(response, cached=True)
    assert "no-store" not in response.headers.get("cache-control", "")


def test_hsts_when_the_dashboard_is_served_over_https(database, vault, knowledge, tmp_path, staff):
    from bot.dashboard.app import create_app

    app = create_app(database, vault, knowledge, intents=sorted(knowledge.texts["intent_labels"]),
                     reviewed_dir=tmp_path / "reviewed", https_only=True)
    with TestClient(app, base_url="https://127.0.0.1") as secure:
        response = secure.get("/login")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        assert "secure" in login(secure, "ani").headers["set-cookie"].lower()


def test_a_failure_inside_a_page_shows_the_friendly_page_with_the_headers(client, staff, database, vault):
    """An application encrypted under another key (a wrong LINDUNGI_SECRET_KEY) cannot be shown."""
    app_id = seed.application(database, Vault(os.urandom(32)))
    login(client, "ani")
    response = client.get(f"/applications/{app_id}")
    assert response.status_code == 500
    assert "Maaf, terjadi kesalahan di server" in response.text and "<h1>" in response.text
    assert "Traceback" not in response.text and "InvalidToken" not in response.text
    assert_hardened(response)


def test_a_huge_request_body_is_refused_with_the_friendly_page(client, staff):
    login(client, "sari")
    response = client.post("/handoffs/1/reply", data={"csrf": csrf_of(client), "text": "x" * 5_000_000})
    assert response.status_code == 413 and "terlalu besar" in response.text
    assert_hardened(response)
