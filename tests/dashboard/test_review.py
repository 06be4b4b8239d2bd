"""The review queue teaches topics as well as intents: a group labelled `intent/topic` is exported
as a Rasa retrieval intent that Rasa's own reader takes."""
from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from bot.engine.events import TextEvent, UserRef
from bot.review import normalize
from tests.dashboard.conftest import csrf_of, login

GIBBERISH = "qwrt zxcv plok plok"


@pytest.fixture()
def client(dashboard_app):
    with TestClient(dashboard_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_a_group_labelled_with_a_topic_is_exported_as_a_retrieval_intent(client, staff, dialogue, tmp_path):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    for who in ("a", "b"):
        dialogue.handle(UserRef("test", who), TextEvent(GIBBERISH))
    login(client, staff["reviewer"])
    queue = client.get("/review").text
    assert GIBBERISH in queue
    assert '<option value="claim_jht/no_paklaring"' in queue          # topics are offered under their intent
    row = queue[queue.index(GIBBERISH):]
    key = re.search(r'name="key" value="([^"]*)"', row).group(1)
    predicted = re.search(r'name="predicted" value="([^"]*)"', row).group(1)   # the bot's guess
    response = client.post("/review/label", data={
        "csrf": csrf_of(client, "/review"), "key": key, "predicted": predicted,
        "intent": "claim_jht/no_paklaring"}, follow_redirects=True)
    assert "2 pesan diberi label claim_jht/no_paklaring" in response.text
    client.post("/review/export", data={"csrf": csrf_of(client, "/review")})
    data = RasaYAMLReader().read(str(tmp_path / "reviewed" / "reviewed.yml"))
    assert [(m.get("text"), m.get("intent"), m.get("intent_response_key")) for m in data.intent_examples] == \
        [(GIBBERISH, "claim_jht", "claim_jht/no_paklaring")]


def test_a_label_that_is_neither_an_intent_nor_a_topic_is_refused(client, staff, dialogue):
    dialogue.handle(UserRef("test", "c"), TextEvent(GIBBERISH))
    login(client, staff["reviewer"])
    response = client.post("/review/label", data={
        "csrf": csrf_of(client, "/review"), "key": normalize(GIBBERISH), "predicted": "nlu_fallback",
        "intent": "claim_jht/no_such_topic"}, follow_redirects=True)
    assert "Pilih label yang benar dulu" in response.text
    assert GIBBERISH in client.get("/review").text                  # still waiting for a label
