"""The dashboard's pages. Each handler gets the request, the app's parts and the page renderer."""
from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode

import yaml
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

import bot.knowledge
from bot.dashboard import charts, params, queries, times
from bot.dashboard.buttons import UNKNOWN as UNKNOWN_BUTTON
from bot.dashboard.buttons import ButtonLabels
from bot.dashboard.csvfile import csv_response
from bot.dashboard.staff import audit, audit_rows
from bot.enrolment.status import STATUSES, StatusError, change_status, next_statuses
from bot.enrolment.validation import local_phone
from bot.privacy import mask_nik, mask_phone, mask_text
from bot.review import training_yaml
from bot.storage.models import (Application, AuditLog, Business, ConversationReview, Handoff, HandoffNote, Staff,
                                User, now)
from bot.storage.repository import HANDOFF_ACTIVE, Repository

KNOWLEDGE_DATA = Path(bot.knowledge.__file__).parent / "data"


def _date(value: str | None, label: str = "Tanggal") -> dt.date | None:
    """A YYYY-MM-DD filter date; a bad or out-of-range one is a 400 on the friendly page."""
    return params.day({"value": value}, "value", label)


def _lenient_date(value: str | None) -> dt.date | None:
    """A filter date, or None when it cannot be used (for pages that explain the problem inline)."""
    try:
        return _date(value)
    except params.BadRequest:
        return None


def _float(value: str | None) -> float | None:
    """A confidence threshold, 0 to 1."""
    return params.number({"value": value}, "value", 0, 1, "Batas keyakinan")


def _page(request: Request) -> int:
    return params.page(request.query_params)


def _business(value: str | None) -> int | None:
    return params.integer({"value": value}, "value", 1, params.MAX_ID, "Usaha")


def _flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _user_label(user: User | None) -> str:
    if user is None:
        return "(dihapus)"
    return f"#{user.id} · {user.channel} ···{str(user.external_id)[-3:]}"


# Conversations -----------------------------------------------------------------------------------
_LABELS: dict[int, ButtonLabels] = {}


def _buttons(deps) -> ButtonLabels:
    key = id(deps.knowledge)
    if key not in _LABELS:
        _LABELS[key] = ButtonLabels(deps.knowledge)
    return _LABELS[key]


def _shown(deps):
    """What a logged message shows staff: a pressed button by its label, never its callback data."""
    labels = _buttons(deps)

    def shown(message) -> str:
        if message.kind == "button":
            return f"▸ {labels(message.text)}"
        return message.text
    return shown


def _context_note(message) -> str:
    """How the conversation's context shaped the reading of an incoming turn, for reviewers."""
    context = message.context if message.direction == "in" else None
    if not context:
        return ""
    parts = ["dibaca sebagai lanjutan"] if context.get("followup") else []
    used = context.get("used") or {}
    if isinstance(used, dict) and used:
        parts.append("konteks dipakai: " + ", ".join(f"{k} = {v}" for k, v in sorted(used.items())))
    return " · ".join(parts)


def _agent(request: Request) -> bool:
    return request.state.staff.role == "agent"


async def conversations(request: Request, deps, render) -> Response:
    params = request.query_params
    reviewed = params.get("reviewed", "")
    filters = queries.Filters(q=params.get("q", "").strip()[:200], date_from=_date(params.get("from")),
                              date_to=_date(params.get("to")), intent=params.get("intent", "")[:64],
                              below=_float(params.get("below")), fallback=params.get("fallback") == "1",
                              handoff=params.get("handoff") == "1", role=params.get("role", "")[:16],
                              flow=params.get("flow", "")[:32], reviewed=reviewed if reviewed in ("yes", "no") else "")
    page = _page(request)
    with deps.database.transaction() as session:
        rows = queries.conversations(session, filters, page, handed_off_only=_agent(request))
        intents = queries.intents_seen(session)
    return render(request, "conversations.html", rows=rows[:queries.PAGE], more=len(rows) > queries.PAGE,
                  page=page, f=filters, intents=intents, params=params, shown=_shown(deps),
                  roles=deps.knowledge.texts["enrolment"]["roles"])


async def conversation(request: Request, deps, render) -> Response:
    user_id = request.path_params["user_id"]
    with deps.database.transaction() as session:
        user = session.get(User, user_id)
        allowed = user is not None and (not _agent(request) or queries.ever_handed_off(session, user_id))
        messages = queries.timeline(session, user_id) if allowed else []
        handoff = Repository(session).open_handoff(user) if allowed else None
        review = session.get(ConversationReview, user_id) if allowed else None
    if not allowed:
        return render(request, "error.html", 404, message="Percakapan ini tidak ada atau sudah dihapus.")
    return render(request, "conversation.html", user=user, label=_user_label(user), messages=messages,
                  handoff=handoff, review=review, shown=_shown(deps), context_note=_context_note,
                  roles=deps.knowledge.texts["enrolment"]["roles"])


async def conversation_reviewed(request: Request, deps, render) -> Response:
    user_id = request.path_params["user_id"]
    reviewed = request.state.form.get("reviewed") != "0"
    with deps.database.transaction() as session:
        if session.get(User, user_id) is None:
            return render(request, "error.html", 404, message="Percakapan ini tidak ada atau sudah dihapus.")
        queries.mark_reviewed(session, user_id, request.state.staff, reviewed)
        audit(session, request.state.staff, "conversation_reviewed" if reviewed else "conversation_unreviewed",
              f"user {user_id}")
    _flash(request, "Percakapan ditandai sudah ditinjau." if reviewed else "Tanda ditinjau dihapus.")
    return _back(f"/conversations/{user_id}")


# Review queue ------------------------------------------------------------------------------------
def _label_choices(deps) -> list[tuple[str, str]]:
    """(label, its Indonesian description) for each intent and each topic under it."""
    names, buttons = deps.knowledge.texts["intent_labels"], _buttons(deps)
    choices = []
    for label in deps.labels:
        intent, _, topic = label.partition("/")
        if topic:
            described = buttons(f"topic:{label}")
            choices.append((label, described if described != UNKNOWN_BUTTON else _topic_gist(deps, intent, topic)))
        else:
            choices.append((label, names.get(intent, intent.replace("_", " "))))
    return choices


def _topic_gist(deps, intent: str, topic: str) -> str:
    """A topic without a button of its own is described by the start of its answer."""
    answer = deps.knowledge.answers.answers.get(intent)
    section = answer.topics.get(topic) if answer else None
    if section is None:
        return topic.replace("_", " ")
    first = re.sub(r"\{[^}]*\}", "…", section.text.strip().split("\n")[0])
    first = re.split(r"(?<=[.!?])\s", first)[0]
    return first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "…"


def _described(deps) -> dict[str, str]:
    """Each label's description, and the bot's "not understood" guess too."""
    return {queries.FALLBACK: "bot tidak paham", **dict(_label_choices(deps))}


def _undo_offer(session, staff) -> dict | None:
    found = queries.last_batch(session, staff.id)
    return {"batch": found[0], "label": found[1], "count": found[2]} if found else None


async def review(request: Request, deps, render) -> Response:
    page = _page(request)
    with deps.database.transaction() as session:
        groups = queries.review_groups(session, page)
        undo = _undo_offer(session, request.state.staff)
    return render(request, "review.html", groups=groups[:queries.PAGE], more=len(groups) > queries.PAGE,
                  page=page, choices=_label_choices(deps), described=_described(deps), undo=undo)


async def review_group(request: Request, deps, render) -> Response:
    normalized, predicted = request.query_params.get("key", "")[:200], request.query_params.get("intent", "")[:130]
    with deps.database.transaction() as session:
        messages = queries.group_messages(session, normalized, predicted)
        undo = _undo_offer(session, request.state.staff)
    return render(request, "review_group.html", messages=messages, key=normalized, predicted=predicted,
                  choices=_label_choices(deps), described=_described(deps), undo=undo)


def _groups_of(form) -> list[tuple[str, str]]:
    """The groups a form names: one (`key`, `predicted`), or several ticked boxes (`group`, JSON pairs)."""
    groups = []
    for value in form.getlist("group")[:queries.PAGE]:
        try:
            key, predicted = json.loads(value)
        except (ValueError, TypeError):
            continue
        if isinstance(key, str) and isinstance(predicted, str):
            groups.append((key[:200], predicted[:130]))
    if not groups and form.get("key") is not None:
        groups.append((str(form.get("key", ""))[:200], str(form.get("predicted", ""))[:130]))
    return groups


def _same_site(target: str, fallback: str = "/review") -> str:
    return params.same_site(target, fallback)


async def review_label(request: Request, deps, render) -> Response:
    form = request.state.form
    intent = str(form.get("intent", ""))
    back = _same_site(str(form.get("back") or "/review"))
    if intent != "skip" and intent not in deps.labels:
        _flash(request, "Pilih label yang benar dulu (tebakan bot tidak dipilih otomatis).")
        return _back(back)
    message_id = str(form.get("message_id", ""))
    groups = _groups_of(form)
    if not message_id and not groups:
        _flash(request, "Centang dulu kelompok yang mau diberi label.")
        return _back(back)
    batch = secrets.token_hex(8)
    with deps.database.transaction() as session:
        if message_id:
            ids = [params.record_id(message_id, "Nomor pesan")]
        else:
            ids = [m.id for key, predicted in groups for m in queries.group_messages(session, key, predicted)]
        done = queries.label(session, ids, intent, request.state.staff.id, batch)
        audit(session, request.state.staff, "label", intent, f"{done} pesan, {max(1, len(groups))} kelompok")
    verb = "dilewati" if intent == "skip" else f"diberi label {intent}"
    _flash(request, f"{done} pesan {verb}.")
    return _back(back)


async def review_undo(request: Request, deps, render) -> Response:
    form = request.state.form
    with deps.database.transaction() as session:
        done = queries.undo(session, request.state.staff.id, str(form.get("batch", ""))[:32])
        if done:
            audit(session, request.state.staff, "label_undo", str(form.get("batch", ""))[:32], f"{done} pesan")
    _flash(request, f"Label terakhir dibatalkan: {done} pesan kembali ke antrean." if done
           else "Tidak ada label yang bisa dibatalkan.")
    return _back(_same_site(str(form.get("back") or "/review")))


def _reviewed_yaml(session) -> tuple[str, int]:
    examples = queries.labelled_examples(session)
    count = sum(len(texts) for texts in examples.values())
    note = f"Reviewed by Lindungi staff in the dashboard; exported {times.wib(now())}."
    return training_yaml(examples, note), count


async def review_export(request: Request, deps, render) -> Response:
    with deps.database.transaction() as session:
        text, count = _reviewed_yaml(session)
        deps.reviewed_dir.mkdir(parents=True, exist_ok=True)
        target = deps.reviewed_dir / "reviewed.yml"
        target.write_text(text, encoding="utf-8")
        queries.mark_exported(session)
        audit(session, request.state.staff, "export_training", str(target)[-64:], f"{count} contoh")
    _flash(request, f"{count} contoh disimpan sebagai data latih. Tim teknis melatih ulang modelnya; model "
                    "baru hanya dipakai kalau hasil ujinya tidak turun.")
    return _back("/review")


async def review_download(request: Request, deps, render) -> Response:
    with deps.database.transaction() as session:
        text, count = _reviewed_yaml(session)
        audit(session, request.state.staff, "export_training", "download", f"{count} contoh")
    return Response(text, media_type="application/x-yaml",
                    headers={"Content-Disposition": 'attachment; filename="reviewed.yml"'})


# Handoff inbox -----------------------------------------------------------------------------------
REASONS = {"intent": "minta petugas", "menu": "tombol menu", "fallback": "bot tidak paham"}
STATE_WORDS = {"open": "menunggu petugas", "pending": "menunggu pengguna", "resolved": "selesai",
               "closed": "selesai"}
REPLY_LIMIT, NOTE_LIMIT = 3500, 2000


def _dashboard_texts() -> dict:
    """bot/knowledge/data/dashboard.yml (status words, canned replies), read once."""
    global _TEXTS
    if _TEXTS is None:
        _TEXTS = yaml.safe_load((KNOWLEDGE_DATA / "dashboard.yml").read_text(encoding="utf-8")) or {}
    return _TEXTS


_TEXTS = None


def _canned(deps) -> list[dict]:
    return [{"key": key, "label": str(value["label"]), "text": str(value["text"]).strip()}
            for key, value in _dashboard_texts()["canned_replies"].items()]


def _timing(handoff: Handoff, moment) -> dict:
    """Waiting time (since the person's oldest unanswered message) and the first response time."""
    waiting = times.between(handoff.waiting_since, moment) if handoff.status == "open" else None
    first = times.between(handoff.opened_at, handoff.first_response_at)
    return {"waiting": times.duration(waiting), "first_response": times.duration(first)}


async def handoff_list(request: Request, deps, render) -> Response:
    status = request.query_params.get("status", "open")
    status = status if status in queries.HANDOFF_STATES else ("resolved" if status == "closed" else "open")
    mine = request.query_params.get("mine") == "1"
    with deps.database.transaction() as session:
        rows = queries.handoffs(session, status, request.state.staff.id if mine else None)
        counts = queries.handoff_counts(session)
    moment = now()
    return render(request, "handoffs.html", rows=rows, status=status, mine=mine, label=_user_label, counts=counts,
                  timing=lambda h: _timing(h, moment), reasons=REASONS, states=STATE_WORDS,
                  shown=lambda text, kind: f"▸ {_buttons(deps)(text)}" if kind == "button" else (text or ""),
                  refresh=30)


def _handoff_page(request: Request, deps, render, handoff_id: int, status_code: int = 200, **extra) -> Response:
    with deps.database.transaction() as session:
        handoff = session.get(Handoff, handoff_id)
        user = session.get(User, handoff.user_id) if handoff else None
        if handoff is None or user is None:
            return render(request, "error.html", 404, message="Permintaan ini tidak ada.")
        messages = queries.timeline(session, handoff.user_id, 100)
        notes = queries.notes(session, handoff_id)
        staff = queries.assignable(session)
        assignee = session.get(Staff, handoff.agent_id) if handoff.agent_id else None
        session.expunge_all()
    me = request.state.staff
    return render(request, "handoff.html", status_code, handoff=handoff, user=user, label=_user_label(user),
                  messages=messages, notes=notes, staff_choices=staff, assignee=assignee,
                  others=assignee is not None and assignee.id != me.id, timing=_timing(handoff, now()),
                  canned=_canned(deps), reasons=REASONS, states=STATE_WORDS, shown=_shown(deps),
                  context_note=_context_note, active=handoff.status in HANDOFF_ACTIVE,
                  reply_limit=REPLY_LIMIT, note_limit=NOTE_LIMIT, **extra)


async def handoff_detail(request: Request, deps, render) -> Response:
    return _handoff_page(request, deps, render, request.path_params["handoff_id"])


async def handoff_timeline(request: Request, deps, render) -> Response:
    """The timeline alone, for the inbox page's refresh script (newest message last)."""
    with deps.database.transaction() as session:
        handoff = session.get(Handoff, request.path_params["handoff_id"])
        messages = queries.timeline(session, handoff.user_id, 100) if handoff else []
        session.expunge_all()
    if handoff is None:
        return PlainTextResponse("Permintaan ini tidak ada.", status_code=404)
    return render(request, "_timeline.html", messages=messages, shown=_shown(deps), context_note=_context_note)


def _clean_text(value, limit: int) -> str:
    return "\n".join(line.rstrip() for line in str(value or "").replace("\r\n", "\n").split("\n")).strip()[:limit]


async def handoff_reply(request: Request, deps, render) -> Response:
    handoff_id = request.path_params["handoff_id"]
    form, me = request.state.form, request.state.staff
    text = _clean_text(form.get("text"), REPLY_LIMIT + 1)
    if not text:
        _flash(request, "Tulis balasannya dulu.")
        return _back(f"/handoffs/{handoff_id}")
    if len(text) > REPLY_LIMIT:
        return _handoff_page(request, deps, render, handoff_id, 400, draft=text[:REPLY_LIMIT],
                             problem=f"Balasan terlalu panjang: paling banyak {REPLY_LIMIT} karakter. "
                                     "Bagi menjadi dua pesan, ya.")
    prefix = deps.knowledge.texts["handoff"]["agent_prefix"]
    with deps.database.transaction() as session:
        handoff = session.get(Handoff, handoff_id)
        user = session.get(User, handoff.user_id) if handoff else None
        if user is None or handoff.status not in HANDOFF_ACTIVE:
            _flash(request, "Percakapan ini sudah selesai; balasan tidak dikirim.")
            return _back("/handoffs")
        if handoff.agent_id is not None and handoff.agent_id != me.id and form.get("confirm") != "1":
            owner = session.get(Staff, handoff.agent_id)
            conflict = owner.name if owner else "petugas lain"
        else:
            conflict = None
            repo = Repository(session)
            moment = now()
            handoff.agent_id = handoff.agent_id or me.id
            handoff.first_response_at = handoff.first_response_at or moment
            handoff.status, handoff.waiting_since = "pending", None
            repo.enqueue(user, "agent", f"{prefix}\n{text}")
            repo.log(user, "out", "agent", text, flow=user.flow, step=user.step)
            audit(session, me, "reply", f"handoff {handoff_id}", f"{len(text)} karakter")
    if conflict:
        return _handoff_page(request, deps, render, handoff_id, 409, draft=text, confirm_needed=True,
                             problem=f"Percakapan ini dipegang {conflict}. Balasan belum dikirim. "
                                     "Centang “Tetap kirim” kalau Anda yakin mau membalas.")
    _flash(request, "Balasan dikirim ke pengguna. Status: menunggu pengguna.")
    return _back(f"/handoffs/{handoff_id}")


async def handoff_assign(request: Request, deps, render) -> Response:
    handoff_id, form, me = request.path_params["handoff_id"], request.state.form, request.state.staff
    target = str(form.get("to", ""))
    with deps.database.transaction() as session:
        handoff = session.get(Handoff, handoff_id)
        if handoff is None:
            return render(request, "error.html", 404, message="Permintaan ini tidak ada.")
        if target == "me":
            chosen = session.get(Staff, me.id)
        elif target == "":
            chosen = None
        else:
            chosen = next((s for s in queries.assignable(session) if str(s.id) == target), None)
            if chosen is None:
                _flash(request, "Petugas itu tidak ada atau tidak bisa diberi percakapan.")
                return _back(f"/handoffs/{handoff_id}")
        handoff.agent_id = chosen.id if chosen else None
        name = chosen.name if chosen else None
        audit(session, me, "handoff_assign", f"handoff {handoff_id}", name or "tidak ada")
    _flash(request, f"Percakapan diberikan ke {name}." if name else "Percakapan tidak dipegang siapa pun.")
    return _back(f"/handoffs/{handoff_id}")


async def handoff_note(request: Request, deps, render) -> Response:
    handoff_id, me = request.path_params["handoff_id"], request.state.staff
    text = _clean_text(request.state.form.get("note"), NOTE_LIMIT + 1)
    if not text or len(text) > NOTE_LIMIT:
        return _handoff_page(request, deps, render, handoff_id, 400, note_draft=text[:NOTE_LIMIT],
                             problem="Tulis catatannya dulu." if not text
                             else f"Catatan terlalu panjang: paling banyak {NOTE_LIMIT} karakter.")
    with deps.database.transaction() as session:
        if session.get(Handoff, handoff_id) is None:
            return render(request, "error.html", 404, message="Permintaan ini tidak ada.")
        session.add(HandoffNote(handoff_id=handoff_id, staff_id=me.id, staff_name=me.name, text=mask_text(text)))
        audit(session, me, "handoff_note", f"handoff {handoff_id}", f"{len(text)} karakter")
    _flash(request, "Catatan disimpan (tidak dikirim ke pengguna).")
    return _back(f"/handoffs/{handoff_id}")


async def handoff_state(request: Request, deps, render) -> Response:
    """Move a handoff: open (waiting for staff) -> pending (waiting for the person) -> resolved."""
    handoff_id = request.path_params["handoff_id"]
    state = str(request.state.form.get("status", ""))
    if state not in queries.HANDOFF_STATES:
        _flash(request, "Status itu tidak dikenal.")
        return _back(f"/handoffs/{handoff_id}")
    with deps.database.transaction() as session:
        handoff = session.get(Handoff, handoff_id)
        user = session.get(User, handoff.user_id) if handoff else None
        if handoff is None or handoff.status not in HANDOFF_ACTIVE:
            _flash(request, "Percakapan ini sudah selesai.")
            return _back("/handoffs")
        if state == "resolved":
            handoff.status, handoff.closed_at, handoff.waiting_since = "resolved", now(), None
            if user is not None:
                Repository(session).enqueue(user, "agent", deps.knowledge.texts["handoff"]["closed"],
                                            [{"label": deps.knowledge.texts["dialogue"]["menu_button"], "data": "menu"}])
        else:
            handoff.status = state
            handoff.waiting_since = (handoff.waiting_since or now()) if state == "open" else None
        audit(session, request.state.staff, "handoff_close" if state == "resolved" else "handoff_status",
              f"handoff {handoff_id}", state)
    if state == "resolved":
        _flash(request, "Selesai: percakapan dikembalikan ke bot.")
        return _back("/handoffs")
    _flash(request, f"Status: {STATE_WORDS[state]}.")
    return _back(f"/handoffs/{handoff_id}")


async def handoff_close(request: Request, deps, render) -> Response:
    request.state.form = _FormWith(request.state.form, status="resolved")
    return await handoff_state(request, deps, render)


class _FormWith(dict):
    def __init__(self, form, **values):
        super().__init__({k: v for k, v in form.items()}, **values)


