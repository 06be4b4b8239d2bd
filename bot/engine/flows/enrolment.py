"""Self-enrolment as a BPU participant: consent, then one field per step, a summary, submit.

Every answer is written to the draft application the moment it is accepted (personal fields
encrypted), so a restart, a lost connection or a day's pause resumes at the same step. The
conversation state holds only the step and the draft's id — never personal data.

State: flow "enrol"; steps "consent", "reminder", each field of FIELDS, "birth_confirm",
"place_pick", "summary"; data {"app": id, "tries": n, "editing": bool, "choices": [...]}.
"""
from __future__ import annotations

import datetime as dt

from bot.amounts import parse_amount
from bot.calculator import add_months, bpu_level, bpu_quote, bpu_schedule
from bot.engine.flows.fields import looks_like_question, retry
from bot.engine.replies import Button, Reply
from bot.engine.turn import Turn
from bot.enrolment.validation import (Invalid, Place, birth_date_in_nik, find_places, local_phone,
                                      parse_birth_date, parse_name, parse_nik, parse_occupation, parse_phone,
                                      place_from_nik)
from bot.knowledge.facts import date_text, month_text, rupiah
from bot.privacy import mask_nik, mask_phone

FLOW = "enrol"
FIELDS = ("nik", "name", "birth_date", "phone", "place", "occupation", "income", "jht")
FREE_TEXT = ("name", "occupation", "place")
MIN_INCOME, MAX_INCOME = 100_000, 1_000_000_000


def _t(turn: Turn) -> dict:
    return turn.knowledge.texts["enrolment"]


def _app(turn: Turn):
    app_id = turn.data.get("app")
    app = turn.repo.application(app_id) if app_id else None
    return app if app is not None and app.user_id == turn.user.id and app.status == "draft" else None


def _filled(app, field: str) -> bool:
    column = {"nik": "nik_token", "name": "name_token", "birth_date": "birth_date_token", "phone": "phone_token",
              "place": "regency", "occupation": "occupation", "income": "income", "jht": "with_jht"}[field]
    return getattr(app, column) is not None


# Entry -------------------------------------------------------------------------------------------
def start(turn: Turn, owner_choice: str = "") -> list[Reply]:
    t = _t(turn)
    if turn.role == "owner" and not owner_choice:
        buttons = tuple(Button(label, f"enrol:owner:{key}") for key, label in t["choose_owner_buttons"].items())
        return [Reply(t["choose_owner"], buttons + (turn.menu_button(),))]
    draft = turn.repo.draft(turn.user)
    if draft is not None:
        if turn.user.flow != FLOW or turn.data.get("app") != draft.id:
            turn.set_state(FLOW, _next_step(draft), {"app": draft.id})
        return [Reply(t["resume_draft"]), ask(turn)]
    replies = []
    business = turn.repo.business_by_code(turn.user.start_payload or "")
    if business is not None:
        replies.append(Reply(t["invited"].format(business=business.name)))
    turn.set_state(FLOW, "consent", {})
    replies.append(Reply(t["consent"].strip(), (Button(t["consent_yes"], "enrol:consent:yes"),
                                                Button(t["consent_no"], "enrol:consent:no"))))
    return replies


def _next_step(app) -> str:
    return next((field for field in FIELDS if not _filled(app, field)), "summary")


def _advance(turn: Turn, app, prefix: tuple[Reply, ...] = ()) -> list[Reply]:
    """After an accepted answer: back to the summary when editing, else the next empty field."""
    step = "summary" if turn.data.get("editing") else _next_step(app)
    turn.set_state(FLOW, step, {"app": app.id, "editing": bool(turn.data.get("editing")) and step != "summary"})
    return list(prefix) + [ask(turn)]


