"""What a pressed button said: staff read the label the person saw, never its callback data.

The lookup is built from the same texts and knowledge the bot builds its buttons from, so a renamed
button reads right here too. Data with a number inside (a place picked from a list) reads as
"pilihan ke-N"; anything unknown still reads as a button, not as raw data.
"""
from __future__ import annotations

from bot.knowledge import Knowledge
from bot.knowledge.answers import AnswerBook

UNKNOWN = "(tombol)"


def label_lookup(knowledge: Knowledge) -> dict[str, str]:
    """callback data -> the label on the button."""
    texts = knowledge.texts
    d, e = texts["dialogue"], texts["enrolment"]
    learning, calc, biz, hand = d["learning"], d["calculator"], texts["business"], texts["handoff"]
    labels: dict[str, str] = {
        "menu": d["menu_button"], "resume": d["resume"],
        "cancel:yes": d["cancel_yes"], "cancel:ask": e["help_buttons"]["cancel"],
        "privacy:delete": d["delete_button"], "privacy:delete:yes": d["delete_yes"], "privacy:keep": d["delete_no"],
        "go:handoff:fallback": hand["fallback_yes"], "intent:out_of_scope": texts["clarify_none"],
        "l:resume": learning["resume"], "calc:again": calc["again"], "calc:start": "🧮 Hitung iuran karyawan",
        "enrol:consent:yes": e["consent_yes"], "enrol:consent:no": e["consent_no"],
        "enrol:remind:1": e["reminder_yes"], "enrol:remind:0": e["reminder_no"],
        "enrol:place:nik": e["place_same"], "enrol:place:other": e["place_other"],
        "enrol:jht:1": e["jht_yes"], "enrol:jht:0": e["jht_no"],
        "enrol:birth:keep": e["birth_keep"], "enrol:birth:nik": e["birth_use_nik"],
        "enrol:submit": e["submit"], "pay:remind": e["payment_reminder_yes"], "go:enrol": e["continue"],
    }
    labels.update({f"role:{k}": v for k, v in d["roles"].items()})
    labels.update({f"go:{k}": v for k, v in d["menu_buttons"].items()})
    labels.update({f"go:{k}": v for k, v in learning["next_steps"].items() if f"go:{k}" not in labels})
    labels.update({f"intent:{k}": v for k, v in texts["intent_labels"].items() if k != "out_of_scope"})
    labels.update({f"enrol:owner:{k}": v for k, v in e["choose_owner_buttons"].items()})
    labels.update({f"enrol:job:{k}": v for k, v in e["occupations"].items()})
    labels.update({f"enrol:edit:{k}": v for k, v in e["edit_labels"].items()})
    labels.update({f"calc:type:{k}": v for k, v in calc["types"].items()})
    labels.update({f"calc:sector:{k}": v for k, v in calc["sectors"].items()})
    labels.update({f"calc:class:{k}": v for k, v in calc["classes"].items()})
    labels.update({f"calc:size:{k}": v for k, v in calc["sizes"].items()})
    labels.update({f"biz:sector:{k}": v for k, v in biz["sectors"].items()})
    labels.update({f"biz:size:{k}": v for k, v in calc["sizes"].items()})
    for intent, answer in knowledge.answers.answers.items():
        for spec in answer.all_buttons():
            button = AnswerBook._button(intent, spec)
            labels.setdefault(button.data, button.label)
    for lesson_id, lesson in knowledge.lessons.lessons.items():
        labels[f"l:{lesson_id}"] = lesson.title
        labels[f"q:{lesson_id}:start"] = learning["quiz_start"]
        for index in range(len(lesson.all_cards)):
            labels[f"l:{lesson_id}:{index}"] = f"{lesson.title} ({index + 1}/{len(lesson.all_cards)})"
        for number, question in enumerate(lesson.all_quiz):
            for n, option in enumerate(question.options):
                labels[f"q:{lesson_id}:{number}:{n}"] = option.text
    return labels


class ButtonLabels:
    def __init__(self, knowledge: Knowledge):
        self.labels = label_lookup(knowledge)

    def __call__(self, data: str) -> str:
        data = (data or "").strip()
        if data in self.labels:
            return self.labels[data]
        head, _, tail = data.rpartition(":")
        if head == "enrol:pick" and tail.isdigit():
            return f"pilihan ke-{int(tail) + 1}"
        return UNKNOWN
