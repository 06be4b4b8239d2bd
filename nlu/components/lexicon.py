"""Indonesian chat spelling → standard words (`slang.yml`), without Rasa: the tokenizer gives each
token this lemma, and the dialogue engine reads follow-ups with the same words."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict

import yaml

DEFAULT_LEXICON = Path(__file__).with_name("slang.yml")
_REPEATS = re.compile(r"(.)\1{2,}")


def load_lexicon(path: Path = DEFAULT_LEXICON) -> Dict[str, str]:
    """Variant spelling → standard word, from a YAML mapping of standard word → variants."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lexicon: Dict[str, str] = {}
    for standard, variants in data.items():
        lexicon[str(standard).lower()] = str(standard).lower()
        for variant in variants or []:
            lexicon[str(variant).lower()] = str(standard).lower()
    return lexicon


def normalize_word(word: str, lexicon: Dict[str, str]) -> str:
    """The standard spelling of one typed word (the word itself, lowercased, if unknown)."""
    low = word.lower()
    if low in lexicon:
        return lexicon[low]
    # Stretched words: "iyaaa", "makasihhh", "tolongg" (a doubled letter is tried, then a single).
    for squeezed in (_REPEATS.sub(r"\1\1", low), _REPEATS.sub(r"\1", low), re.sub(r"(.)\1+$", r"\1", low)):
        if squeezed in lexicon:
            return lexicon[squeezed]
    # Reduplication with a digit: "anak2" → "anak".
    if low.endswith("2") and low[:-1] in lexicon:
        return lexicon[low[:-1]]
    return low