# Questions ---------------------------------------------------------------------------------------
def ask(turn: Turn) -> Reply:
    """The question of the current step (also what "resume" shows)."""
    t, step, app = _t(turn), turn.user.step, _app(turn)
    if step == "consent" or app is None:
        turn.set_state(FLOW, "consent", {})
        return Reply(t["consent"].strip(), (Button(t["consent_yes"], "enrol:consent:yes"),
                                            Button(t["consent_no"], "enrol:consent:no")))
    if step == "reminder":
        return Reply(t["reminder_question"], (Button(t["reminder_yes"], "enrol:remind:1"),
                                              Button(t["reminder_no"], "enrol:remind:0")))
    if step == "birth_confirm":
        return _birth_mismatch(turn, app)
    if step == "phone":
        return Reply(t["ask"]["phone"], contact_button=t["contact_button"])
    if step == "place":
        nik_place = place_from_nik(turn.vault.decrypt(app.nik_token)) if app.nik_token else None
        if nik_place is not None and not turn.data.get("typing"):
            return Reply(t["ask"]["place_from_nik"].format(place=nik_place.label),
                         (Button(t["place_same"], "enrol:place:nik"), Button(t["place_other"], "enrol:place:other")))
        return Reply(t["ask"]["place"])
    if step == "place_pick":
        choices = turn.data.get("choices") or []
        buttons = tuple(Button(label[:60], f"enrol:pick:{n}") for n, label in enumerate(choices))
        return Reply(t["place_pick"], buttons + (Button(t["place_none"], "enrol:place:other"),))
    if step == "occupation":
        buttons = tuple(Button(label, f"enrol:job:{key}") for key, label in t["occupations"].items())
        return Reply(t["ask"]["occupation"], buttons, columns=2)
    if step == "jht":
        amount = rupiah(_jht_amount(turn, app))
        if bpu_level(turn.knowledge.rates, app.income).confidence != "high":
            amount = t["estimate_amount"].format(amount=amount)     # income levels 2-32: one source
        return Reply(t["ask"]["jht"].format(amount=amount),
                     (Button(t["jht_yes"], "enrol:jht:1"), Button(t["jht_no"], "enrol:jht:0")))
    if step == "summary":
        return summary(turn, app)
    return Reply(t["ask"][step])


# Typed answers -----------------------------------------------------------------------------------
def on_text(turn: Turn, text: str) -> list[Reply] | None:
    """The answer to the current step; None hands a question in the middle to the free-question path."""
    step, app = turn.user.step, _app(turn)
    if app is None or step not in FIELDS or step == "jht":
        # Steps answered with buttons: a typed message is a question (or a nudge to press a button).
        return None
    if step in FREE_TEXT and looks_like_question(turn, text, free_text=True):
        return None
    try:
        return _accept(turn, app, step, text)
    except Invalid as problem:
        if step not in FREE_TEXT and looks_like_question(turn, text):
            return None
        return _retry(turn, step, problem)


def on_contact(turn: Turn, phone: str, own: bool) -> list[Reply]:
    app = _app(turn)
    if turn.user.flow != FLOW or turn.user.step != "phone" or app is None:
        return [Reply(turn.texts["not_text"])]
    if not own:
        return [Reply(_t(turn)["contact_not_own"])]
    try:
        return _accept(turn, app, "phone", phone)
    except Invalid as problem:
        return _retry(turn, "phone", problem)


def _retry(turn: Turn, step: str, problem: Invalid) -> list[Reply]:
    t = _t(turn)
    message = t["errors"][problem.key].format(**problem.values)
    state = turn.data
    helpers = (Button(t["help_buttons"]["handoff"], "go:handoff"), Button(t["help_buttons"]["cancel"], "cancel:ask"))
    replies = retry(turn, FLOW, step, state, message, t["explain"][step], helpers)
    if step == "phone" and len(replies) == 1:
        replies = [Reply(replies[0].text, contact_button=t["contact_button"])]
    return replies


