"""The staff dashboard over the test database: staff accounts, a test client and a live server."""
from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import standin, telegram  # noqa: F401  (the bot beside the dashboard)

PASSWORD = "sandi-rahasia-123"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"


@pytest.fixture()
def staff(database):
    from bot.dashboard.staff import add_staff

    with database.transaction() as session:
        for name, role in (("ani", "admin"), ("rudi", "reviewer"), ("sari", "agent")):
            add_staff(session, name, role, PASSWORD)
    return {"admin": "ani", "reviewer": "rudi", "agent": "sari"}


@pytest.fixture()
def dashboard_app(database, vault, knowledge, tmp_path, staff):
    from bot.dashboard.app import create_app

    return create_app(database, vault, knowledge, intents=sorted(knowledge.texts["intent_labels"]),
                      reviewed_dir=tmp_path / "reviewed", secret=vault.derive("dashboard session"))


def login(client, name: str, password: str = PASSWORD):
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    return client.post("/login", data={"name": name, "password": password, "csrf": csrf, "next": "/"},
                       follow_redirects=False)


def csrf_of(client, path: str = "/conversations") -> str:
    return client.get(path).text.split('name="csrf" value="')[1].split('"')[0]


@pytest.fixture()
def live_dashboard(dashboard_app):
    """The app served by uvicorn on a free loopback port, for the browser."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(dashboard_app, host="127.0.0.1", port=port, ws="none",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture()
def browser_path():
    if not Path(CHROMIUM).exists():
        from tests.conftest import missing

        missing("Debian's chromium is not installed (apt-get install chromium): browser tests skipped")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM
