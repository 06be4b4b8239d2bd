"""What a user can see about themselves: application status and the data Lindungi keeps."""
from __future__ import annotations

import datetime as dt

from bot.engine.context import Context
from bot.engine.flows import profile
from bot.engine.flows.enrolment import FIELDS
from bot import clock
from bot.engine.replies import Button, Reply
from bot.engine.turn import Turn
from bot.enrolment.validation import local_phone
from bot.knowledge.facts import date_text
from bot.privacy import mask_nik, mask_phone


def status(turn: Turn) -> Reply:
    t = turn.knowledge.texts["enrolment"]
    applications = turn.repo.applications_of(turn.user)
    if not applications:
        return Reply(t["status_none"], (Button(turn.texts["menu_buttons"]["enrol"], "go:enrol"), turn.menu_button()))
    lines = [t["status_title"]]
    for app in applications:
        if app.status == "draft":
            step = turn.user.step if turn.user.flow == "enrol" and turn.user.step in FIELDS else "data"
            lines.append(t["status_draft"].format(step=t["edit_labels"].get(step, step).replace("Ubah ", "")))
            continue
        lines.append(t["status_line"].format(reference=app.reference, status=t["statuses"].get(app.status, app.status),
                                             date=date_text(clock.date_at(app.submitted_at or app.created_at))))
        if app.status == "ditolak" and app.status_reason:
            lines.append(t["status_reason"].format(reason=app.status_reason))
    buttons = [turn.menu_button()]
    if any(app.status == "draft" for app in applications):
        buttons.insert(0, Button(t["continue"], "go:enrol"))
    return Reply("\n".join(lines), tuple(buttons))


def my_data(turn: Turn) -> Reply:
    """/datasaya: everything stored about the user, masked."""
    t, vault = turn.knowledge.texts["enrolment"], turn.vault
    progress = turn.repo.all_progress(turn.user)
    lines = [t["mydata_title"], t["mydata_user"].format(
        role=t["roles"].get(turn.user.role or "none"), messages=turn.repo.count_messages(turn.user),
        lessons=sum(1 for p in progress.values() if p.completed_at))]
    applications = turn.repo.applications_of(turn.user)
    for app in applications:
        lines.append(t["mydata_application"].format(
            reference=app.reference or t["statuses"]["draft"],
            nik=mask_nik(vault.decrypt(app.nik_token)) if app.nik_token else "-",
            name=vault.decrypt(app.name_token) if app.name_token else "-",
            phone=mask_phone(local_phone(vault.decrypt(app.phone_token))) if app.phone_token else "-",
            place=app.regency or "-", status=t["statuses"].get(app.status, app.status)))
    for business in turn.repo.businesses_of(turn.user):
        lines.append(t["mydata_business"].format(name=business.name, size=business.size, code=business.invite_code))
    notes = Context.load(turn.user.context, None, dt.datetime.now(dt.timezone.utc)).profile
    if notes.known():
        lines.append(t["mydata_profile"].format(profile=profile.describe(turn, notes)))
    if not applications:
        lines.append(t["mydata_none"])
    lines.append(t["mydata_hint"])
    buttons = [Button(turn.texts["delete_button"], "privacy:delete")]
    if notes.known():
        buttons.append(Button(turn.texts["context"]["change_button"], "ctx:profile"))
    return Reply("\n".join(lines), (*buttons, turn.menu_button()), private=True)


def payment_reminders_on(turn: Turn) -> Reply:
    """Opt in to a monthly reminder before the due date, for the user's active membership."""
    t = turn.knowledge.texts["enrolment"]
    active = [app for app in turn.repo.applications_of(turn.user) if app.status == "aktif"]
    for app in active:
        app.payment_reminder_opt_in = 1
    if not active:
        return status(turn)
    return Reply(t["payment_reminder_on"], (turn.menu_button(),))
