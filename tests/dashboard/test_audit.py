"""The audit log (issue 14, finding 8): logout, views of an application, the filters of each
export and the client's address are recorded; the audit page filters by staff, action and date."""
from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from bot.storage.models import AuditLog
from tests.dashboard import seed
from tests.dashboard.conftest import csrf_of, login


@pytest.fixture()
def client(dashboard_app):
    with TestClient(dashboard_app, base_url="http://127.0.0.1", client=("10.20.30.40", 5555)) as test_client:
        yield test_client


def entries(database, **where) -> list[AuditLog]:
    with database.transaction() as session:
        return session.query(AuditLog).filter_by(**where).order_by(AuditLog.id).all()


def test_views_exports_and_logout_are_audited_with_the_client_address(client, staff, database, vault):
    app_id = seed.application(database, vault, occupation="Pedagang")
    login(client, "rudi")
    client.get(f"/applications/{app_id}")
    client.get("/applications/export.csv?status=diajukan&occupation=Pedagang&from=2026-01-01")
    client.post("/logout", data={"csrf": csrf_of(client)})
    (view,) = entries(database, action="view")
    assert (view.staff_name, view.target, view.address) == ("rudi", "LDG-2026-000001", "10.20.30.40")
    (export,) = entries(database, action="export_csv")
    assert "status=diajukan" in export.detail and "occupation=Pedagang" in export.detail
    assert "date_from=2026-01-01" in export.detail and "disamarkan" in export.detail
    (logout,) = entries(database, action="logout")
    assert logout.staff_name == "rudi" and logout.address == "10.20.30.40"
    assert entries(database, action="login")[0].address == "10.20.30.40"
    assert all(entry.address == "10.20.30.40" for entry in entries(database, staff_name="rudi"))


def test_the_audit_page_filters_by_staff_action_and_date(client, staff, database):
    login(client, "rudi")
    client.post("/logout", data={"csrf": csrf_of(client)})
    login(client, "ani")
    with database.transaction() as session:
        session.add(AuditLog(staff_name="rudi", action="status", target="LDG-OLD",
                             created_at=dt.datetime(2026, 1, 5, 3, 0, tzinfo=dt.timezone.utc)))
    page = client.get("/audit?staff=rudi").text
    assert "LDG-OLD" in page and ">ani<" not in page.split("<tbody>")[1]
    page = client.get("/audit?action=logout").text.split("<tbody>")[1]
    assert "logout" in page and "LDG-OLD" not in page and ">login<" not in page
    page = client.get("/audit?from=2026-01-05&to=2026-01-05").text.split("<tbody>")[1]
    assert "LDG-OLD" in page and "logout" not in page
    page = client.get("/audit?staff=rudi&action=status&from=2026-01-06").text.split("<tbody>")[1]
    assert "Tidak ada catatan yang cocok" in page
    assert client.get("/audit?staff=siapa-saja").status_code == 400