# Applications ------------------------------------------------------------------------------------
def _status_words(deps) -> dict[str, str]:
    return {**deps.knowledge.texts["enrolment"]["statuses"], **_dashboard_texts()["status_words"]}


def _app_filters(request: Request, source=None) -> queries.AppFilters:
    """The list's filters, from the query string (or from the confirmed form of the full export)."""
    params = request.query_params if source is None else source
    business = params.get("business", "")
    return queries.AppFilters(status=params.get("status", "")[:16], province=params.get("province", "")[:64],
                              occupation=params.get("occupation", "")[:64], date_from=_date(params.get("from")),
                              date_to=_date(params.get("to")), q=params.get("q", "").strip()[:80],
                              business=_business(business))


def _name_of(deps):
    def name(app: Application) -> str:
        try:
            return deps.vault.decrypt(app.name_token) if app.name_token else ""
        except Exception:            # a token from another key: not a match, never a crash
            return ""
    return name


async def application_list(request: Request, deps, render) -> Response:
    filters, page = _app_filters(request), _page(request)
    with deps.database.transaction() as session:
        rows = queries.applications(session, filters, page, names=_name_of(deps))
        provinces = queries.choices(session, Application.province)
        occupations = queries.choices(session, Application.occupation)
        businesses = queries.businesses(session)
    return render(request, "applications.html", rows=rows[:queries.PAGE], more=len(rows) > queries.PAGE, page=page,
                  f=filters, statuses=STATUSES, words=_status_words(deps), provinces=provinces,
                  occupations=occupations, businesses=businesses, params=request.query_params)


def _view(deps, app: Application, reveal: bool = False) -> dict:
    vault = deps.vault
    nik = vault.decrypt(app.nik_token) if app.nik_token else None
    phone = vault.decrypt(app.phone_token) if app.phone_token else None
    birth = vault.decrypt(app.birth_date_token) if app.birth_date_token else None
    return {
        "nik": (nik if reveal else mask_nik(nik)) if nik else "(dihapus)",
        "phone": (local_phone(phone) if reveal else mask_phone(local_phone(phone))) if phone else "(dihapus)",
        "birth": (birth if reveal else (birth[:4] + "-**-**")) if birth else "(dihapus)",
        "name": vault.decrypt(app.name_token) if app.name_token else "(dihapus)",
    }


async def application_detail(request: Request, deps, render, reveal: bool = False) -> Response:
    with deps.database.transaction() as session:
        app = session.get(Application, request.path_params["app_id"])
        business = session.get(Business, app.business_id) if app is not None and app.business_id else None
        if app is not None and app.status != "draft":
            if reveal:
                audit(session, request.state.staff, "reveal", app.reference or f"#{app.id}", "NIK, HP, tanggal lahir")
            else:
                audit(session, request.state.staff, "view", app.reference or f"#{app.id}", "disamarkan")
        history = queries.status_history(session, app) if app is not None else []
        chat = session.get(User, app.user_id) if app is not None and app.user_id else None
    if app is None or app.status == "draft":
        return render(request, "error.html", 404, message="Pendaftaran ini tidak ada.")
    return render(request, "application.html", app=app, view=_view(deps, app, reveal), business=business,
                  revealed=reveal, statuses=next_statuses(app.status), labels=_status_words(deps), history=history,
                  chat_user_id=chat.id if chat is not None else None)


async def application_reveal(request: Request, deps, render) -> Response:
    return await application_detail(request, deps, render, reveal=True)


async def application_status(request: Request, deps, render) -> Response:
    app_id, form = request.path_params["app_id"], request.state.form
    with deps.database.transaction() as session:
        app = session.get(Application, app_id)
        if app is None:
            return render(request, "error.html", 404, message="Pendaftaran ini tidak ada.")
        status, reason = str(form.get("status", "")), str(form.get("reason", ""))[:300]
        before = app.status
        problem = _status_problem(deps, status, reason)
        if problem is None:
            try:
                change_status(Repository(session), deps.knowledge, app.reference, status, reason)
            except StatusError as error:
                problem = _indonesian(str(error))
        if problem is not None:
            _flash(request, problem)
            return _back(f"/applications/{app_id}")
        if app.status != before:
            queries.record_status(session, app, request.state.staff, reason)
        audit(session, request.state.staff, "status", app.reference, f"{app.status}: {form.get('reason', '')}"[:500])
    _flash(request, "Status diubah. Pendaftar diberi tahu lewat chat.")
    return _back(f"/applications/{app_id}")


