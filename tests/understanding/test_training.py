"""The model is keyed on a hash of what shapes it, so `make train` retrains exactly when needed."""
import shutil
from pathlib import Path

from bot.understanding.training import model_hash, model_path

ROOT = Path(__file__).resolve().parents[2]


def _copy_project(tmp_path: Path) -> Path:
    for name in ("domain.yml", "nlu", "bot/amounts.py"):
        src, dst = ROOT / name, tmp_path / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    return tmp_path


def test_hash_changes_with_training_data_config_and_components(tmp_path):
    root = _copy_project(tmp_path)
    first = model_hash(root)
    assert model_hash(root) == first
    data = next((root / "nlu" / "data").glob("*.yml"))
    data.write_text(data.read_text() + "\n# comment\n")
    second = model_hash(root)
    assert second != first
    (root / "nlu" / "config.yml").write_text((root / "nlu" / "config.yml").read_text() + "\n")
    assert model_hash(root) != second


def test_hash_ignores_files_that_do_not_shape_the_model(tmp_path):
    root = _copy_project(tmp_path)
    first = model_hash(root)
    (root / "README.md").write_text("docs")
    (root / "nlu" / "INTENTS.md").write_text("changed guide")
    assert model_hash(root) == first


def test_model_file_is_named_after_the_hash(tmp_path):
    root = _copy_project(tmp_path)
    assert model_path(root).name == f"nlu-{model_hash(root)}.tar.gz"