def _accept(turn: Turn, app, step: str, text: str) -> list[Reply]:
    vault, t = turn.vault, _t(turn)
    if step == "nik":
        nik = parse_nik(text, turn.today)
        digest = vault.lookup_hash(nik.number)
        if turn.repo.nik_in_use(digest, except_id=app.id):
            raise Invalid("nik_taken")
        app.nik_token, app.nik_hash, app.gender = vault.encrypt(nik.number), digest, nik.gender
        return _advance(turn, app, (Reply(t["saved"]),))
    if step == "name":
        app.name_token = vault.encrypt(parse_name(text))
        return _advance(turn, app)
    if step == "birth_date":
        typed = parse_birth_date(text, turn.today)
        app.birth_date_token = vault.encrypt(typed.isoformat())
        nik = vault.decrypt(app.nik_token)
        if birth_date_in_nik(nik, turn.today) != typed:
            turn.set_state(FLOW, "birth_confirm", {"app": app.id, "editing": bool(turn.data.get("editing"))})
            return [_birth_mismatch(turn, app)]
        return _advance(turn, app)
    if step == "phone":
        phone = parse_phone(text)
        app.phone_token = vault.encrypt(phone)
        saved = Reply(t["phone_saved"].format(phone=mask_phone(local_phone(phone))), remove_keyboard=True)
        return _advance(turn, app, (saved,))
    if step == "place":
        places = find_places(text)
        if not places:
            raise Invalid("place_unknown", text=text.strip()[:40])
        if len(places) == 1:
            return _set_place(turn, app, places[0])
        turn.set_state(FLOW, "place_pick", {"app": app.id, "editing": bool(turn.data.get("editing")),
                                            "choices": [p.label for p in places]})
        return [ask(turn)]
    if step == "occupation":
        app.occupation = parse_occupation(text)
        return _advance(turn, app)
    if step == "income":
        amount = parse_amount(text)
        if amount is None:
            raise Invalid("no_amount")
        if amount < MIN_INCOME:
            raise Invalid("too_small", amount=rupiah(amount))
        if amount > MAX_INCOME:
            raise Invalid("too_large", amount=rupiah(amount))
        app.income, app.income_base = amount, bpu_level(turn.knowledge.rates, amount).base
        return _advance(turn, app)
    raise Invalid("date_format")


def _set_place(turn: Turn, app, place: Place) -> list[Reply]:
    app.province, app.regency = place.province, place.regency
    turn.set_state(FLOW, "place", {"app": app.id, "editing": bool(turn.data.get("editing"))})
    return _advance(turn, app)


def _birth_mismatch(turn: Turn, app) -> Reply:
    t = _t(turn)
    typed = dt.date.fromisoformat(turn.vault.decrypt(app.birth_date_token))
    in_nik = birth_date_in_nik(turn.vault.decrypt(app.nik_token), turn.today)
    return Reply(t["birth_mismatch"].format(typed=date_text(typed), nik=date_text(in_nik)),
                 (Button(t["birth_keep"], "enrol:birth:keep"), Button(t["birth_use_nik"], "enrol:birth:nik")),
                 private=True)


# Buttons -----------------------------------------------------------------------------------------
def on_button(turn: Turn, data: str) -> list[Reply]:
    parts = data.split(":")
    kind, value = (parts + ["", ""])[1:3]
    t = _t(turn)
    if kind == "owner":
        return start(turn, owner_choice=value) if value == "self" else []
    if kind == "consent":
        if value != "yes":
            turn.set_state(None)
            return [Reply(t["consent_declined"], (turn.menu_button(),))]
        if turn.user.flow == FLOW and _app(turn) is not None:
            return [ask(turn)]
        business = turn.repo.business_by_code(turn.user.start_payload or "")
        app = turn.repo.new_draft(turn.user, business.id if business else None)
        turn.set_state(FLOW, "reminder", {"app": app.id})
        return [ask(turn)]
    app = _app(turn)
    if turn.user.flow != FLOW or app is None:
        return start(turn, owner_choice="self")
    if kind == "remind" and turn.user.step == "reminder":
        app.reminder_opt_in = 1 if value == "1" else 0
        return _advance(turn, app)
    if kind == "birth" and turn.user.step == "birth_confirm":
        if value == "nik":
            in_nik = birth_date_in_nik(turn.vault.decrypt(app.nik_token), turn.today)
            app.birth_date_token = turn.vault.encrypt(in_nik.isoformat())
        return _advance(turn, app)
    if kind == "place" and turn.user.step in ("place", "place_pick"):
        if value == "nik" and app.nik_token:
            place = place_from_nik(turn.vault.decrypt(app.nik_token))
            if place is not None:
                return _set_place(turn, app, place)
        turn.set_state(FLOW, "place", {"app": app.id, "editing": bool(turn.data.get("editing")), "typing": True})
        return [Reply(t["ask"]["place"])]
    if kind == "pick" and turn.user.step == "place_pick":
        choices = turn.data.get("choices") or []
        if value.isdigit() and int(value) < len(choices):
            label = choices[int(value)]
            regency, _, province = label.partition(", ")
            return _set_place(turn, app, Place(province, regency))
    if kind == "job" and turn.user.step == "occupation" and value in t["occupations"]:
        app.occupation = t["occupations"][value].lower()
        return _advance(turn, app)
    if kind == "jht" and turn.user.step == "jht":
        app.with_jht = 1 if value == "1" else 0
        return _advance(turn, app)
    if kind == "edit" and value in FIELDS and turn.user.step == "summary":
        turn.set_state(FLOW, value, {"app": app.id, "editing": True})
        return [ask(turn)]
    if kind == "submit" and turn.user.step == "summary":
        return submit(turn, app)
    return [ask(turn)]


