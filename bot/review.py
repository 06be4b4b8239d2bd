"""Reviewing what the bot misunderstood: grouping similar messages and exporting Rasa training data."""
from __future__ import annotations

import re

import yaml

from bot.privacy import mask_text

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


# Rasa reads `[text](entity)`, `[text]{"entity": …}` and `[text][{…}]` in an example as entity
# annotations; a space after the closing bracket makes it plain text again.
_ENTITY_MARKUP = re.compile(r"\](?=[({\[])")


def training_text(text: str) -> str:
    """A logged message as a training example: one line, identity data masked (again: the
    masking may have been narrower when it was logged), no Rasa entity markup."""
    return _ENTITY_MARKUP.sub("] ", " ".join(mask_text(text).split()))


def training_yaml(examples: dict[str, list[str]], note: str = "") -> str:
    """Rasa NLU YAML (version 3.1) with one block per intent."""
    blocks = []
    for intent in sorted(examples):
        texts = sorted({training_text(t) for t in examples[intent] if t.strip()})
        if texts:
            blocks.append({"intent": intent, "examples": _Literal("".join(f"- {t}\n" for t in texts))})
    header = f"# {note}\n" if note else ""
    return header + yaml.dump({"version": "3.1", "nlu": blocks}, Dumper=_Dumper, allow_unicode=True,
                              sort_keys=False)
