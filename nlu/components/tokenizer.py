"""A whitespace tokenizer that also reads Indonesian chat spelling.

Each token keeps the text as typed (so entity offsets and character n-grams still see typos), and
gets a `lemma` with the standard spelling from `slang.yml`: "brp" → "berapa", "gk" → "tidak",
"iyaaa" → "iya". Featurizers configured with `use_lemma: true` (the CountVectorsFeaturizer default)
then see one word where users type five.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

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


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class IndonesianTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer whose tokens carry the standard Indonesian spelling as lemma."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "normalize": True, "lexicon": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        path = Path(config["lexicon"]) if config.get("lexicon") else DEFAULT_LEXICON
        self._lexicon = load_lexicon(path) if config.get("normalize", True) else {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IndonesianTokenizer":
        return cls(config)

    @staticmethod
    def not_supported_languages() -> Optional[List[Text]]:
        return None

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        if attribute == TEXT and self._lexicon:
            for token in tokens:
                token.lemma = normalize_word(token.text, self._lexicon)
        return tokens
