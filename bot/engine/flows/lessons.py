"""Learning: module list, cards with Lanjut/Kembali (edited in place), a quiz, stored progress.

State while learning: flow "lesson", step "card" or "quiz", data {"lesson": id, "card": n} or
{"lesson": id, "question": n}. Progress per module lives in its own table and survives /batal.
"""
from __future__ import annotations

from bot.engine.replies import Button, Reply
from bot.engine.turn import Turn
from bot.knowledge.lessons import Lesson

FLOW = "lesson"
# Where each next step leads (button data understood by the dialogue).
NEXT_STEP_DATA = {"calculate": "go:calculate", "enrol": "go:enrol", "handoff": "go:handoff", "ask": "go:ask"}


def _texts(turn: Turn) -> dict:
    return turn.texts["learning"]


def ordered(turn: Turn) -> list[Lesson]:
    """The user's own track first, then the other."""
    book = turn.knowledge.lessons
    other = "worker" if turn.role == "owner" else "owner"
    return book.track(turn.role) + book.track(other)


def menu(turn: Turn) -> Reply:
    texts = _texts(turn)
    progress = turn.repo.all_progress(turn.user)
    own = turn.knowledge.lessons.track(turn.role)
    done = sum(1 for lesson in own if progress.get(lesson.id) and progress[lesson.id].completed_at)
    buttons = []
    if _resumable(turn, progress) is not None:
        buttons.append(Button(texts["resume"], "l:resume"))
    for lesson in ordered(turn):
        row = progress.get(lesson.id)
        mark = f"{texts['done_mark']} " if row is not None and row.completed_at else ""
        buttons.append(Button(f"{mark}{lesson.title}", f"l:{lesson.id}"))
    buttons.append(turn.menu_button())
    text = texts["menu"] + "\n" + texts["progress"].format(done=done, total=len(own))
    return Reply(text, tuple(buttons))


def _resumable(turn: Turn, progress) -> tuple[str, int] | None:
    """The module and card to continue: the open one, else the first unfinished one started."""
    if turn.user.flow == FLOW:
        data = turn.data
        return data["lesson"], int(data.get("card", 0))
    for lesson in ordered(turn):
        row = progress.get(lesson.id)
        if row is not None and not row.completed_at:
            return lesson.id, row.card
    return None


def resume(turn: Turn) -> Reply:
    """"Lanjutkan belajar": the current card or question as a new message, else the module list."""
    if turn.user.flow == FLOW and turn.user.step == "quiz":
        data = turn.data
        return question(turn, data["lesson"], int(data["question"]))
    where = _resumable(turn, turn.repo.all_progress(turn.user))
    if where is None:
        first = next((l for l in ordered(turn)
                      if not (p := turn.repo.all_progress(turn.user).get(l.id)) or not p.completed_at), None)
        if first is None:
            return menu(turn)
        where = (first.id, 0)
    return card(turn, where[0], where[1])


def open_module(turn: Turn, lesson_id: str) -> Reply:
    row = turn.repo.all_progress(turn.user).get(lesson_id)
    start = row.card if row is not None and not row.completed_at else 0
    return card(turn, lesson_id, start)


def card(turn: Turn, lesson_id: str, index: int, edit: bool = False) -> Reply:
    lesson = turn.knowledge.lessons[lesson_id]
    cards = turn.knowledge.lessons.cards(lesson_id, turn.today)    # the cards in force today
    index = max(0, min(index, len(cards) - 1))
    texts = _texts(turn)
    turn.set_state(FLOW, "card", {"lesson": lesson_id, "card": index})
    turn.repo.progress(turn.user, lesson_id).card = index
    header = texts["card_header"].format(title=lesson.title, number=index + 1, total=len(cards))
    body = turn.knowledge.lessons.card(lesson_id, index, turn.today)
    buttons = []
    if index > 0:
        buttons.append(Button(texts["back"], f"l:{lesson_id}:{index - 1}"))
    if index < len(cards) - 1:
        buttons.append(Button(texts["next"], f"l:{lesson_id}:{index + 1}"))
        buttons.append(turn.menu_button())
    else:
        buttons.append(Button(texts["quiz_start"], f"q:{lesson_id}:start"))
        buttons += [Button(texts["next_steps"][step], NEXT_STEP_DATA[step]) for step in lesson.next_steps]
        buttons.append(turn.menu_button())
    return Reply(f"{header}\n\n{body}", tuple(buttons), columns=2, edit=edit)


def start_quiz(turn: Turn, lesson_id: str) -> Reply:
    row = turn.repo.progress(turn.user, lesson_id)
    row.answered, row.correct = 0, 0
    return question(turn, lesson_id, 0)