def _status_problem(deps, status: str, reason: str) -> str | None:
    """What is wrong with a status change, in the dashboard's words (no command-line flags)."""
    if status not in STATUSES:
        return "Pilih salah satu status: " + ", ".join(_status_words(deps).get(s, s) for s in STATUSES) + "."
    if status == "ditolak" and not reason.strip():
        return "Tulis alasan penolakan di kotak Alasan, supaya pendaftar tahu apa yang harus diperbaiki."
    return None


def _indonesian(message: str) -> str:
    """An error from the shared status rules, without the command line's flags."""
    return re.sub(r"\s*\(?--[a-z-]+\)?", "", message).strip() or "Status tidak bisa diubah."


EXPORT_HEADER = ["reference", "status", "submitted_wib", "province", "regency", "occupation", "income", "programs",
                 "monthly_amount", "discount_until", "normal_amount", "business", "nik", "name", "birth_date", "phone"]


def _filter_words(filters: queries.AppFilters) -> str:
    """An export's filters, for the audit log."""
    used = [f"{name}={value}" for name, value in vars(filters).items() if value not in (None, "")]
    return ", ".join(used) or "tanpa filter"


def _export(request: Request, deps, filters: queries.AppFilters, full: bool) -> Response:
    """The applications as CSV: masked, or (admins, after confirming) with full personal data."""
    with deps.database.transaction() as session:
        rows = queries.applications(session, filters, page=None)
        lines = []
        for app, business in rows:
            view = _view(deps, app, reveal=full)
            lines.append([app.reference, app.status, times.wib_day(app.submitted_at),
                          app.province, app.regency, app.occupation, app.income,
                          "jkk+jkm" + ("+jht" if app.with_jht else ""), app.monthly_amount, app.discount_until or "",
                          app.normal_amount if app.normal_amount is not None else "", business or "",
                          view["nik"], view["name"] if full else _initials(view["name"]), view["birth"], view["phone"]])
        audit(session, request.state.staff, "export_csv", "applications",
              f"{len(rows)} baris, {'lengkap' if full else 'disamarkan'}; filter: {_filter_words(filters)}"[:500])
    name = f"lindungi-pendaftaran-{now():%Y%m%d}{'-lengkap' if full else ''}.csv"
    return csv_response(name, EXPORT_HEADER, lines)


async def application_export(request: Request, deps, render) -> Response:
    """GET: the masked export, for everyone who may see applications."""
    return _export(request, deps, _app_filters(request), full=False)


FILTER_FIELDS = ("status", "province", "occupation", "business", "from", "to", "q")


async def application_export_full(request: Request, deps, render) -> Response:
    """Full personal data: a confirmation page (GET), then the download as a POST with CSRF."""
    if request.method == "GET":
        filters = _app_filters(request)
        with deps.database.transaction() as session:
            count = len(queries.applications(session, filters, page=None))
        kept = [(k, v) for k, v in request.query_params.multi_items() if k in FILTER_FIELDS and v]
        return render(request, "export_confirm.html", count=count, kept=kept, words=_filter_words(filters),
                      back="/applications?" + urlencode(kept))
    form = request.state.form
    filters = _app_filters(request, form)
    if form.get("confirm") != "1":
        kept = [(k, v) for k, v in form.multi_items() if k in FILTER_FIELDS and v]
        _flash(request, "Centang dulu pernyataan bahwa Anda memahami isi berkasnya.")
        return _back("/applications/export-full?" + urlencode(kept))
    return _export(request, deps, filters, full=True)


def _initials(name: str) -> str:
    words = name.split()
    return " ".join([words[0]] + [w[0] + "." for w in words[1:]]) if words else ""


# Insights ----------------------------------------------------------------------------------------
MAX_DAYS = 366
CHARTS = {   # name: (title, CSV header)
    "messages": ("Pesan per hari", ["hari_wib", "pesan"]),
    "users": ("Pengguna per hari", ["hari_wib", "pengguna"]),
    "fallback": ("Tingkat tidak paham (termasuk di luar topik)", ["hari_wib", "tingkat_tidak_paham"]),
    "intents": ("Intent teratas", ["intent", "pesan"]),
    "lessons": ("Materi selesai", ["materi", "dimulai", "selesai"]),
    "funnel": ("Corong pendaftaran", ["tahap", "jumlah"]),
    "regions": ("Pendaftaran per provinsi", ["provinsi", "pendaftaran"]),
    "occupations": ("Pendaftaran per pekerjaan", ["pekerjaan", "pendaftaran"]),
}


