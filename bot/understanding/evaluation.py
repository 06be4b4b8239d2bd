"""`make eval`: how well messages are understood on the held-out files, next to two baselines.

Three readers, all trained on the same files in this run: Lindungi (its pipeline plus reading long
messages by sentence), the stock `rasa init` pipeline (plain Rasa, as it reads a message) and a
TF-IDF + logistic regression. Three held-out files, never trained on. Two are validation files:
they have steered choices (pipeline, thresholds, data rounds) and `tests/data/nlu_test.yml` (the
first one) is `make train`'s promotion gate; `tests/data/nlu_test_real.yml` holds real-style
messages (long stories, complaints, app errors, written from other public material than the
training data). The third, `tests/data/nlu_test_untouched.yml`, is the test split: it is scored
here only, in this report, and no gate or threshold looks at it. Reported per file: intent
accuracy, macro F1, topic accuracy where a topic is labelled, accuracy per tag, "answered
correctly" (no "Maksud Anda…?"), the fallback rate, the confidence table the fallback threshold is
picked from (validation files only), and the worst confusions.

`python -m bot eval --current-model` scores the model being served as it is (no training, no stock
pipeline): a quick look, not the report `make eval` writes.
"""
from __future__ import annotations

from collections import Counter

from bot.understanding.files import REAL_TEST_FILE, ROOT, TEST_FILE, UNTOUCHED_TEST_FILE
from bot.understanding.scoring import TAGS, Scores, load_examples, score
from bot.understanding.training import train

FILES = (("nlu_test.yml (validation; `make train`'s gate)", TEST_FILE),
         ("nlu_test_real.yml (validation, real-style)", REAL_TEST_FILE),
         ("nlu_test_untouched.yml (untouched test split: no decision looks at it)", UNTOUCHED_TEST_FILE))
ROWS = (
    ("intent accuracy", "accuracy"),
    ("macro F1", "macro_f1"),
    ("topic accuracy (topic labelled)", "topic_accuracy"),
    ("answered correctly: intent (no \"Maksud Anda…?\")", "answered_accuracy"),
    ("answered correctly: intent and topic", "answered_label_accuracy"),
    ("answered wrongly: wrong intent, not asked back", "wrong_answer_rate"),
    ("fallback rate (asks back)", "fallback_rate"),
    ("`program` entity accuracy", "program_accuracy"),
)


class _Raw:
    """The stock model read as plain Rasa reads a message: the whole text, once."""

    def __init__(self, understanding):
        self.understanding = understanding

    def parse_many(self, texts):
        return self.understanding.parse_many(texts, read=False)


def _cell(scores: Scores | None, attr: str) -> str:
    return f"{getattr(scores, attr):.3f}" if scores else "—"


def file_report(title: str, examples, results: list[Scores], tuning: bool = True) -> list[str]:
    names = [s.name for s in results]
    tags = Counter(tag for e in examples for tag in e.tags)
    topics = sum(1 for e in examples if e.topic)
    lines = [f"## {title}", "",
             f"{len(examples)} examples, {topics} with a topic; "
             + ", ".join(f"{tags[t]} {t}" for t in TAGS if tags[t]) + ".", "",
             "| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, attr in ROWS:
        if attr == "topic_accuracy" and not topics:
            continue                    # no topic labelled in this file: nothing to score
        lines.append(f"| {label} | " + " | ".join(_cell(s, attr) for s in results) + " |")
    for tag in TAGS:
        if tags[tag]:
            cells = [f"{s.per_tag.get(tag, (0, 0))[0]:.3f}" for s in results]
            lines.append(f"| accuracy, {tag} ({tags[tag]}) | " + " | ".join(cells) + " |")
    if not tuning:
        # The test split shows its scores only: no threshold table, no confusions or misread texts
        # that would aim the next data round at it.
        return lines + ["", "Scores only: what this file gets wrong is not shown, so that no change aims at it.", ""]
    ours = results[0]
    lines += ["", f"### Confidence of the top intent ({ours.name}): how often it is right", "",
              "| confidence | messages | right | share right |", "|---|---|---|---|"]
    for low, high, right, wrong in ours.histogram:
        n = right + wrong
        share = f"{right / n:.2f}" if n else "—"
        lines.append(f"| {low:.1f}–{min(high, 1):.1f} | {n} | {right} | {share} |")
    lines += ["", f"### Worst confusions ({ours.name}; gold → predicted, count)", ""]
    lines += [f"- {g} → {p}: {n}" for (g, p), n in ours.confusions] or ["- none"]
    lines += ["", f"### Lowest per-intent F1 ({ours.name})", "", "| intent | F1 | " +
              " | ".join(names[1:]) + " |", "|---" * (len(names) + 1) + "|"]
    for intent, f1 in sorted(ours.per_intent_f1.items(), key=lambda kv: kv[1])[:12]:
        others = " | ".join(f"{s.per_intent_f1.get(intent, 0):.2f}" for s in results[1:])
        lines.append(f"| {intent} | {f1:.2f} | {others} |")
    return lines + [""]


def main(args) -> int:
    from bot.understanding.baseline import TfidfBaseline, training_examples
    from bot.understanding.model import Understanding

    if getattr(args, "current_model", False):
        from bot.understanding.training import find_model

        ours_model = find_model()
        if ours_model is None:
            print("No model: run `make train` first.")
            return 2
    else:
        ours_model = train()
    readers = [("lindungi", Understanding(ours_model).load())]
    if not args.no_stock and not getattr(args, "current_model", False):
        stock_model = train(config="nlu/config.stock.yml", prefix="stock")
        readers.append(("stock rasa init", _Raw(Understanding(stock_model).load())))
    readers.append(("tf-idf + LR", TfidfBaseline(*training_examples())))
    lines = ["# NLU evaluation", "",
             "Trained on the same files (`nlu/data/`); no held-out file is ever trained on. The first two",
             "are validation files (they have steered choices; the first is `make train`'s gate); the",
             "untouched test split is scored here only.", ""]
    for title, path in FILES:
        if not path.exists():
            continue
        examples = load_examples(path)
        results = [score(name, reader, examples) for name, reader in readers]
        lines += file_report(title, examples, results, tuning=path != UNTOUCHED_TEST_FILE)
        if path == REAL_TEST_FILE:
            wrong = results[0].wrong
            lines += [f"### Misread real-style messages ({results[0].name}, {len(wrong)})", ""]
            lines += [f"- `{e.label}` → `{p}` ({c:.2f}): {e.text[:160]}" for e, p, c in wrong]
            lines.append("")
    text = "\n".join(lines) + "\n"
    report = args.report or ("reports/eval-current.md" if getattr(args, "current_model", False) else "reports/eval.md")
    out = ROOT / report
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"Written to {report}")
    return 0
