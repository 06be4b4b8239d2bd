"""A whitespace tokenizer that also reads Indonesian chat spelling.

Each token keeps the text as typed (so entity offsets and character n-grams still see typos), and
gets a `lemma` with the standard spelling from `slang.yml`: "brp" → "berapa", "gk" → "tidak",
"iyaaa" → "iya". Featurizers configured with `use_lemma: true` (the CountVectorsFeaturizer default)
then see one word where users type five.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.lexicon import DEFAULT_LEXICON, load_lexicon, normalize_word  # noqa: F401


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
