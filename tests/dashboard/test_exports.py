"""What leaves the dashboard (issue 14, findings 3 and 8): the full-PII CSV only as a confirmed
POST with CSRF; training data exported to nlu/data/reviewed/ masked again and without Rasa entity
markup; application statuses only along allowed transitions, with a message to the applicant."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from bot.storage.models import Application, AuditLog, Outbox
from tests.dashboard import seed
from tests.dashboard.conftest import csrf_of, login


@pytest.fixture()
def client(dashboard_app):
    with TestClient(dashboard_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_the_full_export_is_a_confirmed_post_with_csrf(client, staff, database, vault):
    seed.application(database, vault, occupation="Pedagang")
    seed.application(database, vault, occupation="Ojek", nik="3201011708900002", number=2, who="w2")
    login(client, "ani")
    masked = client.get("/applications/export.csv").text
    assert seed.NIK not in masked and "3201********0001" in masked
    confirm = client.get("/applications/export-full?occupation=Pedagang")
    assert confirm.status_code == 200 and "1 pendaftaran" in confirm.text and "occupation=Pedagang" in confirm.text
    assert 'name="occupation" value="Pedagang"' in confirm.text and 'name="confirm"' in confirm.text
    assert seed.NIK not in confirm.text
    assert client.post("/applications/export-full", data={"confirm": "1"}).status_code == 403      # no CSRF
    unconfirmed = client.post("/applications/export-full", data={"csrf": csrf_of(client), "occupation": "Pedagang"})
    assert unconfirmed.status_code == 200 and "Centang dulu" in unconfirmed.text and seed.NIK not in unconfirmed.text
    full = client.post("/applications/export-full", data={"csrf": csrf_of(client), "confirm": "1",
                                                          "occupation": "Pedagang"})
    assert seed.NIK in full.text and "3201011708900002" not in full.text and "SITI AMINAH" in full.text
    with database.transaction() as session:
        details = [a.detail for a in session.query(AuditLog).filter_by(action="export_csv")]
    assert any("lengkap" in d and "occupation=Pedagang" in d for d in details)


def test_a_reviewer_gets_no_full_export(client, staff, database, vault):
    seed.application(database, vault)
    login(client, "rudi")
    assert client.get("/applications/export-full").status_code == 403
    response = client.post("/applications/export-full", data={"csrf": csrf_of(client), "confirm": "1"})
    assert response.status_code == 403 and seed.NIK not in response.text
    assert "Ekspor lengkap" not in client.get("/applications").text


def test_exported_training_data_is_masked_and_free_of_rasa_markup(client, staff, database, tmp_path):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    texts = ["klaim jht nik 3201/0145/0890/0001 hp +62 812 3456 7890",
             "cek [saldo jht](program) saya", 'cair [jht]{"entity": "program"} dong']
    ids = [seed.message(database, text, who=f"p{n}") for n, text in enumerate(texts)]
    login(client, "rudi")
    for message_id in ids:
        client.post("/review/label", data={"csrf": csrf_of(client, "/review"), "message_id": str(message_id),
                                           "intent": "claim_jht"})
    client.post("/review/export", data={"csrf": csrf_of(client, "/review")})
    written = (tmp_path / "reviewed" / "reviewed.yml").read_text()
    assert "0145" not in written and "3456" not in written and "3201/****/****/0001" in written
    data = RasaYAMLReader().reads(written)
    examples = {m.get("text"): m.get("entities") for m in data.intent_examples}
    assert "cek [saldo jht] (program) saya" in examples and not any(examples.values())
    downloaded = client.get("/review/export.yml").text
    assert "0145" not in downloaded and "](" not in downloaded


def test_status_changes_follow_the_allowed_transitions(client, staff, database, vault):
    app_id = seed.application(database, vault)
    login(client, "rudi")

    def change(status: str, reason: str = ""):
        return client.post(f"/applications/{app_id}/status", data={"csrf": csrf_of(client), "status": status,
                                                                   "reason": reason}, follow_redirects=True)

    assert "Status diubah" in change("ditolak", "Foto KTP buram").text
    page = change("diajukan")
    assert "tidak bisa diubah" in page.text and "final" in page.text
    assert "sudah final" in client.get(f"/applications/{app_id}").text           # no status form any more
    with database.transaction() as session:
        assert session.get(Application, app_id).status == "ditolak"
        sent = [o.text for o in session.query(Outbox).filter_by(kind="status")]
    assert len(sent) == 1 and "Foto KTP buram" in sent[0]                       # one message per change