# Summary and submit ------------------------------------------------------------------------------
def _sector(turn: Turn, app) -> str:
    transport = {turn.knowledge.texts["enrolment"]["occupations"][k].lower()
                 for k in turn.knowledge.texts["enrolment"]["transport_occupations"]}
    from bot.engine.quotes import sector_of

    return "transport" if app.occupation in transport else sector_of(app.occupation or "")


def _schedule(turn: Turn, app):
    """Per month from this month: the discounted amount while the discount covers it, then the normal
    one. Owners (who may be registered as employers) are quoted the normal rate."""
    return bpu_schedule(turn.knowledge.rates, app.income, turn.today, with_jht=bool(app.with_jht),
                        sector=_sector(turn, app), owner=turn.role == "owner")


def _jht_amount(turn: Turn, app) -> int:
    quote = bpu_quote(turn.knowledge.rates, app.income, turn.today, with_jht=True, sector=_sector(turn, app),
                      owner=turn.role == "owner")
    return next(line.charged for line in quote.lines if line.program == "jht")


def amount_lines(turn: Turn, schedule) -> list[str]:
    """The amount per month as the summary and the confirmation state it, with its conditions."""
    t = _t(turn)
    if schedule.discount_until is not None:
        lines = [t["summary_discount"].format(amount=rupiah(schedule.amount), normal=rupiah(schedule.normal),
                                              until=month_text(schedule.discount_until),
                                              after=month_text(add_months(schedule.discount_until, 1)))]
    else:
        lines = [t["summary_amount"].format(amount=rupiah(schedule.amount))]
    if turn.role == "owner":
        lines.append(t["summary_owner"].format(call_centre=turn.fact("call_centre")))
    if schedule.first.estimate:
        lines.append(t["summary_estimate"])
    return lines


def summary(turn: Turn, app) -> Reply:
    t, vault = _t(turn), turn.vault
    birth = dt.date.fromisoformat(vault.decrypt(app.birth_date_token))
    programs = "JKK, JKM" + (", JHT" if app.with_jht else "")
    lines = [t["summary_title"], t["summary_lines"].strip().format(
        nik=mask_nik(vault.decrypt(app.nik_token)), name=vault.decrypt(app.name_token),
        birth_date=date_text(birth), gender=t["gender"].get(app.gender, "-"),
        phone=mask_phone(local_phone(vault.decrypt(app.phone_token))), place=f"{app.regency}, {app.province}",
        occupation=app.occupation, income=rupiah(app.income), programs=programs)]
    lines += amount_lines(turn, _schedule(turn, app))
    lines += [t["summary_period"], t["summary_hint"]]
    buttons = tuple(Button(t["edit_labels"][field], f"enrol:edit:{field}") for field in FIELDS)
    return Reply("\n".join(lines), buttons + (Button(t["submit"], "enrol:submit"),), columns=2, private=True)


def submit(turn: Turn, app) -> list[Reply]:
    t = _t(turn)
    if turn.repo.nik_in_use(app.nik_hash, except_id=app.id):
        turn.set_state(FLOW, "nik", {"app": app.id, "editing": True})
        return [Reply(t["errors"]["nik_taken"]), ask(turn)]
    schedule = _schedule(turn, app)
    app.monthly_amount = schedule.amount                 # this month's amount, as confirmed
    app.normal_amount = schedule.normal                  # from the month after the discount ends
    app.discount_until = schedule.discount_until.strftime("%Y-%m") if schedule.discount_until else None
    app.payment_months = 1
    reference = turn.repo.submit(app, turn.today)
    turn.set_state(None)
    text = t["submitted"].strip().format(reference=reference, amount_line="\n".join(amount_lines(turn, schedule)),
                                         call_centre=turn.fact("call_centre"),
                                         payment_channels=turn.fact("payment_channels"))
    return [Reply(text, (Button(turn.texts["menu_buttons"]["status"], "go:status"), turn.menu_button()))]


def discard(turn: Turn) -> None:
    """/batal confirmed: the unfinished application and everything typed into it is deleted."""
    app = _app(turn)
    if app is not None:
        turn.repo.delete_application(app)
