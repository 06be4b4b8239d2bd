"""`python -m bot ask` as a user runs it: real process, real model."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bot(*args, stdin="", env=None, model_path=None):
    environment = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "LINDUNGI_TODAY": "2026-11-23"}
    if model_path:
        environment["LINDUNGI_MODEL"] = str(model_path)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=environment, timeout=600)


def test_ask_jsonl_loads_once_and_answers_each_line(model_path):
    lines = "brp iuran bpjs tk buat pedagang sebulan\n\nhitung iuran gaji 2,5 juta\nmakasih ya min\n"
    done = run_bot("ask", "--jsonl", stdin=lines, model_path=model_path)
    assert done.returncode == 0, done.stderr[-2000:]
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(objects) == 3                       # the blank line is skipped
    first = objects[0]
    assert set(first) == {"text", "intent", "topic", "confidence", "entities", "reply", "buttons"}
    assert first["intent"] == "contribution_bpu" and "16.800" in first["reply"]
    assert 0 < first["confidence"] <= 1
    calc = objects[1]
    assert {"entity": "amount", "value": 2_500_000} in [
        {k: e[k] for k in ("entity", "value")} for e in calc["entities"]]
    assert "Rp2.600.000" in calc["reply"]          # level 9 base
    assert objects[2]["intent"] == "thanks"
    assert first["topic"] is None and objects[2]["topic"] is None


def test_ask_json_names_the_topic_of_a_concrete_problem(model_path):
    text = "perusahaan tempat saya kerja dulu udah bangkrut dan tutup, hrd nya ga bisa dihubungi. jht saya bisa dicairin ga?"
    done = run_bot("ask", "--json", text, model_path=model_path)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert (answer["intent"], answer["topic"]) == ("claim_jht", "company_closed")


def test_ask_json_and_plain(model_path):
    done = run_bot("ask", "--json", "jkm", "itu", "apa", model_path=model_path)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["text"] == "jkm itu apa" and answer["reply"]
    plain = run_bot("ask", "nomor call center bpjs tk berapa", model_path=model_path)
    assert plain.returncode == 0 and "175" in plain.stdout


def test_ask_without_a_model_explains_what_to_do(tmp_path):
    done = run_bot("ask", "halo", env={"LINDUNGI_MODEL_DIR": str(tmp_path), "LINDUNGI_MODEL": ""})
    assert done.returncode == 2
    assert "make train" in done.stderr
    assert "Traceback" not in done.stderr
