"""Welcome, role choice, main menu, help, privacy and cancelling: the frame around the flows."""
from __future__ import annotations

from bot.engine.replies import Button, Reply
from bot.engine.turn import Turn

MENU_ITEMS = ("learn", "ask", "calculate", "enrol", "status", "handoff", "privacy")
ROLES = ("worker", "owner")


def welcome(turn: Turn, payload: str = "") -> list[Reply]:
    texts = turn.texts
    if payload:
        turn.user.start_payload = payload[:64]     # an owner's invite code (used by enrolment)
    turn.set_state(None)
    buttons = tuple(Button(texts["roles"][role], f"role:{role}") for role in ROLES)
    return [Reply(texts["welcome"].strip(), buttons)]


def choose_role(turn: Turn, role: str) -> list[Reply]:
    if role not in ROLES:
        return welcome(turn)
    turn.user.role = role
    return [Reply(turn.texts["role_saved"][role]), menu(turn)]


def menu(turn: Turn) -> Reply:
    labels = turn.texts["menu_buttons"]
    buttons = tuple(Button(labels[item], f"go:{item}") for item in MENU_ITEMS)
    return Reply(turn.texts["menu"], buttons, columns=2)


def ask_prompt(turn: Turn) -> Reply:
    return Reply(turn.texts["ask"][turn.role].strip(), (turn.menu_button(),))


def help_text(turn: Turn) -> Reply:
    return Reply(turn.texts["help"].strip(), (turn.menu_button(),))


def privacy(turn: Turn) -> Reply:
    texts = turn.texts
    return Reply(texts["privacy"].strip(), (Button(texts["delete_button"], "privacy:delete"), turn.menu_button()))


def confirm_delete(turn: Turn) -> Reply:
    texts = turn.texts
    return Reply(texts["delete_question"], (Button(texts["delete_yes"], "privacy:delete:yes"),
                                            Button(texts["delete_no"], "privacy:keep")))


def delete(turn: Turn) -> Reply:
    turn.repo.forget(turn.user)
    turn.forgotten = True
    return Reply(turn.texts["deleted"])


def cancel(turn: Turn) -> Reply:
    texts = turn.texts
    flow = _flow_name(turn)
    if flow is None:
        return Reply(texts["nothing_to_cancel"], (turn.menu_button(),))
    return Reply(texts["cancel_question"].format(what=texts["cancel_what"][flow]),
                 (Button(texts["cancel_yes"], "cancel:yes"), Button(texts["cancel_no"], "resume")))


def cancelled(turn: Turn) -> list[Reply]:
    turn.set_state(None)
    return [Reply(turn.texts["cancelled"]), menu(turn)]


def _flow_name(turn: Turn) -> str | None:
    """The active flow as the texts name it ("lesson", "quiz", "calculator"), or None."""
    if turn.user.flow == "lesson":
        return "quiz" if turn.user.step == "quiz" else "lesson"
    return turn.user.flow


def resume_button(turn: Turn) -> Button | None:
    flow = _flow_name(turn)
    if flow is None:
        return None
    return Button(turn.texts["resume_labels"].get(flow, turn.texts["resume"]), "resume")
