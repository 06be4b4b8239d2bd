"""What Lindungi noted about the user from the conversation: shown, changed, cleared.

Buttons: `ctx:profile` shows the notes with choices, `ctx:set:<field>:<value>` sets one,
`ctx:clear` clears them all. The notes live in `users.context` (bot/engine/context.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.engine.context import Context, Profile
from bot.engine.replies import Button, Reply
from bot.engine.turn import Turn
from bot.knowledge.facts import rupiah


def _t(turn: Turn) -> dict:
    return turn.texts["context"]


def load(turn: Turn, moment: dt.datetime) -> Context:
    return Context.load(turn.user.context, turn.user.context_at, moment)


def save(turn: Turn, context: Context, moment: dt.datetime, subject_changed: bool) -> None:
    turn.user.context = context.dump()
    if subject_changed:
        turn.user.context_at = moment.astimezone(dt.timezone.utc)   # SQLite keeps no time zone


def describe(turn: Turn, profile: Profile) -> str:
    """The notes in words: "pengemudi ojol/kurir, pekerja mandiri (usaha sendiri)"."""
    labels = _t(turn)["labels"]
    parts = []
    for name in ("role", "sector", "employment"):
        value = getattr(profile, name)
        if value:
            parts.append(labels[name].get(value, value))
    if profile.workers:
        parts.append(labels["workers"].format(value=profile.workers))
    if profile.size:
        parts.append(labels["size"].format(value=profile.size))
    if profile.income:
        parts.append(labels["income"].format(value=rupiah(profile.income)))
    return _t(turn)["separator"].join(parts)


def noted(turn: Turn, profile: Profile) -> Reply:
    """A short note after an answer that used something new the user told ("Saya catat: …")."""
    t = _t(turn)
    return Reply(t["noted"].format(profile=describe(turn, profile)), (Button(t["change_button"], "ctx:profile"),))


def show(turn: Turn, profile: Profile) -> Reply:
    t = _t(turn)
    text = t["profile"].format(profile=describe(turn, profile)) if profile.known() else t["profile_empty"]
    buttons = [Button(c["label"], f"ctx:set:{c['field']}:{c['value']}") for c in t["choices"]]
    if profile.known():
        buttons.append(Button(t["clear_button"], "ctx:clear"))
    return Reply(text, tuple(buttons) + (turn.menu_button(),), columns=2)


def on_button(turn: Turn, data: str, moment: dt.datetime) -> list[Reply]:
    context = load(turn, moment)
    t = _t(turn)
    parts = data.split(":")
    if data == "ctx:clear":
        save(turn, Context(context.subject, Profile()), moment, subject_changed=False)
        return [Reply(t["cleared"], (turn.menu_button(),))]
    if len(parts) == 4 and parts[1] == "set":
        field, value = parts[2], parts[3]
        choices = {(c["field"], c["value"]) for c in t["choices"]}
        if (field, value) in choices:
            changes = {field: value}
            if field == "sector" and not context.profile.employment:
                changes["employment"] = "self_employed"
            if field == "employment" and value == "employee":
                changes["role"] = ""
            if field == "role":
                changes["employment"] = ""
            profile = replace(context.profile, **changes)
            save(turn, Context(context.subject, profile), moment, subject_changed=False)
            return [Reply(t["updated"].format(profile=describe(turn, profile)), (turn.menu_button(),))]
    return [show(turn, context.profile)]
