"""The dashboard's pages. Each handler gets the request, the app's parts and the page renderer."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from bot.dashboard import charts, params, queries
from bot.dashboard.csvfile import csv_response
from bot.dashboard.staff import audit, audit_rows
from bot.enrolment.status import STATUSES, StatusError, change_status, next_statuses
from bot.enrolment.validation import local_phone
from bot.privacy import mask_nik, mask_phone
from bot.review import training_yaml
from bot.storage.models import Application, AuditLog, Business, Handoff, Staff, User, now
from bot.storage.repository import Repository


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
async def conversations(request: Request, deps, render) -> Response:
    params = request.query_params
    filters = queries.Filters(q=params.get("q", "").strip(), date_from=_date(params.get("from")),
                              date_to=_date(params.get("to")), intent=params.get("intent", ""),
                              below=_float(params.get("below")), fallback=params.get("fallback") == "1",
                              handoff=params.get("handoff") == "1", role=params.get("role", ""),
                              flow=params.get("flow", ""))
    page = _page(request)
    with deps.database.transaction() as session:
        rows = queries.conversations(session, filters, page)
        intents = queries.intents_seen(session)
    return render(request, "conversations.html", rows=rows[:queries.PAGE], more=len(rows) > queries.PAGE,
                  page=page, f=filters, intents=intents, params=params)


async def conversation(request: Request, deps, render) -> Response:
    user_id = request.path_params["user_id"]
    with deps.database.transaction() as session:
        user = session.get(User, user_id)
        messages = queries.timeline(session, user_id)
        handoff = Repository(session).open_handoff(user) if user else None
    if user is None:
        return render(request, "error.html", 404, message="Percakapan ini tidak ada atau sudah dihapus.")
    return render(request, "conversation.html", user=user, label=_user_label(user), messages=messages,
                  handoff=handoff)


# Review queue ------------------------------------------------------------------------------------
async def review(request: Request, deps, render) -> Response:
    page = _page(request)
    with deps.database.transaction() as session:
        groups = queries.review_groups(session, page)
    return render(request, "review.html", groups=groups[:queries.PAGE], more=len(groups) > queries.PAGE,
                  page=page, labels=deps.labels)


async def review_group(request: Request, deps, render) -> Response:
    normalized, predicted = request.query_params.get("key", ""), request.query_params.get("intent", "")
    with deps.database.transaction() as session:
        messages = queries.group_messages(session, normalized, predicted)
    return render(request, "review_group.html", messages=messages, key=normalized, predicted=predicted,
                  labels=deps.labels)


async def review_label(request: Request, deps, render) -> Response:
    form = request.state.form
    intent = str(form.get("intent", ""))
    if intent != "skip" and intent not in deps.labels:
        _flash(request, "Pilih intent (atau topik) yang benar dulu.")
        return _back("/review")
    with deps.database.transaction() as session:
        if form.get("message_id"):
            ids = [params.record_id(form["message_id"], "Nomor pesan")]
        else:
            ids = [m.id for m in queries.group_messages(session, str(form.get("key", "")),
                                                       str(form.get("predicted", "")))]
        done = queries.label(session, ids, intent, request.state.staff.id)
        audit(session, request.state.staff, "label", intent, f"{done} pesan")
    verb = "dilewati" if intent == "skip" else f"diberi label {intent}"
    _flash(request, f"{done} pesan {verb}.")
    return _back(params.same_site(form.get("back"), "/review"))


def _reviewed_yaml(session) -> tuple[str, int]:
    examples = queries.labelled_examples(session)
    count = sum(len(texts) for texts in examples.values())
    note = f"Reviewed by Lindungi staff in the dashboard; exported {now():%Y-%m-%d %H:%M} UTC."
    return training_yaml(examples, note), count


async def review_export(request: Request, deps, render) -> Response:
    with deps.database.transaction() as session:
        text, count = _reviewed_yaml(session)
        deps.reviewed_dir.mkdir(parents=True, exist_ok=True)
        target = deps.reviewed_dir / "reviewed.yml"
        target.write_text(text, encoding="utf-8")
        queries.mark_exported(session)
        audit(session, request.state.staff, "export_training", str(target)[-64:], f"{count} contoh")
    _flash(request, f"{count} contoh ditulis ke {target}. Jalankan `make train`: model baru hanya dipakai "
                    "kalau `make eval` tidak turun (perbandingannya dicetak).")
    return _back("/review")


async def review_download(request: Request, deps, render) -> Response:
    with deps.database.transaction() as session:
        text, count = _reviewed_yaml(session)
        audit(session, request.state.staff, "export_training", "download", f"{count} contoh")
    return Response(text, media_type="application/x-yaml",
                    headers={"Content-Disposition": 'attachment; filename="reviewed.yml"'})


# Handoff inbox -----------------------------------------------------------------------------------
async def handoff_list(request: Request, deps, render) -> Response:
    status = "closed" if request.query_params.get("status") == "closed" else "open"
    with deps.database.transaction() as session:
        rows = queries.handoffs(session, status)
    return render(request, "handoffs.html", rows=rows, status=status, label=_user_label)


async def handoff_detail(request: Request, deps, render) -> Response:
    with deps.database.transaction() as session:
        handoff = session.get(Handoff, request.path_params["handoff_id"])
        user = session.get(User, handoff.user_id) if handoff else None
        messages = queries.timeline(session, handoff.user_id, 100) if handoff else []
    if handoff is None or user is None:
        return render(request, "error.html", 404, message="Permintaan ini tidak ada.")
    return render(request, "handoff.html", handoff=handoff, user=user, label=_user_label(user), messages=messages)


async def handoff_reply(request: Request, deps, render) -> Response:
    handoff_id = request.path_params["handoff_id"]
    text = " ".join(str(request.state.form.get("text", "")).split(" ")).strip()
    if not text:
        _flash(request, "Tulis balasannya dulu.")
        return _back(f"/handoffs/{handoff_id}")
    prefix = deps.knowledge.texts["handoff"]["agent_prefix"]
    with deps.database.transaction() as session:
        handoff = session.get(Handoff, handoff_id)
        user = session.get(User, handoff.user_id) if handoff else None
        if user is None or handoff.status != "open":
            _flash(request, "Percakapan ini sudah ditutup.")
            return _back("/handoffs")
        repo = Repository(session)
        handoff.agent_id = request.state.staff.id
        repo.enqueue(user, "agent", f"{prefix}\n{text[:3500]}")
        repo.log(user, "out", "agent", text[:3500], flow=user.flow, step=user.step)
        audit(session, request.state.staff, "reply", f"handoff {handoff_id}", f"{len(text)} karakter")
    _flash(request, "Balasan dikirim ke pengguna.")
    return _back(f"/handoffs/{handoff_id}")


async def handoff_close(request: Request, deps, render) -> Response:
    handoff_id = request.path_params["handoff_id"]
    with deps.database.transaction() as session:
        handoff = session.get(Handoff, handoff_id)
        user = session.get(User, handoff.user_id) if handoff else None
        if handoff is not None and handoff.status == "open":
            handoff.status, handoff.closed_at = "closed", now()
            if user is not None:
                Repository(session).enqueue(user, "agent", deps.knowledge.texts["handoff"]["closed"],
                                            [{"label": deps.knowledge.texts["dialogue"]["menu_button"], "data": "menu"}])
            audit(session, request.state.staff, "handoff_close", f"handoff {handoff_id}")
    _flash(request, "Percakapan dikembalikan ke bot.")
    return _back("/handoffs")


# Applications ------------------------------------------------------------------------------------
def _app_filters(request: Request, source=None) -> queries.AppFilters:
    """The list's filters, from the query string (or from the confirmed form of the full export)."""
    params = request.query_params if source is None else source
    business = params.get("business", "")
    return queries.AppFilters(status=params.get("status", ""), province=params.get("province", ""),
                              occupation=params.get("occupation", ""), date_from=_date(params.get("from")),
                              date_to=_date(params.get("to")), business=_business(business))


