"""DIET as Rasa trains it, served faster: a quick load and one TensorFlow call per batch.

Training is Rasa's own DIETClassifier, unchanged. Two serving costs are removed:

- Loading. Rasa builds a loaded model's variables by running one *training* step on an example
  (compiling the whole gradient graph) before it restores the weights; on 2 cores that is most of
  the ~40 s a model takes to load and ~0.5 GB of memory. Here the weights are restored by the
  checkpoint's deferred restoration while one *prediction* builds the variables, which is all
  serving needs (the optimizer's slots in the checkpoint are not used).
- Parsing. Rasa's DIETClassifier predicts message by message; `process` receives a list, so here
  the whole list goes through the network in one call. A server that gathers concurrent requests
  into one list (bot/understanding/server.py) pays the TensorFlow call overhead once per batch.

tests/nlu/test_serving_diet.py checks that both give exactly what Rasa's own path gives.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.utils.tensorflow.constants import ENTITY_RECOGNITION, INTENT_CLASSIFICATION
from rasa.utils.tensorflow.models import RasaModel
from rasa.utils.tensorflow.model_data import RasaModelData

log = logging.getLogger(__name__)


class _ServingDIET(DIET):
    @classmethod
    def load(cls, model_file_name: Text, model_data_example: RasaModelData,
             predict_data_example: Optional[RasaModelData] = None, finetune_mode: bool = False,
             *args: Any, **kwargs: Any) -> RasaModel:
        # Training goes on, or Rasa's own load is asked for (LINDUNGI_RASA_LOAD=1, for comparisons).
        if finetune_mode or predict_data_example is None or os.environ.get("LINDUNGI_RASA_LOAD") == "1":
            return super().load(model_file_name, model_data_example, predict_data_example,
                                finetune_mode, *args, **kwargs)
        model = cls(*args, **kwargs)
        # Restored as each variable is created by the prediction below; the checkpoint's
        # optimizer slots have no counterpart in a serving model.
        model.load_weights(model_file_name).expect_partial()
        model.run_inference(predict_data_example)
        return model


def _row(out: Dict[Text, Any], index: int) -> Dict[Text, Any]:
    """Message `index`'s part of a batch's outputs, shaped as a batch of one."""
    row: Dict[Text, Any] = {}
    for key, value in out.items():
        if isinstance(value, dict):
            row[key] = _row(value, index)
        elif isinstance(value, np.ndarray) and value.ndim > 0:
            row[key] = value[index: index + 1]
        else:
            row[key] = value
    return row


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class ServingDIETClassifier(DIETClassifier):
    """Rasa's DIETClassifier with a quick load and batched prediction (same results)."""

    @staticmethod
    def model_class() -> Type[RasaModel]:
        return _ServingDIET

    def _predict_batch(self, messages: List[Message]) -> List[Optional[Dict[Text, Any]]]:
        if self.model is None or not messages:
            return [None] * len(messages)
        model_data = self._create_model_data(messages, training=False)
        if model_data.is_empty():
            return [None] * len(messages)
        out = self.model.run_inference(model_data, batch_size=len(messages))
        rows = [_row(out, i) for i in range(len(messages))]
        # Entity tags come padded to the batch's longest message: keep each message's own tokens.
        for row, message in zip(rows, messages):
            length = len(message.get(TOKENS_NAMES[TEXT], []))
            for key in [k for k in row if k.startswith("e_") and isinstance(row[k], np.ndarray)]:
                if row[key].ndim == 2:
                    row[key] = row[key][:, :length]
        return rows

    def process(self, messages: List[Message]) -> List[Message]:
        outputs = self._predict_batch(messages)
        for message, out in zip(messages, outputs):
            if self.component_config[INTENT_CLASSIFICATION]:
                label, label_ranking = self._predict_label(out)
                message.set(INTENT, label, add_to_output=True)
                message.set("intent_ranking", label_ranking, add_to_output=True)
            if self.component_config[ENTITY_RECOGNITION]:
                message.set(ENTITIES, self._predict_entities(out, message), add_to_output=True)
            if out and self._execution_context.should_add_diagnostic_data:
                message.add_diagnostic_data(self._execution_context.node_name, out.get(DIAGNOSTIC_DATA))
        return messages
