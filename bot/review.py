"""Reviewing what the bot misunderstood: grouping similar messages and exporting Rasa training data."""
from __future__ import annotations

import re

import yaml

MAX_NORMALIZED = 200


def normalize(text: str) -> str:
    """Lowercase, punctuation to spaces, one space between words: similar messages share a key."""
    text = re.sub(r"[^\w\s]", " ", (text or "").lower())
    return re.sub(r"\s+", " ", text).strip()[:MAX_NORMALIZED]


class _Literal(str):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data,
                                                                               style="|"))


def training_yaml(examples: dict[str, list[str]], note: str = "") -> str:
    """Rasa NLU YAML (version 3.1) with one block per intent."""
    blocks = []
    for intent in sorted(examples):
        texts = sorted({" ".join(t.split()) for t in examples[intent] if t.strip()})
        if texts:
            blocks.append({"intent": intent, "examples": _Literal("".join(f"- {t}\n" for t in texts))})
    header = f"# {note}\n" if note else ""
    return header + yaml.dump({"version": "3.1", "nlu": blocks}, Dumper=_Dumper, allow_unicode=True,
                              sort_keys=False)