async def application_list(request: Request, deps, render) -> Response:
    filters, page = _app_filters(request), _page(request)
    with deps.database.transaction() as session:
        rows = queries.applications(session, filters, page)
        provinces = queries.choices(session, Application.province)
        occupations = queries.choices(session, Application.occupation)
        businesses = queries.businesses(session)
    return render(request, "applications.html", rows=rows[:queries.PAGE], more=len(rows) > queries.PAGE, page=page,
                  f=filters, statuses=STATUSES, provinces=provinces, occupations=occupations,
                  businesses=businesses, params=request.query_params)


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
    if app is None or app.status == "draft":
        return render(request, "error.html", 404, message="Pendaftaran ini tidak ada.")
    return render(request, "application.html", app=app, view=_view(deps, app, reveal), business=business,
                  revealed=reveal, statuses=next_statuses(app.status), labels=deps.knowledge.texts["enrolment"]["statuses"])


async def application_reveal(request: Request, deps, render) -> Response:
    return await application_detail(request, deps, render, reveal=True)


async def application_status(request: Request, deps, render) -> Response:
    app_id, form = request.path_params["app_id"], request.state.form
    with deps.database.transaction() as session:
        app = session.get(Application, app_id)
        if app is None:
            return render(request, "error.html", 404, message="Pendaftaran ini tidak ada.")
        try:
            change_status(Repository(session), deps.knowledge, app.reference, str(form.get("status", "")),
                          str(form.get("reason", "")))
        except StatusError as error:
            _flash(request, str(error))
            return _back(f"/applications/{app_id}")
        audit(session, request.state.staff, "status", app.reference, f"{app.status}: {form.get('reason', '')}"[:500])
    _flash(request, "Status diubah. Pendaftar diberi tahu lewat chat.")
    return _back(f"/applications/{app_id}")


