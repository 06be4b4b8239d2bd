"""The model promotion gate of `make train` (`python -m bot train [--force]`), on a throwaway copy of
the project with a tiny stock pipeline (real `rasa train nlu`, a few seconds each): a model that
scores lower on the held-out file is kept aside in models/rejected/ and the old one stays served,
it is not retrained until the data changes again, and `--force` accepts it. Also: the dashboard's
reviewed export is training data — Rasa's own loader reads it with the rest and it changes the
model's fingerprint. The real models/ folder is never touched."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.review import training_yaml
from bot.understanding.training import model_hash, model_path, train

ROOT = Path(__file__).resolve().parents[2]
TINY = """recipe: default.v1
assistant_id: gate-test
language: id
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
    max_iter: 200
policies: []
"""


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A copy of what shapes the model, with the tiny pipeline; models go to its own models/."""
    monkeypatch.delenv("LINDUNGI_MODEL_DIR", raising=False)
    monkeypatch.delenv("LINDUNGI_MODEL", raising=False)
    for name in ("domain.yml", "nlu/data", "bot/amounts.py"):
        src, dst = ROOT / name, tmp_path / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    (tmp_path / "nlu" / "config.yml").write_text(TINY)
    return tmp_path


def served(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "models").glob("nlu-*.tar.gz"))


def test_a_worse_model_is_kept_aside_and_force_accepts_it(project, capsys):
    first = train(project)                              # nothing served yet: no comparison
    assert first == model_path(project) and first.exists()
    # Most of the training data gone: the next model must score lower on the held-out file.
    folders = sorted(p for p in (project / "nlu" / "data").iterdir() if p.is_dir())
    for folder in folders[2:]:
        shutil.rmtree(folder)
    worse = model_path(project)
    assert worse != first
    kept = train(project)
    output = capsys.readouterr().out
    assert kept == first and first.exists(), output
    assert "Held-out comparison" in output and f"Kept {first.name}" in output
    assert (project / "models" / "rejected" / worse.name).exists() and not worse.exists()
    assert served(project) == [first.name]
    # Asked again with the same data: not retrained, the old model still served.
    assert train(project) == first
    assert "rejected earlier" in capsys.readouterr().out
    # --force: trained and accepted, the old model removed.
    forced = train(project, force=True)
    assert forced == worse and forced.exists()
    assert served(project) == [worse.name]


def test_the_reviewed_export_is_read_by_rasa_and_changes_the_fingerprint(project):
    from rasa.shared.nlu.training_data.loading import load_data

    before = model_hash(project)
    reviewed = project / "nlu" / "data" / "reviewed" / "reviewed.yml"     # the dashboard's default target
    reviewed.parent.mkdir(parents=True)
    reviewed.write_text(training_yaml({"claim_jht": ["pabrik tutup bos kabur jht sy gmn"],
                                       "claim_jht/no_paklaring": ["hrd ga mau kasih paklaring, klaim bisa?"]},
                                      "Reviewed by staff (test)."), encoding="utf-8")
    assert model_hash(project) != before
    data = load_data(str(project / "nlu" / "data"))             # what `rasa train nlu --nlu nlu/data` reads
    found = {(m.get("text"), m.get("intent"), m.get("intent_response_key")) for m in data.intent_examples}
    assert ("pabrik tutup bos kabur jht sy gmn", "claim_jht", None) in found
    assert ("hrd ga mau kasih paklaring, klaim bisa?", "claim_jht", "claim_jht/no_paklaring") in found
