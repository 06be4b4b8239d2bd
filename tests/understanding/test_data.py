"""The NLU data: laid out by topic, every topic answered, and held-out files that stay held out."""
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from bot.understanding.files import DATA_DIR, REAL_TEST_FILE, ROOT, TEST_FILE, UNTOUCHED_TEST_FILE
from bot.understanding.scoring import load_examples

NEAR_DUPLICATE = 0.9     # token Jaccard after normalisation


@lru_cache(maxsize=1)
def training():
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(DATA_DIR)).intent_examples


@lru_cache(maxsize=1)
def lexicon():
    from nlu.components.tokenizer import load_lexicon

    return load_lexicon()


def normalized(text: str) -> tuple[str, ...]:
    """The words as the model reads them: lowercased, punctuation gone, slang mapped to lemmas."""
    from nlu.components.tokenizer import normalize_word

    return tuple(normalize_word(word, lexicon()) for word in re.findall(r"\w+", text.lower()))


def topics_in_guide() -> set[str]:
    text = (ROOT / "nlu" / "INTENTS.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z_]+/[a-z_]+)` \|", text, re.MULTILINE))


def test_training_data_is_one_file_per_intent_in_topic_folders():
    groups = {"programs", "claims", "contributions", "registration", "app", "rights", "scope",
              "conversation", "actions", "reviewed"}
    for path in DATA_DIR.rglob("*.yml"):
        relative = path.relative_to(DATA_DIR)
        if relative == Path("synonyms.yml"):
            continue
        assert relative.parts[0] in groups, relative
        assert not re.search(r"round|more|extra|new", path.stem), f"{relative}: name files by topic"
        if relative.parts[0] == "reviewed":
            continue
        items = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
        intents = {item["intent"].partition("/")[0] for item in items if "intent" in item}
        assert intents == {path.stem}, f"{relative} holds {intents}"


def test_every_topic_has_training_examples_an_answer_and_a_line_in_the_guide(knowledge):
    counts = Counter(m.get("intent_response_key") for m in training() if m.get("intent_response_key"))
    answered = {f"{intent}/{topic}" for intent, answer in knowledge.answers.answers.items() for topic in answer.topics}
    guide = topics_in_guide()
    assert len(guide) >= 35
    assert set(counts) == guide == answered
    assert {t: n for t, n in counts.items() if n < 15} == {}


def test_new_style_training_data_is_long_enough():
    """Real messages are stories: at least a third of the topic examples have 25+ words."""
    topical = [m.get("text") for m in training() if m.get("intent_response_key")]
    long = [t for t in topical if len(t.split()) >= 25]
    assert len(long) >= len(topical) / 3, (len(long), len(topical))


def test_real_style_held_out_file_is_large_labelled_and_sourced():
    examples = load_examples(REAL_TEST_FILE)
    assert len(examples) >= 300
    assert len({e.text for e in examples}) == len(examples)
    assert all(e.source for e in examples), "every block names the kind of source that inspired it"
    assert sum("long" in e.tags for e in examples) >= len(examples) / 3
    assert sum(e.speaker == "owner" for e in examples) >= 20
    per_topic = Counter(e.label for e in examples if e.topic)
    assert {t: per_topic[t] for t in topics_in_guide() if per_topic[t] < 3} == {}
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]
    assert {e.intent for e in examples} == set(domain)


def overlaps(held_out, reference: list[str]) -> tuple[list[str], list[str]]:
    """Held-out texts equal to a reference text as the model reads them, and near copies (token
    Jaccard >= NEAR_DUPLICATE). Exact: a near copy misses at most a tenth of its words, so it shares
    one of the `n // 10 + 1` rarest words of the held-out text (only those words are looked up)."""
    sets = [set(words) for words in map(normalized, reference)]
    exact = {normalized(text) for text in reference}
    by_word: dict[str, list[int]] = {}
    for index, words in enumerate(sets):
        for word in words:
            by_word.setdefault(word, []).append(index)
    leaked, near = [], []
    for example in held_out:
        words = normalized(example.text)
        if words in exact:
            leaked.append(example.text)
            continue
        mine = set(words)
        if not mine:
            continue
        rarest = sorted(mine, key=lambda w: len(by_word.get(w, ())))[: len(mine) // 10 + 1]
        candidates = {index for word in rarest for index in by_word.get(word, ())}
        if any(len(mine & sets[i]) / len(mine | sets[i]) >= NEAR_DUPLICATE for i in candidates):
            near.append(example.text)
    return leaked, near


def training_texts() -> list[str]:
    return [m.get("text") for m in training()]


def texts_of(path) -> list[str]:
    return [e.text for e in load_examples(path)]


@pytest.mark.parametrize("held_out", [TEST_FILE, REAL_TEST_FILE, UNTOUCHED_TEST_FILE], ids=lambda p: p.name)
def test_held_out_texts_are_not_in_the_training_data(held_out):
    """Compared as the model reads them (case, punctuation and slang normalised), and near copies."""
    leaked, near = overlaps(load_examples(held_out), training_texts())
    assert not leaked, leaked[:10]
    assert not near, near[:10]


def test_held_out_files_do_not_share_texts():
    leaked, near = overlaps(load_examples(REAL_TEST_FILE), texts_of(TEST_FILE))
    assert not leaked + near, (leaked + near)[:10]


def test_untouched_test_file_shares_no_text_with_the_other_held_out_files():
    """The untouched split is the only score no decision looked at: no copy of a tuning text in it."""
    untouched = load_examples(UNTOUCHED_TEST_FILE)
    leaked, near = overlaps(untouched, texts_of(TEST_FILE) + texts_of(REAL_TEST_FILE))
    assert not leaked, leaked[:10]
    assert not near, near[:10]
    assert len({normalized(e.text) for e in untouched}) == len(untouched), "a text twice in the file"


def test_overlap_check_catches_what_the_model_reads_as_the_same():
    """The check itself: punctuation, case, slang spelling and a one-word change in ten are caught."""
    from bot.understanding.scoring import Example

    def ex(text):
        return Example(text=text, intent="x", style="informal", programs=())

    reference = ["Berapa iuran JHT untuk pekerja mandiri?",
                 "saya pedagang sayur di pasar induk mau tanya cara daftar bpjs tk buat diri sendiri"]
    leaked, near = overlaps([ex("berapa iuran jht untuk pekerja mandiri"), ex("brp iuran jht utk pekerja mandiri?"),
                             ex("saya pedagang buah di pasar induk mau tanya cara daftar bpjs tk buat diri sendiri"),
                             ex("cara klaim jht kalau kena phk")], reference)
    assert leaked == ["berapa iuran jht untuk pekerja mandiri", "brp iuran jht utk pekerja mandiri?"]
    assert near == []      # one word in 15 changed: Jaccard 14/16 < 0.9, not a near copy
    leaked, near = overlaps([ex("saya pedagang sayur di pasar induk mau tanya cara daftar bpjs tk buat diri sendiri ya")],
                            reference)
    assert (leaked, near) == ([], ["saya pedagang sayur di pasar induk mau tanya cara daftar bpjs tk buat diri sendiri ya"])