EXPORT_HEADER = ["reference", "status", "submitted", "province", "regency", "occupation", "income", "programs",
                 "monthly_amount", "business", "nik", "name", "birth_date", "phone"]


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
            lines.append([app.reference, app.status, app.submitted_at.date().isoformat() if app.submitted_at else "",
                          app.province, app.regency, app.occupation, app.income,
                          "jkk+jkm" + ("+jht" if app.with_jht else ""), app.monthly_amount, business or "",
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
def _insight_data(session, deps) -> dict:
    lessons = deps.knowledge.lessons.lessons
    completion = queries.lesson_completion(session)
    return {
        "daily": queries.per_day(session),
        "intents": queries.top_intents(session),
        "lessons": [(lesson.title, *completion.get(lesson_id, (0, 0))) for lesson_id, lesson in lessons.items()],
        "funnel": queries.funnel(session),
        "regions": queries.applications_by(session, Application.province),
        "occupations": queries.applications_by(session, Application.occupation),
    }


async def insights(request: Request, deps, render) -> Response:
    with deps.database.transaction() as session:
        data = _insight_data(session, deps)
    daily = data["daily"]
    figures = {
        "messages": charts.line([(d, m) for d, _, m, _ in daily], "Pesan per hari"),
        "users": charts.line([(d, u) for d, u, _, _ in daily], "Pengguna per hari"),
        "fallback": charts.line([(d, r) for d, _, _, r in daily], "Tingkat tidak paham", percent=True),
        "intents": charts.bars(data["intents"], "Intent teratas"),
        "lessons": charts.bars([(t, done) for t, _, done in data["lessons"]], "Materi selesai"),
        "funnel": charts.bars(data["funnel"], "Corong pendaftaran"),
        "regions": charts.bars(data["regions"][:12], "Pendaftaran per provinsi"),
        "occupations": charts.bars(data["occupations"][:12], "Pendaftaran per pekerjaan"),
    }
    return render(request, "insights.html", figures=figures)


async def insights_csv(request: Request, deps, render) -> Response:
    name = request.path_params["name"]
    with deps.database.transaction() as session:
        data = _insight_data(session, deps)
    headers = {"daily": ["day", "users", "messages", "fallback_rate"], "intents": ["intent", "messages"],
               "lessons": ["lesson", "started", "completed"], "funnel": ["stage", "count"],
               "regions": ["province", "applications"], "occupations": ["occupation", "applications"]}
    if name not in headers:
        return PlainTextResponse("Tidak ada data itu.", status_code=404)
    return csv_response(f"lindungi-{name}.csv", headers[name], data[name])


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
