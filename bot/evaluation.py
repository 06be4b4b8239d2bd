"""`make eval`: how well the model understands the held-out file, next to the stock pipeline.

Reports intent accuracy, macro F1, per-intent F1, the worst confusion pairs, accuracy on the
informal/typo examples, `program` entity accuracy, and the confidence histogram that the
FallbackClassifier threshold is picked from. The held-out file is never trained on.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.training import ROOT, train
from bot.understanding import FALLBACK_INTENT, Understanding

TEST_FILE = ROOT / "tests" / "data" / "nlu_test.yml"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    style: str
    programs: tuple[str, ...]


def load_examples(path: Path = TEST_FILE) -> list[Example]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().read(str(path))
    examples = []
    for message in data.intent_examples:
        meta = (message.get("metadata") or {}).get("intent") or {}
        programs = tuple(e["value"] for e in message.get("entities") or [] if e["entity"] == "program")
        examples.append(Example(message.get("text"), message.get("intent"), meta.get("style", "formal"), programs))
    return examples


@dataclass
class Scores:
    name: str
    accuracy: float
    answered_accuracy: float
    fallback_rate: float
    macro_f1: float
    informal_accuracy: float
    program_accuracy: float
    per_intent_f1: dict
    confusions: list
    histogram: list
    parse_seconds: float


def top(understood) -> tuple[str, float]:
    """The classifier's best intent and its confidence, looking past the fallback label."""
    for name, confidence in understood.ranking:
        if name != FALLBACK_INTENT:
            return name, confidence
    return understood.intent, understood.confidence


def score(name: str, understanding: Understanding, examples: list[Example]) -> Scores:
    from sklearn.metrics import f1_score

    start = time.perf_counter()
    results = understanding.parse_many([e.text for e in examples])
    seconds = time.perf_counter() - start
    gold = [e.intent for e in examples]
    predicted = [top(r)[0] for r in results]
    labels = sorted(set(gold))
    f1s = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    informal = [(g, p) for e, g, p in zip(examples, gold, predicted) if e.style == "informal"]
    with_program = [(e, r) for e, r in zip(examples, results) if e.programs]
    program_hits = sum(
        1 for e, r in with_program
        if sorted(x["value"] for x in r.entities if x["entity"] == "program") == sorted(e.programs)
    )
    confusions = Counter((g, p) for g, p in zip(gold, predicted) if g != p).most_common(10)
    bins = [0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]
    histogram = []
    for low, high in zip(bins, bins[1:]):
        inside = [g == p for g, p, r in zip(gold, predicted, results) if low <= top(r)[1] < high]
        histogram.append((low, high, sum(inside), len(inside) - sum(inside)))
    return Scores(
        name=name,
        accuracy=sum(g == p for g, p in zip(gold, predicted)) / len(gold),
        answered_accuracy=sum(g == r.intent for g, r in zip(gold, results)) / len(gold),
        fallback_rate=sum(r.is_fallback for r in results) / len(results),
        macro_f1=float(f1s.mean()),
        informal_accuracy=sum(g == p for g, p in informal) / max(1, len(informal)),
        program_accuracy=program_hits / max(1, len(with_program)),
        per_intent_f1=dict(zip(labels, (float(x) for x in f1s))),
        confusions=confusions,
        histogram=histogram,
        parse_seconds=seconds,
    )


def report(ours: Scores, stock: Scores | None, examples: list[Example]) -> str:
    informal = sum(e.style == "informal" for e in examples)
    lines = [
        "# NLU evaluation on tests/data/nlu_test.yml",
        "",
        f"{len(examples)} held-out examples ({informal} informal/typo), {len(ours.per_intent_f1)} intents.",
        "",
        "| metric | lindungi | stock rasa init |",
        "|---|---|---|",
    ]
    rows = [
        ("intent accuracy", "accuracy"),
        ("macro F1", "macro_f1"),
        ("accuracy, informal/typo examples", "informal_accuracy"),
        ("answered correctly (not fallback)", "answered_accuracy"),
        ("fallback rate", "fallback_rate"),
        ("program entity accuracy", "program_accuracy"),
    ]
    for label, attr in rows:
        other = f"{getattr(stock, attr):.3f}" if stock else "—"
        lines.append(f"| {label} | {getattr(ours, attr):.3f} | {other} |")
    lines += ["", "## Per-intent F1 (lindungi)", "", "| intent | F1 | stock |", "|---|---|---|"]
    for intent, f1 in sorted(ours.per_intent_f1.items(), key=lambda kv: kv[1]):
        other = f"{stock.per_intent_f1.get(intent, 0):.2f}" if stock else "—"
        lines.append(f"| {intent} | {f1:.2f} | {other} |")
    lines += ["", "## Worst confusions (gold → predicted, count)", ""]
    lines += [f"- {g} → {p}: {n}" for (g, p), n in ours.confusions] or ["- none"]
    lines += ["", "## Confidence of the top intent (for the fallback threshold)", "",
              "| confidence | correct | wrong |", "|---|---|---|"]
    lines += [f"| {low:.1f}–{min(high, 1):.1f} | {right} | {wrong} |" for low, high, right, wrong in ours.histogram]
    return "\n".join(lines) + "\n"


def main(args) -> int:
    examples = load_examples()
    ours_model = train()
    stock_model = None if args.no_stock else train(config="nlu/config.stock.yml", prefix="stock")
    ours = score("lindungi", Understanding(ours_model).load(), examples)
    stock = score("stock", Understanding(stock_model).load(), examples) if stock_model else None
    text = report(ours, stock, examples)
    out = ROOT / args.report
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"Written to {args.report}")
    return 0
