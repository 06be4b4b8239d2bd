"""Where the NLU's files are: training data, held-out files, configs (one place, no imports)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "nlu" / "data"
# Held-out files, never trained on. The first one and the real-style one are validation files: they
# have steered choices (pipeline, thresholds, data rounds) and the first one is `make train`'s gate.
TEST_FILE = ROOT / "tests" / "data" / "nlu_test.yml"
REAL_TEST_FILE = ROOT / "tests" / "data" / "nlu_test_real.yml"
# The untouched test split: scored only in `make eval`'s report; no gate or threshold looks at it.
UNTOUCHED_TEST_FILE = ROOT / "tests" / "data" / "nlu_test_untouched.yml"
