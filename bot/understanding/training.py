"""Where the NLU model lives and when it must be retrained.

The model file is named after a hash of everything that shapes it (training data, domain, pipeline
config, custom components and the Rasa version), so `make train` retrains exactly when one of them
changed and every process can tell whether the model it finds is current.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from bot.understanding.files import ROOT

RASA_VERSION = "3.6.21"


def model_inputs(root: Path = ROOT, config: str = "nlu/config.yml") -> list[Path]:
    """Files whose content decides the trained model."""
    files = [root / config, root / "domain.yml", root / "bot" / "amounts.py"]
    files += sorted((root / "nlu" / "data").rglob("*.yml"))
    # Custom components shape only the pipelines that use them (not the stock baseline's).
    if "nlu.components" in (root / config).read_text(encoding="utf-8"):
        files += sorted((root / "nlu" / "components").glob("*.py"))
        files += sorted((root / "nlu" / "components").glob("*.yml"))
    return files


def model_hash(root: Path = ROOT, config: str = "nlu/config.yml") -> str:
    digest = hashlib.sha256(RASA_VERSION.encode())
    for path in model_inputs(root, config):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_dir(root: Path = ROOT) -> Path:
    return Path(os.environ.get("LINDUNGI_MODEL_DIR") or root / "models")


def model_path(root: Path = ROOT, config: str = "nlu/config.yml", prefix: str = "nlu") -> Path:
    """The model file that matches the current inputs (it may not exist yet).

    Lindungi's models are `models/nlu-<hash>.tar.gz`; other pipelines (the stock baseline of
    `make eval`) go to `models/<prefix>/` so that Rasa's "latest model in models/" stays ours.
    """
    folder = model_dir(root) if prefix == "nlu" else model_dir(root) / prefix
    return folder / f"{prefix}-{model_hash(root, config)}.tar.gz"


def find_model(root: Path = ROOT) -> Path | None:
    """The model to serve: LINDUNGI_MODEL if set, else the current one, else the newest one."""
    explicit = os.environ.get("LINDUNGI_MODEL")
    if explicit:
        return Path(explicit)
    current = model_path(root)
    if current.exists():
        return current
    candidates = sorted(model_dir(root).glob("nlu-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


def train(root: Path = ROOT, config: str = "nlu/config.yml", prefix: str = "nlu",
          nlu_data: str = "nlu/data", force: bool = False, guard: bool = True) -> Path:
    """Train with `rasa train nlu` unless a model for the current inputs already exists.

    When a model is already being served, the new one replaces it only if it does not score lower
    on the held-out file (the comparison is printed); a rejected model is kept aside in
    models/rejected/ and not retrained until the data changes again (or `train --force`).
    """
    target = model_path(root, config, prefix)
    if target.exists() and not force:
        print(f"NLU model is up to date: {target}")
        return target
    rejected = target.parent / "rejected" / target.name
    previous = _served(root, target) if prefix == "nlu" and guard else None
    if rejected.exists() and previous is not None and not force:
        print(f"The model for the current data was rejected earlier (it scored lower than {previous.name}); "
              f"still serving {previous.name}. `python -m bot train --force` trains and accepts it anyway.")
        return previous
    target.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    command = [
        sys.executable, "-m", "rasa", "train", "nlu",
        "--config", config, "--nlu", nlu_data, "--domain", "domain.yml",
        "--out", str(target.parent), "--fixed-model-name", target.name[: -len(".tar.gz")],
    ]
    print("Training the NLU model:", " ".join(command[2:]), flush=True)
    subprocess.run(command, cwd=root, env=env, check=True)
    if previous is not None and not force and not _no_drop(previous, target):
        rejected.parent.mkdir(parents=True, exist_ok=True)
        target.replace(rejected)
        print(f"Kept {previous.name}: the new model scored lower on the held-out file ({rejected}).")
        return previous
    for stale in target.parent.glob(f"{prefix}-*.tar.gz"):
        if stale != target:
            stale.unlink()
    return target


def _served(root: Path, target: Path) -> Path | None:
    """The model served now, if it is another one than `target`."""
    candidates = sorted(model_dir(root).glob("nlu-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    candidates = [p for p in candidates if p != target]
    return candidates[-1] if candidates else None


def _no_drop(previous: Path, candidate: Path) -> bool:
    """`make eval` on both models (held-out file); print the comparison; True if nothing dropped."""
    from bot.understanding.model import Understanding
    from bot.understanding.scoring import TEST_FILE, load_examples, score

    if not TEST_FILE.exists():
        print("No held-out file: the new model is used without comparison.")
        return True
    examples = load_examples()
    scores = []
    for name, path in (("current", previous), ("new", candidate)):
        nlu = Understanding(path).load()
        scores.append(score(name, nlu, examples))
        nlu.close()
    old, new = scores
    print("Held-out comparison before replacing the model:")
    print(f"  {'':<18}{'current':>10}{'new':>10}")
    for label, attr in (("intent accuracy", "accuracy"), ("macro F1", "macro_f1"),
                        ("informal accuracy", "informal_accuracy")):
        print(f"  {label:<18}{getattr(old, attr):>10.3f}{getattr(new, attr):>10.3f}")
    return new.accuracy >= old.accuracy and new.macro_f1 >= old.macro_f1 - 0.002