def _period(request: Request, deps) -> tuple[queries.Period, str]:
    """The WIB days asked for (default: the last 30), and a problem to show when the range was bad."""
    today = times.today(deps.clock())
    default = queries.last_days(30, today)
    start, end = _lenient_date(request.query_params.get("from")), _lenient_date(request.query_params.get("to"))
    problem = ""
    if (request.query_params.get("from") and start is None) or (request.query_params.get("to") and end is None):
        problem = "Tanggal tidak dikenali. Pakai bentuk tahun-bulan-tanggal, contoh 2026-11-23."
    end = min(end or default.end, today)
    start = start or end - dt.timedelta(days=29)
    if start > end:
        start, end, problem = end, start, "Tanggal “dari” sesudah “sampai”: keduanya ditukar."
    if (end - start).days >= MAX_DAYS:
        start, problem = end - dt.timedelta(days=MAX_DAYS - 1), f"Rentang paling panjang {MAX_DAYS} hari."
    return queries.Period(start, end), problem


def _insight_data(session, deps, period: queries.Period) -> dict:
    lessons = deps.knowledge.lessons.lessons
    completion = queries.lesson_completion(session, period)
    daily = queries.per_day(session, period)
    return {
        "messages": [(d, m) for d, _, m, _ in daily],
        "users": [(d, u) for d, u, _, _ in daily],
        "fallback": [(d, r) for d, _, _, r in daily],
        "intents": queries.top_intents(session, period),
        "lessons": [(lesson.title, *completion.get(lesson_id, (0, 0))) for lesson_id, lesson in lessons.items()],
        "funnel": queries.funnel(session, period),
        "regions": queries.applications_by(session, Application.province, period),
        "occupations": queries.applications_by(session, Application.occupation, period),
    }


async def insights(request: Request, deps, render) -> Response:
    period, problem = _period(request, deps)
    with deps.database.transaction() as session:
        data = _insight_data(session, deps, period)
    figures = {
        "messages": charts.line(data["messages"], CHARTS["messages"][0]),
        "users": charts.line(data["users"], CHARTS["users"][0]),
        "fallback": charts.line(data["fallback"], CHARTS["fallback"][0], percent=True),
        "intents": charts.bars(data["intents"], CHARTS["intents"][0]),
        "lessons": charts.bars([(t, done) for t, _, done in data["lessons"]], CHARTS["lessons"][0]),
        "funnel": charts.bars(data["funnel"], CHARTS["funnel"][0]),
        "regions": charts.bars(data["regions"][:12], CHARTS["regions"][0]),
        "occupations": charts.bars(data["occupations"][:12], CHARTS["occupations"][0]),
    }
    query = urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()})
    return render(request, "insights.html", figures=figures, titles={k: v[0] for k, v in CHARTS.items()},
                  period=period, problem=problem, range_query=query)


async def insights_csv(request: Request, deps, render) -> Response:
    name = request.path_params["name"]
    if name not in CHARTS:
        return render(request, "error.html", 404, message="Tidak ada data itu.")
    period, _ = _period(request, deps)
    with deps.database.transaction() as session:
        data = _insight_data(session, deps, period)
    return csv_response(f"lindungi-{name}-{period.start}-{period.end}.csv", CHARTS[name][1], data[name])


# Audit -------------------------------------------------------------------------------------------
async def audit_page(request: Request, deps, render) -> Response:
    """The audit log, newest first, filtered by staff member, action and dates (WIB days)."""
    query = request.query_params
    with deps.database.transaction() as session:
        names = [row[0] for row in session.execute(select(Staff.name).order_by(Staff.name))]
        actions = [row[0] for row in session.execute(select(AuditLog.action).distinct().order_by(AuditLog.action))]
        chosen = {"staff": params.choice(query, "staff", names, "petugas"),
                  "action": params.choice(query, "action", actions, "tindakan")}
        first, last = params.date_range(query)
        page = _page(request)
        rows = list(session.execute(audit_rows(chosen["staff"], chosen["action"], first, last)
                                    .limit(queries.PAGE + 1).offset(page * queries.PAGE)).scalars())
    return render(request, "audit.html", rows=rows[:queries.PAGE], more=len(rows) > queries.PAGE, page=page,
                  names=names, actions=actions, chosen=chosen, first=first, last=last)
