"""Topic selector: the concrete problem under an intent (`claim_jht/no_paklaring`), or none.

Trained on Rasa retrieval intents (`- intent: claim_jht/no_paklaring` in the NLU data): one
logistic regression over the same sparse features as the intent ensemble, whose labels are the
topics (`claim_jht/no_paklaring`) and the plain intents (`claim_jht`: a general question, no
topic). At prediction only the labels under the intent understood compete; the winner is written
as Rasa's ResponseSelector writes it (`response_selector.default`), so the bot reads a topic from
this component and from a stock `rasa run` alike. A plain intent winning means "no topic".

Unlike Rasa's ResponseSelector (a second DIET, ~1-2 min of training, trained on topic examples
only) it learns "no topic" from the intent's general examples and trains in seconds.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.ensemble import LinearModel, _features, fit_linear, load_linear

log = logging.getLogger(__name__)
MODEL_FILE = "topic_selector.npz"
RESPONSE_SELECTOR = "response_selector"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TopicSelector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # A topic wins over "no topic" once it has this share of the intent's probability: the
        # general examples of an intent also hold concrete problems labelled before topics existed,
        # which pulls towards "no topic"; a specific answer to a general question costs less.
        return {"C": 30.0, "max_iter": 1000, "tfidf": True, "min_topic_share": 0.15}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: LinearModel | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.model = model
        self._bases = self._base_index(model)

    @staticmethod
    def _base_index(model: LinearModel | None) -> Dict[str, np.ndarray]:
        if model is None:
            return {}
        bases: Dict[str, list] = {}
        for i, label in enumerate(model.classes_):
            bases.setdefault(str(label).partition("/")[0], []).append(i)
        return {base: np.array(idx) for base, idx in bases.items() if len(idx) > 1}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TopicSelector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        with_topics = {m.get(INTENT) for m in training_data.intent_examples if m.get(INTENT_RESPONSE_KEY)}
        rows, labels = [], []
        for message in training_data.intent_examples:
            if message.get(INTENT) not in with_topics:
                continue
            features = _features(message)
            if features is not None:
                rows.append(features)
                labels.append(message.get(INTENT_RESPONSE_KEY) or message.get(INTENT))
        if len(set(labels)) < 2:
            log.info("TopicSelector: no topics in the training data")
            return self._resource
        self.model = fit_linear(scipy.sparse.vstack(rows).tocsr(), labels, self.config)
        self._bases = self._base_index(self.model)
        with self._storage.write_to(self._resource) as directory:
            self.model.save(directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TopicSelector":
        return cls(config, model_storage, resource, load_linear(model_storage, resource, MODEL_FILE))

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        todo = []
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            features = _features(message)
            if intent in self._bases and features is not None:
                todo.append((message, intent, features))
        if not todo:
            return messages
        probabilities = self.model.predict_proba(scipy.sparse.vstack([f for _, _, f in todo]).tocsr())
        for (message, intent, _), row in zip(todo, probabilities):
            index = self._bases[intent]
            shares = row[index] / row[index].sum()
            order = list(np.argsort(-shares))
            topical = [i for i in order if "/" in str(self.model.classes_[index[i]])]
            if topical and shares[topical[0]] >= float(self.config["min_topic_share"]):
                order.remove(topical[0])
                order.insert(0, topical[0])
            ranking = [{"intent_response_key": str(self.model.classes_[index[i]]), "confidence": float(shares[i])}
                       for i in order]
            message.set(RESPONSE_SELECTOR, {
                "all_retrieval_intents": sorted(self._bases),
                "default": {"response": {**ranking[0], "responses": None,
                                         "utter_action": f"utter_{ranking[0]['intent_response_key']}"},
                            "ranking": ranking},
            }, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
