"""The model of a serving process waits a moment for other users' texts, so they share one run of
the pipeline, and reads each of them as it would alone (bot/understanding/model.py)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.config import Settings

TEXTS = ["brp iuran jkk klo gaji 2jt", "cara klaim jht gmn min, sy udh resign"]


def _two_users(understanding, linger: float):
    """The second user's text arrives 50 ms after the first one's; the runs they took, and readings."""
    before, understanding.linger = understanding.linger, linger
    try:
        runs = understanding.batches
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(understanding.parse_many, [TEXTS[0]])
            time.sleep(0.05)
            second = pool.submit(understanding.parse_many, [TEXTS[1]])
            readings = [first.result(30)[0], second.result(30)[0]]
        return understanding.batches - runs, readings
    finally:
        understanding.linger = before


def test_two_users_texts_a_moment_apart_share_one_run_and_read_as_alone(understanding):
    alone = [understanding.parse_many([text])[0] for text in TEXTS]
    runs, together = _two_users(understanding, linger=0.5)
    assert runs == 1
    assert [u.intent for u in together] == [u.intent for u in alone]
    assert [u.confidence for u in together] == pytest.approx([u.confidence for u in alone], abs=1e-5)
    assert together[0].entity("amount") == alone[0].entity("amount") == 2_000_000


def test_without_waiting_each_text_takes_a_run_of_its_own(understanding):
    runs, _ = _two_users(understanding, linger=0.0)
    assert runs == 2


def test_only_serving_processes_wait(model_path, monkeypatch):
    """`bot run` and `nlu-serve` wait (LINDUNGI_NLU_LINGER_MS, 20 by default); `bot ask` and the
    shell, one user at a time, never do."""
    from bot.runtime import build_engine

    def linger(serving: bool) -> float:
        engine = build_engine(Settings(), model_path, background=True, start_model=False, serving=serving)
        return engine.understanding.linger          # not loaded: nothing to close

    monkeypatch.delenv("LINDUNGI_NLU_LINGER_MS", raising=False)
    assert (linger(serving=True), linger(serving=False)) == (0.02, 0.0)
    monkeypatch.setenv("LINDUNGI_NLU_LINGER_MS", "5")
    assert (linger(serving=True), linger(serving=False)) == (0.005, 0.0)
