"""Where the NLU's files are: training data, held-out files, configs (one place, no imports)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "nlu" / "data"
# Held-out files, never trained on: the first one, and real-style messages from other sources.
TEST_FILE = ROOT / "tests" / "data" / "nlu_test.yml"
REAL_TEST_FILE = ROOT / "tests" / "data" / "nlu_test_real.yml"
