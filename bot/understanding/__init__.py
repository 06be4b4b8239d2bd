"""Understanding what a user typed: the NLU in one place.

- `result`: what a parse gives (`Understood`: intent, topic, confidence, entities), from Rasa's output;
- `reading`: long messages read by what they ask (the whole text and its sentences, combined);
- `model`: the Rasa model in this process, one thread parsing in batches;
- `remote`: NLU servers over HTTP instead (`NLU_URL`);
- `server`: `python -m bot nlu-serve`, the model behind Rasa's HTTP parse API;
- `training`: the model file for the current data, trained when something changed;
- `scoring`, `baseline`, `evaluation`: `make eval` (held-out files, baselines, confidence table);
- `benchmark`: `make bench`'s model figures.

Only `result` and `reading` are imported here, so the engine can use `Understood` without Rasa.
"""
from bot.understanding.result import FALLBACK_INTENT, Understood, for_model, understood_from, unavailable

__all__ = ["FALLBACK_INTENT", "Understood", "Understanding", "RemoteUnderstanding", "for_model",
           "understood_from", "unavailable"]


def __getattr__(name: str):
    # `from bot.understanding import Understanding` keeps working without importing Rasa up front.
    if name == "Understanding":
        from bot.understanding.model import Understanding
        return Understanding
    if name == "RemoteUnderstanding":
        from bot.understanding.remote import RemoteUnderstanding
        return RemoteUnderstanding
    raise AttributeError(name)
