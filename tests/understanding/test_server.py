"""`python -m bot nlu-serve` as a real process: Rasa's parse API, batched, for NLU_URL."""
from __future__ import annotations

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.engine.engine import Engine
from bot.engine.events import TextEvent
from bot.understanding import RemoteUnderstanding

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def nlu_server(model_path, tmp_path_factory):
    port = _free_port()
    log = open(tmp_path_factory.mktemp("nlu") / "server.log", "wb")
    env = dict(os.environ, LINDUNGI_MODEL=str(model_path), RASA_TELEMETRY_ENABLED="false", PYTHONWARNINGS="ignore")
    process = subprocess.Popen([sys.executable, "-m", "bot", "nlu-serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    states = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            status, body = _get(f"{url}/healthz")
            states.append(status)
            if status == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        assert process.poll() is None, Path(log.name).read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    else:
        pytest.fail("the NLU server did not become ready")
    yield url, states, Path(log.name)
    process.terminate()
    process.wait(30)
    output = Path(log.name).read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]


def test_health_says_loading_until_the_model_is_there(nlu_server):
    url, states, _ = nlu_server
    assert 503 in states, f"no 503 while the model loaded: {states}"
    assert set(states) == {503, 200} and states[-1] == 200
    assert states.index(200) == len(states) - 1      # loading, loading, …, ready


def test_it_answers_like_rasa_and_the_bot_uses_it_through_nlu_url(nlu_server, knowledge, understanding):
    url, _, _ = nlu_server
    text = "brp iuran jkk klo gaji 2jt"
    status, body = _post(f"{url}/model/parse", json.dumps({"text": text}).encode())
    assert status == 200
    here = understanding.parse(text)                # the same model in this process
    assert body["intent"]["name"] == here.intent in ("calculate_contribution", "contribution_bpu")
    assert body["intent"]["confidence"] == pytest.approx(here.confidence, abs=1e-5)
    assert {"entity": "amount", "value": 2_000_000} in [{k: e[k] for k in ("entity", "value")} for e in body["entities"]]
    assert body["intent_ranking"][0]["name"] == here.intent
    remote = RemoteUnderstanding([url])
    outcome = Engine(remote, knowledge).handle(TextEvent("brp iuran bpjs tk buat pedagang sebulan"))
    assert outcome.understood.intent == "contribution_bpu" and "16.800" in outcome.replies[0].text


def test_bad_requests_get_a_clear_400(nlu_server):
    url, _, _ = nlu_server
    for body in (b"not json", b'{"txt": "halo"}', json.dumps({"text": "x" * 10_001}).encode()):
        status, answer = _post(f"{url}/model/parse", body)
        assert status == 400 and "text" in answer["error"]


def test_a_client_that_hangs_up_mid_request_is_no_error(nlu_server):
    """A bot worker killed while sending its text (the chaos test does this) leaves a half-sent
    body; the server drops it quietly and goes on answering."""
    url, _, log_path = nlu_server
    port = int(url.rsplit(":", 1)[1])
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"POST /model/parse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 200\r\n\r\n{\"text\": \"brp iuran")
    status, answer = _post(f"{url}/model/parse", json.dumps({"text": "halo"}).encode())
    assert status == 200 and answer["text"] == "halo"
    output = log_path.read_text(errors="replace")
    assert "Traceback" not in output and "ClientDisconnect" not in output, output[-3000:]


def test_concurrent_questions_are_parsed_together_each_with_its_own_answer(nlu_server, understanding):
    from bot.understanding.scoring import load_examples

    url, _, _ = nlu_server
    examples = list({e.text: e for e in load_examples()}.values())[:96]
    expected = {e.text: understanding.parse(e.text).intent for e in examples}
    _, before = _get(f"{url}/status")
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda e: _post(f"{url}/model/parse", json.dumps({"text": e.text}).encode()),
                                examples))
    assert all(status == 200 for status, _ in answers)
    assert [body["intent"]["name"] for _, body in answers] == [expected[e.text] for e in examples]
    _, after = _get(f"{url}/status")
    assert after["parsed_messages"] - before["parsed_messages"] <= len(examples)
    assert after["batches"] - before["batches"] < len(examples)


def test_several_processes_share_one_port_and_answer_alike(model_path, understanding, tmp_path):
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")
    env = dict(os.environ, LINDUNGI_MODEL=str(model_path), RASA_TELEMETRY_ENABLED="false", PYTHONWARNINGS="ignore")
    process = subprocess.Popen([sys.executable, "-m", "bot", "nlu-serve", "--port", str(port), "--processes", "2"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    texts = ["cara klaim jht gmn", "otp jmo ga masuk", "kena phk dapat jkp ga", "makasih min"] * 5
    try:
        deadline = time.monotonic() + 180
        answered: list[str] = []
        while time.monotonic() < deadline and len(answered) < len(texts):
            assert process.poll() is None, (tmp_path / "server.log").read_text(errors="replace")[-3000:]
            try:
                status, body = _post(f"{url}/model/parse", json.dumps({"text": texts[len(answered)]}).encode())
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
                continue
            if status == 200:                       # a process still loading says 503: ask again
                answered.append(body["intent"]["name"])
            else:
                time.sleep(0.2)
        assert answered == [understanding.parse(text).intent for text in texts]
    finally:
        process.terminate()
        process.wait(30)
        log.close()
    output = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
