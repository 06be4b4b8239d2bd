"""Calculator: who pays (self-employed, employee, or an owner for an employee) → income → breakdown.

State: flow "calculator"; steps "type", "sector", "income", "class", "size"; data keeps the
answers so far ({"type", "sector", "income", "class", "tries"}).
"""
from __future__ import annotations

from bot.amounts import parse_amount
from bot.engine.quotes import bpu_quote_reply, owner_quote_text, prepay_lines, pu_quote_reply
from bot.engine.flows.fields import retry
from bot.engine.replies import Button, Reply
from bot.engine.turn import Turn
from bot.knowledge.facts import rupiah

FLOW = "calculator"
MIN_INCOME = 100_000
MAX_INCOME = 1_000_000_000
# Free text in the income step that the NLU reads as one of these is still an attempt at an amount.
AMOUNT_LIKE = ("calculate_contribution", "contribution_bpu", "contribution_pu", "affirm", "deny",
               "greet", "thanks", "out_of_scope")
CONFIDENT = 0.8


def _texts(turn: Turn) -> dict:
    return turn.texts["calculator"]


def start(turn: Turn) -> Reply:
    texts = _texts(turn)
    turn.set_state(FLOW, "type", {})
    order = ("owner", "bpu", "pu") if turn.role == "owner" else ("bpu", "pu", "owner")
    buttons = tuple(Button(texts["types"][kind], f"calc:type:{kind}") for kind in order)
    return Reply(texts["type_question"], buttons + (turn.menu_button(),))


def ask(turn: Turn) -> Reply:
    """The question of the current step (also used to resume)."""
    texts, step, data = _texts(turn), turn.user.step, turn.data
    if step == "sector":
        buttons = tuple(Button(label, f"calc:sector:{key}") for key, label in texts["sectors"].items())
        return Reply(texts["sector_question"], buttons)
    if step == "income":
        kind = data.get("type", "bpu")
        return Reply(texts["income_question"] if kind == "bpu" else texts["wage_question"][kind])
    if step == "class":
        buttons = tuple(Button(label, f"calc:class:{key}") for key, label in texts["classes"].items())
        return Reply(texts["class_question"], buttons, columns=2)
    if step == "size":
        buttons = tuple(Button(label, f"calc:size:{key}") for key, label in texts["sizes"].items())
        return Reply(texts["size_question"], buttons, columns=2)
    return start(turn)


def on_button(turn: Turn, data: str) -> list[Reply] | None:
    _, kind, value = (data.split(":") + ["", ""])[:3]
    texts, state = _texts(turn), turn.data
    if kind in ("start", "again"):
        return [start(turn)]
    if turn.user.flow != FLOW:
        return [start(turn)]
    if kind == "type" and value in texts["types"]:
        state["type"] = value
        turn.set_state(FLOW, "sector" if value == "bpu" else "income", state)
        return [ask(turn)]
    if kind == "sector" and value in texts["sectors"] and state.get("type") == "bpu":
        state["sector"] = value
        turn.set_state(FLOW, "income", state)
        return [ask(turn)]
    if kind == "class" and "income" in state and (value in turn.knowledge.rates.pu_jkk_classes or value == "unknown"):
        if value == "unknown":       # the range over every class, as for an employee
            return _done(turn, pu_quote_reply(turn.knowledge, state["income"], turn.today))
        state["class"] = value
        turn.set_state(FLOW, "size", state)
        return [ask(turn)]
    if kind == "size" and value in turn.knowledge.rates.pu_mandatory and "class" in state:
        text = owner_quote_text(turn.knowledge, state["income"], state["class"], value, turn.today)
        return _done(turn, Reply(text))
    return [ask(turn)]


def on_text(turn: Turn, text: str) -> list[Reply] | None:
    """An income in the income step; None hands the text to the free-question path."""
    if turn.user.step != "income":
        return None
    texts, state = _texts(turn), turn.data
    amount = parse_amount(text)
    if amount is None:
        understood = turn.parse(text)
        if (not understood.is_fallback and understood.intent not in AMOUNT_LIKE
                and understood.confidence >= CONFIDENT):
            return None          # a real question in the middle: answer it, then offer to continue
        return _retry(turn, state, texts["no_amount"])
    if amount < MIN_INCOME:
        return _retry(turn, state, texts["too_small"].format(amount=rupiah(amount)))
    if amount > MAX_INCOME:
        return _retry(turn, state, texts["too_large"].format(amount=rupiah(amount)))
    state["income"] = amount
    state.pop("tries", None)
    kind = state.get("type", "bpu")
    if kind == "owner":
        turn.set_state(FLOW, "class", state)
        return [ask(turn)]
    if kind == "pu":
        return _done(turn, pu_quote_reply(turn.knowledge, amount, turn.today))
    sector = state.get("sector", "non_transport")
    owner = turn.role == "owner"      # owners are quoted the normal rate, with the caveat
    quote = bpu_quote_reply(turn.knowledge, amount, turn.today, sector, owner=owner)
    prepay = "\n".join(prepay_lines(turn.knowledge, amount, turn.today, sector, owner=owner))
    return _done(turn, Reply(quote.text), Reply(prepay))


def _retry(turn: Turn, state: dict, message: str) -> list[Reply]:
    texts = turn.texts
    buttons = (Button(texts["menu_buttons"]["handoff"], "go:handoff"), Button(texts["cancel_yes"], "cancel:yes"))
    return retry(turn, FLOW, "income", state, message, _texts(turn)["explain"], buttons)


def _done(turn: Turn, *replies: Reply) -> list[Reply]:
    """The result, closed with the offer to enrol or calculate again."""
    texts = _texts(turn)
    turn.set_state(None)
    buttons = (Button(texts["enrol"], "go:enrol"), Button(texts["again"], "calc:again"), turn.menu_button())
    *first, last = replies
    return list(first) + [Reply(last.text, buttons)]
