"""The repository is a standard Rasa project: plain `rasa` commands work on it as it is."""
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_rasa_data_validate_passes():
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-m", "rasa", "data", "validate"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def test_plain_rasa_defaults_point_at_the_nlu_folder():
    assert (ROOT / "config.yml").resolve() == (ROOT / "nlu" / "config.yml").resolve()
    assert (ROOT / "data").resolve() == (ROOT / "nlu" / "data").resolve()


def test_every_domain_intent_has_training_examples():
    from rasa.shared.nlu.training_data.loading import load_data

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]
    counts = {}
    for message in load_data(str(ROOT / "nlu" / "data")).intent_examples:
        counts[message.get("intent")] = counts.get(message.get("intent"), 0) + 1
    knowledge = domain[: domain.index("greet")]
    assert {i: counts.get(i, 0) for i in knowledge if counts.get(i, 0) < 30} == {}
    assert set(counts) == set(domain)
