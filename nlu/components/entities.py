"""Deterministic `amount` and `period` entities with integer values.

Workers write incomes in many ways ("2jt", "2,5 juta", "Rp 2.500.000", "1500rb", "dua juta");
`bot.amounts` reads them all, so the NLU reports `amount` as an integer of rupiah and `period` as
an integer of months, instead of a statistical extractor guessing spans of numbers.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.amounts import find_amounts, find_periods


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class AmountPeriodExtractor(GraphComponent):
    """Adds `amount` (rupiah) and `period` (months) entities read by `bot.amounts`."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AmountPeriodExtractor":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = [("amount", f) for f in find_amounts(text)]
            found += [("period", f) for f in find_periods(text)]
            if not found:
                continue
            entities = list(message.get(ENTITIES) or [])
            for name, f in found:
                entities.append(
                    {
                        ENTITY_ATTRIBUTE_TYPE: name,
                        ENTITY_ATTRIBUTE_START: f.start,
                        ENTITY_ATTRIBUTE_END: f.end,
                        ENTITY_ATTRIBUTE_VALUE: f.value,
                        EXTRACTOR: self.__class__.__name__,
                        "text": f.text,
                    }
                )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