def question(turn: Turn, lesson_id: str, index: int) -> Reply:
    lesson = turn.knowledge.lessons[lesson_id]
    quiz = turn.knowledge.lessons.quiz(lesson_id, turn.today)
    index = max(0, min(index, len(quiz) - 1))
    texts = _texts(turn)
    turn.set_state(FLOW, "quiz", {"lesson": lesson_id, "question": index})
    asked = quiz[index]
    header = texts["quiz_header"].format(title=lesson.title, number=index + 1, total=len(quiz))
    buttons = tuple(Button(option.text, f"q:{lesson_id}:{index}:{n}") for n, option in enumerate(asked.options))
    return Reply(f"{header}\n\n{turn.knowledge.lessons.render(asked.text, day=turn.today)}", buttons)


def answer(turn: Turn, lesson_id: str, index: int, choice: int) -> list[Reply]:
    """Feedback on the answer (edited into the question), then the next question or the result."""
    lesson = turn.knowledge.lessons[lesson_id]
    quiz = turn.knowledge.lessons.quiz(lesson_id, turn.today)
    texts = _texts(turn)
    data = turn.data
    current = (turn.user.flow == FLOW and turn.user.step == "quiz" and data.get("lesson") == lesson_id
               and int(data.get("question", -1)) == index and index < len(quiz))
    if not current or not 0 <= choice < len(quiz[index].options):
        return [Reply(texts["stale"]), resume(turn) if turn.user.flow == FLOW else menu(turn)]
    asked = quiz[index]
    option = asked.options[choice]
    row = turn.repo.progress(turn.user, lesson_id)
    row.answered += 1
    row.correct += int(option.correct)
    verdict = texts["right"] if option.correct else texts["wrong"]
    def render(text: str, sources: bool = True) -> str:
        return turn.knowledge.lessons.render(text, sources, turn.today)

    feedback = Reply(
        "\n\n".join([render(asked.text, sources=False), texts["answer_line"].format(answer=option.text),
                     f"{verdict} {render(option.feedback)}"]),
        edit=True,
    )
    if index + 1 < len(quiz):
        return [feedback, question(turn, lesson_id, index + 1)]
    return [feedback] + finish(turn, lesson)


def finish(turn: Turn, lesson: Lesson) -> list[Reply]:
    texts = _texts(turn)
    row = turn.repo.progress(turn.user, lesson.id)
    first_time = row.completed_at is None
    turn.repo.complete(row)
    row.card = 0
    turn.set_state(None)
    progress = turn.repo.all_progress(turn.user)
    buttons = []
    following = next((l for l in ordered(turn)
                      if l.id != lesson.id and not (progress.get(l.id) and progress[l.id].completed_at)), None)
    if following is not None:
        buttons.append(Button(texts["next_module"].format(title=following.title)[:60], f"l:{following.id}"))
    buttons += [Button(texts["next_steps"][step], NEXT_STEP_DATA[step]) for step in lesson.next_steps]
    buttons.append(turn.menu_button())
    replies = [Reply(texts["score"].format(title=lesson.title, correct=row.correct, total=len(turn.knowledge.lessons.quiz(lesson.id, turn.today))),
                     tuple(buttons))]
    own = turn.knowledge.lessons.track(turn.role)
    track_done = all(progress.get(l.id) and progress[l.id].completed_at for l in own)
    if first_time and track_done and lesson.track == turn.role:
        replies.append(Reply(texts["all_done"].strip(), (turn.menu_button(),)))
    return replies


def on_button(turn: Turn, data: str) -> list[Reply] | None:
    """`l:resume`, `l:<id>`, `l:<id>:<card>`, `q:<id>:start`, `q:<id>:<question>:<option>`."""
    kind, _, rest = data.partition(":")
    parts = rest.split(":")
    book = turn.knowledge.lessons
    if kind == "l" and parts == ["resume"]:
        return [resume(turn)]
    if not parts or parts[0] not in book:
        return None
    lesson_id = parts[0]
    try:
        numbers = [int(p) for p in parts[1:] if p != "start"]
    except ValueError:
        return None
    if kind == "l" and len(parts) == 1:
        return [open_module(turn, lesson_id)]
    if kind == "l" and len(numbers) == 1:
        return [card(turn, lesson_id, numbers[0], edit=True)]
    if kind == "q" and parts[1:] == ["start"]:
        return [start_quiz(turn, lesson_id)]
    if kind == "q" and len(numbers) == 2:
        return answer(turn, lesson_id, numbers[0], numbers[1])
    return None
