"""Owners register their business and get an invite link; /pekerjaku shows who enrolled through it.

State: flow "business"; steps "name", "sector", "workers", "size"; data holds the answers so far
(business facts, not personal data).
"""
from __future__ import annotations

import re
import secrets

from bot import clock
from bot.engine.replies import Button, Reply
from bot.engine.turn import Turn
from bot.knowledge.facts import date_text
from bot.privacy import mask_name

FLOW = "business"
SIZES = ("mikro", "kecil", "menengah", "besar")
SHORT = {"jkk": "JKK", "jkm": "JKM", "jht": "JHT", "jp": "JP"}


def _t(turn: Turn) -> dict:
    return turn.knowledge.texts["business"]


def start(turn: Turn) -> list[Reply]:
    turn.set_state(FLOW, "name", {})
    return [ask(turn)]


def ask(turn: Turn) -> Reply:
    t, step = _t(turn), turn.user.step
    if step == "sector":
        return Reply(t["sector"], tuple(Button(label, f"biz:sector:{key}") for key, label in t["sectors"].items()),
                     columns=2)
    if step == "workers":
        return Reply(t["workers"])
    if step == "size":
        labels = turn.knowledge.texts["dialogue"]["calculator"]["sizes"]
        return Reply(t["size"], tuple(Button(labels[size], f"biz:size:{size}") for size in SIZES), columns=2)
    return Reply(t["name"])


def on_text(turn: Turn, text: str) -> list[Reply] | None:
    t, state, step = _t(turn), turn.data, turn.user.step
    text = " ".join(text.split())
    if step == "name":
        if not 2 <= len(text) <= 80:
            return [Reply(t["name_invalid"])]
        state["name"] = text
        turn.set_state(FLOW, "sector", state)
        return [ask(turn)]
    if step == "workers":
        match = re.fullmatch(r"(\d{1,6})(\s*(orang|org|pekerja))?", text.lower())
        if not match:
            return [Reply(t["workers_invalid"])]
        state["workers"] = int(match.group(1))
        turn.set_state(FLOW, "size", state)
        return [ask(turn)]
    return None          # steps answered with buttons: typed text is a question


def on_button(turn: Turn, data: str) -> list[Reply]:
    _, kind, value = (data.split(":") + ["", ""])[:3]
    state = turn.data
    if turn.user.flow != FLOW:
        return start(turn)
    if kind == "sector" and value in _t(turn)["sectors"] and turn.user.step == "sector":
        state["sector"] = value
        turn.set_state(FLOW, "workers", state)
        return [ask(turn)]
    if kind == "size" and value in SIZES and turn.user.step == "size":
        return _register(turn, state, value)
    return [ask(turn)]


def invite_link(turn: Turn, code: str) -> str:
    if turn.bot_username:
        return f"https://t.me/{turn.bot_username}?start={code}"
    return _t(turn)["code_only"].format(code=code)


def duties(turn: Turn, size: str) -> str:
    programs = turn.knowledge.rates.pu_mandatory[size]
    labels = turn.knowledge.texts["dialogue"]["calculator"]["sizes"]
    return _t(turn)["duties"].format(size=labels[size].lower(), programs=", ".join(SHORT[p] for p in programs))


def _register(turn: Turn, state: dict, size: str) -> list[Reply]:
    code = "inv_" + secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")
    business = turn.repo.add_business(turn.user, name=state.get("name", "-"), sector=state.get("sector", "lainnya"),
                                      workers=int(state.get("workers", 0)), size=size, invite_code=code)
    turn.user.role = "owner"
    turn.set_state(None)
    done = _t(turn)["done"].strip().format(name=business.name, link=invite_link(turn, code))
    return [Reply(done), Reply(duties(turn, size), (Button("🧮 Hitung iuran karyawan", "calc:start"),
                                                    turn.menu_button()))]


def my_workers(turn: Turn) -> list[Reply]:
    """The owner's view: who enrolled through the invite, with status — masked, never a NIK."""
    t = _t(turn)
    businesses = turn.repo.businesses_of(turn.user)
    if not businesses:
        return [Reply(t["no_business"], (turn.menu_button(),))]
    applications = turn.repo.applications_for_businesses([b.id for b in businesses])
    if not applications:
        return [Reply(t["workers_none"].format(link=invite_link(turn, businesses[0].invite_code)))]
    statuses = turn.knowledge.texts["enrolment"]["statuses"]
    lines = [t["workers_title"]]
    for app in applications:
        name = mask_name(turn.vault.decrypt(app.name_token)) if app.name_token else "(data dihapus)"
        when = date_text(clock.date_at(app.submitted_at or app.created_at))
        lines.append(t["workers_line"].format(name=name, status=statuses.get(app.status, app.status), date=when))
    return [Reply("\n".join(lines), (turn.menu_button(),))]
