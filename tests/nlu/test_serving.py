"""Serving the model faster must not change a single answer: batched parses and the quick load give
exactly what Rasa's own parse and load give, on the held-out questions."""
from __future__ import annotations

import asyncio
import threading

import pytest

from bot.understanding.scoring import load_examples
from bot.understanding import for_model

pytestmark = pytest.mark.model


def _held_out(count: int) -> list[str]:
    texts = list(dict.fromkeys(e.text for e in load_examples()))
    return texts[:: max(1, len(texts) // count)][:count]


def _same(mine, theirs: dict) -> None:
    assert mine.intent == theirs["intent"]["name"], mine.text
    assert mine.confidence == pytest.approx(theirs["intent"]["confidence"], abs=1e-5), mine.text
    assert [(e["entity"], e["value"]) for e in mine.entities] == \
        [(e["entity"], e["value"]) for e in theirs["entities"]], mine.text


def test_a_batch_gives_what_rasa_gives_message_by_message(understanding):
    texts = _held_out(200)
    batched = understanding.parse_many(texts, read=False)       # each text as Rasa takes it
    loop = asyncio.new_event_loop()
    try:
        for text, mine in zip(texts, batched):
            _same(mine, loop.run_until_complete(understanding._agent.parse_message(for_model(text))))
    finally:
        loop.close()


def test_questions_asked_at_the_same_moment_share_batches_and_keep_their_own_answers(understanding):
    texts = _held_out(120)
    alone = {text: understanding.submit(text).result() for text in texts}     # one at a time
    before_batches, before_messages = understanding.batches, understanding.batched_messages
    results: dict[str, object] = {}
    start = threading.Barrier(len(texts))

    def ask(text: str) -> None:
        start.wait()
        results[text] = understanding.submit(text).result()

    threads = [threading.Thread(target=ask, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    batches = understanding.batches - before_batches
    assert understanding.batched_messages - before_messages == len(texts)
    assert batches < len(texts) / 2, f"{batches} batches for {len(texts)} concurrent questions"
    for text in texts:
        assert results[text].intent == alone[text].intent, text
        assert results[text].confidence == pytest.approx(alone[text].confidence, abs=1e-5), text
        # The same entities (type, value, span). Their confidences move a little with the batch:
        # the entity tagger runs over texts padded to the batch's longest (measured: up to 0.003).
        assert _without_confidence(results[text].entities) == _without_confidence(alone[text].entities), text
        for batched, single in zip(results[text].entities, alone[text].entities):
            assert batched.get("confidence_entity", 0) == pytest.approx(single.get("confidence_entity", 0), abs=0.01), text


def _without_confidence(entities) -> list[dict]:
    return [{k: v for k, v in entity.items() if k != "confidence_entity"} for entity in entities]


def test_the_quick_load_restores_the_trained_model_exactly(model_path, understanding, monkeypatch):
    """Rasa's own load (a compiled training step, then the weights) against ours, same answers."""
    from rasa.core.agent import Agent

    monkeypatch.setenv("LINDUNGI_RASA_LOAD", "1")
    reference = Agent.load(str(model_path))
    texts = _held_out(150)
    loop = asyncio.new_event_loop()
    try:
        for text, mine in zip(texts, understanding.parse_many(texts, read=False)):
            _same(mine, loop.run_until_complete(reference.parse_message(for_model(text))))
    finally:
        loop.close()


def test_the_topic_is_served_in_rasas_response_selector_shape(understanding):
    """The TopicSelector writes what Rasa's ResponseSelector writes, so `rasa run` clients read it."""
    loop = asyncio.new_event_loop()
    try:
        result = loop.run_until_complete(understanding._agent.parse_message(
            "verifikasi wajah di jmo gagal terus, udah coba di tempat terang tetep ga bisa"))
    finally:
        loop.close()
    selector = result["response_selector"]["default"]
    assert selector["response"]["intent_response_key"] == "app_support/face_verification"
    assert selector["ranking"][0]["intent_response_key"] == "app_support/face_verification"
    assert "app_support" in result["response_selector"]["all_retrieval_intents"]
