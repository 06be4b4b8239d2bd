"""The plain baseline `make eval` compares against: TF-IDF word and character n-grams with a
logistic regression over intent and intent/topic labels, trained on the same files as the model.

No fallback (it always answers), no entities: it tells whether the pipeline earns its complexity.
"""
from __future__ import annotations

from pathlib import Path

from bot.understanding.result import Understood
from bot.understanding.files import DATA_DIR


def training_examples(data_dir: Path = DATA_DIR) -> tuple[list[str], list[str]]:
    """(texts, labels) of the training data, labels `intent` or `intent/topic`."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(data_dir))
    texts, labels = [], []
    for message in data.intent_examples:
        texts.append(message.get("text"))
        labels.append(message.get("intent_response_key") or message.get("intent"))
    return texts, labels


class TfidfBaseline:
    def __init__(self, texts: list[str], labels: list[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        features = make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        )
        self.model = make_pipeline(features, LogisticRegression(C=10.0, max_iter=2000, random_state=42))
        self.model.fit([t.lower() for t in texts], labels)

    def parse_many(self, texts: list[str]) -> list[Understood]:
        probabilities = self.model.predict_proba([t.lower() for t in texts])
        classes = list(self.model.classes_)
        results = []
        for text, row in zip(texts, probabilities):
            by_intent: dict[str, float] = {}
            for label, p in zip(classes, row):
                intent = label.partition("/")[0]
                by_intent[intent] = by_intent.get(intent, 0.0) + float(p)
            ranking = tuple(sorted(by_intent.items(), key=lambda kv: -kv[1]))
            intent, confidence = ranking[0]
            best = max((i for i, label in enumerate(classes) if label.partition("/")[0] == intent),
                       key=lambda i: row[i])
            results.append(Understood(text=text, intent=intent, confidence=confidence, ranking=ranking,
                                      topic=classes[best].partition("/")[2],
                                      topic_confidence=float(row[best]) / confidence))
        return results
