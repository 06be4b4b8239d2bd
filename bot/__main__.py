"""Command line: `python -m bot ask|shell|run|nlu-serve|dashboard|staff|applications|migrate|train|eval|bench|facts`."""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from bot.config import Settings


def _outcome_json(text: str, outcome) -> dict:
    understood = outcome.understood
    return {
        "text": text,
        "intent": understood.intent if understood else None,
        "topic": (understood.answered_topic or None) if understood else None,
        "confidence": round(understood.confidence, 4) if understood else None,
        "entities": [
            {"entity": e["entity"], "value": e["value"], "start": e.get("start"), "end": e.get("end")}
            for e in (understood.entities if understood else ())
        ],
        "reply": "\n\n".join(r.text for r in outcome.replies),
        "buttons": [b.label for r in outcome.replies for b in r.buttons],
    }


def cmd_ask(args) -> int:
    from bot.channels.shell import render
    from bot.engine.events import TextEvent
    from bot.runtime import ModelMissing, build_engine, fail

    try:
        engine = build_engine(Settings())
    except ModelMissing as error:
        fail(str(error))
    if args.jsonl:
        for line in sys.stdin:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            outcome = engine.handle(TextEvent(text))
            print(json.dumps(_outcome_json(text, outcome), ensure_ascii=False), flush=True)
        return 0
    text = " ".join(args.text).strip()
    if not text:
        fail('Tulis pertanyaannya, contoh: python -m bot ask "berapa iuran untuk pedagang?"')
    outcome = engine.handle(TextEvent(text))
    if args.json:
        print(json.dumps(_outcome_json(text, outcome), ensure_ascii=False))
    else:
        print("\n\n".join(render(r) for r in outcome.replies))
    return 0


def cmd_shell(args) -> int:
    from bot.channels.shell import run_shell
    from bot.runtime import build_dialogue

    dialogue = build_dialogue(Settings(), background=True, wait_for_model=True)
    run_shell(dialogue, notice=lambda text: print(text, flush=True))
    return 0


def cmd_run(args) -> int:
    from telegram import Update

    from bot.channels.telegram import build_application
    from bot.runtime import build_dialogue, fail

    settings = Settings()
    if not settings.telegram_token:
        fail("TELEGRAM_BOT_TOKEN belum diisi. Tanpa token, pakai `python -m bot shell` untuk chat di terminal.")
    # The model starts loading once Telegram is being answered: its import would slow start-up, and
    # /start and buttons need no model.
    dialogue = build_dialogue(settings, background=True, start_model=False, serving=True)
    app = None if args.webhook else build_application(
        dialogue, settings.telegram_token, settings.telegram_api_base_url, rate=settings.send_rate,
        chat_rate=settings.chat_rate, chat_burst=settings.chat_burst)
    print(f"Lindungi berjalan ({'webhook ' + args.webhook if args.webhook else 'polling'}). Ctrl-C untuk berhenti.",
          flush=True)
    if args.webhook:
        if not settings.webhook_secret:
            fail("Mode webhook perlu TELEGRAM_WEBHOOK_SECRET (1-256 karakter A-Z, a-z, 0-9, _ dan -).")
        run_webhook_worker(settings, dialogue, args.webhook, register=not args.no_register)
    else:
        if settings.health_port:
            from bot.channels.ops import serve_in_background

            serve_in_background(dialogue, settings.webhook_listen, settings.health_port)
        app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=args.poll_timeout)
    return 0


def cmd_applications(args) -> int:
    from bot.enrolment.status import StatusError, change_status
    from bot.knowledge import default_knowledge
    from bot.runtime import fail, open_database
    from bot.storage.models import Application, StatusChange
    from bot.storage.repository import Repository

    database = open_database(Settings())
    with database.transaction() as session:
        repo = Repository(session)
        if args.action == "set-status":
            before = repo.by_reference(args.reference)
            before = before.status if before is not None else None
            try:
                app = change_status(repo, default_knowledge(), args.reference, args.status, args.reason or "")
            except StatusError as error:
                fail(str(error))
            if app.status != before:          # the dashboard's status history shows it too
                session.add(StatusChange(application_id=app.id, status=app.status, reason=app.status_reason,
                                         staff_name="(baris perintah)"))
            print(f"{app.reference}: {app.status}" + (f" ({app.status_reason})" if app.status_reason else ""))
            return 0
        rows = session.query(Application).filter(Application.status != "draft").order_by(Application.id).all()
        for app in rows:
            when = app.submitted_at.date().isoformat() if app.submitted_at else "-"
            print(f"{app.reference}  {app.status:<12} {when}  {app.regency or '-'}, {app.province or '-'}  "
                  f"{app.occupation or '-'}")
        if not rows:
            print("Belum ada pendaftaran.")
    return 0


def cmd_dashboard(args) -> int:
    import uvicorn

    from bot.dashboard.app import create_app
    from bot.knowledge import default_knowledge
    from bot.runtime import open_database, open_vault

    settings = Settings()
    knowledge = default_knowledge()
    vault = open_vault(settings)
    app = create_app(open_database(settings), vault, knowledge, intents=sorted(knowledge.texts["intent_labels"]),
                     reviewed_dir=Path(settings.reviewed_dir), secret=vault.derive("dashboard session"),
                     https_only=settings.dashboard_https)
    host, port = args.host or settings.dashboard_host, args.port or settings.dashboard_port
    print(f"Dasbor petugas: http://{host}:{port}  (akun baru: python -m bot staff add NAMA --role admin)",
          flush=True)
    # ws="none": the dashboard needs no websockets, and Rasa pins an old websockets package.
    uvicorn.run(app, host=host, port=port, ws="none", log_level="warning")
    return 0


def cmd_staff(args) -> int:
    import getpass

    from bot.dashboard import sessions
    from bot.dashboard import staff as accounts
    from bot.runtime import fail, open_database
    from bot.storage.models import Staff, now

    def new_password() -> str:
        if args.password_stdin:
            return sys.stdin.readline().rstrip("\n")
        password = getpass.getpass("Sandi baru: ")
        if getpass.getpass("Ulangi sandi baru: ") != password:
            fail("Kedua sandi tidak sama.")
        return password

    database = open_database(Settings())
    try:
        if args.action == "list":
            with database.transaction() as session:
                rows = session.query(Staff).order_by(Staff.id).all()
                moment = now()
                for staff in rows:
                    state = "nonaktif" if staff.disabled_at else "aktif"
                    live = sessions.live_count(session, staff.id, moment)
                    print(f"{staff.id:>4}  {staff.name:<24} {staff.role:<9} {state:<9} {live} sesi  "
                          f"dibuat {staff.created_at:%Y-%m-%d}")
                if not rows:
                    print("Belum ada akun petugas.")
            return 0
        if args.action in ("add", "passwd"):
            password = new_password()
        with database.transaction() as session:
            if args.action == "add":
                accounts.add_staff(session, args.name, args.role, password)
                print(f"Akun {args.name} ({args.role}) dibuat.")
            elif args.action == "unlock":
                accounts.unlock(session, args.name)
                print(f"Percobaan masuk yang gagal untuk {args.name} dilupakan; bisa langsung masuk lagi.")
            else:
                staff = accounts.by_name(session, args.name)
                if args.action == "passwd":
                    ended = accounts.set_password(session, staff, password)
                    print(f"Sandi {staff.name} diganti; {ended} sesi yang masih masuk diakhiri.")
                elif args.action == "disable":
                    ended = accounts.disable(session, staff)
                    print(f"Akun {staff.name} dinonaktifkan; {ended} sesi diakhiri. Riwayatnya tetap tersimpan.")
                else:
                    accounts.enable(session, staff)
                    print(f"Akun {staff.name} aktif lagi.")
    except accounts.StaffError as error:
        fail(str(error))
    return 0


def run_webhook_worker(settings, dialogue, url: str, register: bool = True) -> None:
    """One webhook worker process: stores updates, processes them, sends through the one sender."""
    import asyncio
    from urllib.parse import urlparse

    import uvicorn
    from telegram import Bot, Update

    from bot.channels.telegram import TelegramChannel
    from bot.channels.webhook import WebhookWorker

    async def register_webhook() -> None:
        bot = Bot(settings.telegram_token, base_url=settings.telegram_api_base_url)
        async with bot:
            await bot.set_webhook(url, secret_token=settings.webhook_secret, allowed_updates=Update.ALL_TYPES)

    if register:              # one worker (or the deploy script) registers; the others only serve
        asyncio.run(register_webhook())
    channel = TelegramChannel(dialogue, rate=settings.send_rate, chat_rate=settings.chat_rate,
                              chat_burst=settings.chat_burst)
    app = channel.build(settings.telegram_token, settings.telegram_api_base_url, polling=False)
    worker = WebhookWorker(channel, app, settings.webhook_secret, urlparse(url).path or "/telegram")
    # ws="none": no websockets needed, and Rasa pins an old websockets package.
    uvicorn.run(worker.asgi(), host=settings.webhook_listen, port=settings.webhook_port, ws="none",
                log_level="warning", lifespan="on")


def cmd_nlu_serve(args) -> int:
    from bot.understanding.server import serve
    from bot.understanding.training import find_model

    model = find_model()
    if model is None or not model.exists():
        print("Belum ada model NLU: jalankan `make train` dulu.", file=sys.stderr)
        return 2
    serve(model, args.host, args.port, cache=not args.no_cache, processes=args.processes)
    return 0


def cmd_migrate(args) -> int:
    from bot.storage.database import Database

    database = Database(Settings().database_url)
    before = database.current()
    database.migrate()
    print(f"Skema database: {before or 'kosong'} → {database.current()}")
    return 0


def cmd_train(args) -> int:
    from bot.understanding.training import train

    train(force=args.force)
    return 0


def cmd_eval(args) -> int:
    from bot.understanding.evaluation import main as evaluate

    return evaluate(args)


def cmd_bench(args) -> int:
    from bot.understanding.benchmark import main as bench

    return bench(args)


def cmd_facts(args) -> int:
    """Every fact (or those due within --due days): value today, source, confidence, dates, users."""
    from bot.knowledge import default_knowledge
    from bot.knowledge.catalog import due, rows

    knowledge = default_knowledge()
    today = Settings().clock()()
    listed = due(knowledge, today, args.due) if args.due is not None else rows(knowledge, today)
    if args.due is not None:
        print(f"Fakta yang berubah atau harus dicek ulang dalam {args.due} hari sejak {today.isoformat()} "
              f"({len(listed)}):")
    for row in listed:
        when = f"{row.next_date.isoformat()}: {row.next_what}" if row.next_date else "-"
        print(f"{row.id} = {row.value}")
        print(f"    keyakinan {row.confidence}; berlaku {row.effective}; berikutnya {when}")
        print(f"    dasar {row.basis}; sumber {row.source}")
        print(f"    dipakai: {', '.join(row.used_by) or '-'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Lindungi, the BPJS TK assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question (or one per line with --jsonl)")
    ask.add_argument("text", nargs="*", help="the question")
    mode = ask.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print one JSON object")
    mode.add_argument("--jsonl", action="store_true", help="read questions from stdin, one JSON object each")
    ask.set_defaults(func=cmd_ask)

    shell = sub.add_parser("shell", help="chat in the terminal")
    shell.set_defaults(func=cmd_shell)

    run = sub.add_parser("run", help="serve Telegram (polling, or --webhook URL)")
    run.add_argument("--webhook", metavar="URL", help="public HTTPS URL Telegram posts updates to")
    run.add_argument("--poll-timeout", type=int, default=10, help="long-polling timeout in seconds")
    run.add_argument("--no-register", action="store_true",
                     help="webhook: do not call setWebhook (another worker or the deploy did)")
    run.set_defaults(func=cmd_run)

    apps = sub.add_parser("applications", help="list applications or change one's status")
    apps_sub = apps.add_subparsers(dest="action", required=True)
    apps_sub.add_parser("list", help="submitted applications (no personal data)")
    set_status = apps_sub.add_parser("set-status", help="change a status; the applicant is told in the chat")
    set_status.add_argument("reference", help="e.g. LDG-2026-000123")
    set_status.add_argument("status", choices=["diajukan", "diverifikasi", "aktif", "ditolak"])
    set_status.add_argument("--reason", help="required for ditolak")
    apps.set_defaults(func=cmd_applications)

    dash = sub.add_parser("dashboard", help="serve the staff dashboard")
    dash.add_argument("--host")
    dash.add_argument("--port", type=int)
    dash.set_defaults(func=cmd_dashboard)

    staff = sub.add_parser("staff", help="manage staff accounts")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    staff_add = staff_sub.add_parser("add", help="create an account (asks for the password)")
    staff_add.add_argument("name")
    staff_add.add_argument("--role", required=True, choices=["admin", "reviewer", "agent"])
    staff_add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    staff_sub.add_parser("list", help="every account: role, enabled or disabled, live sessions")
    staff_passwd = staff_sub.add_parser("passwd", help="set a new password (ends the account's sessions)")
    staff_passwd.add_argument("name")
    staff_passwd.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    for action, text in (("disable", "disable an account (never deleted; its sessions end)"),
                         ("enable", "enable a disabled account again"),
                         ("unlock", "forget an account name's failed logins (the login delays)")):
        staff_sub.add_parser(action, help=text).add_argument("name")
    staff.set_defaults(func=cmd_staff)

    nlu = sub.add_parser("nlu-serve", help="serve the NLU model over HTTP for NLU_URL (Rasa's /model/parse)")
    nlu.add_argument("--host", default="127.0.0.1")
    nlu.add_argument("--port", type=int, default=5005)
    nlu.add_argument("--no-cache", action="store_true", help="parse every request (benchmarks)")
    nlu.add_argument("--processes", type=int, default=1, help="server processes on the port, one model each")
    nlu.set_defaults(func=cmd_nlu_serve)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(func=cmd_migrate)

    train = sub.add_parser("train", help="train the NLU model if the data changed")
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("eval", help="score the held-out files (tests/data/nlu_test*.yml) against the baselines")
    ev.add_argument("--no-stock", action="store_true", help="skip the stock pipeline comparison")
    ev.add_argument("--current-model", action="store_true",
                    help="score the model being served as it is: no training, no stock pipeline")
    ev.add_argument("--report", help="where to write it (reports/eval.md; reports/eval-current.md with --current-model)")
    ev.set_defaults(func=cmd_eval)

    facts = sub.add_parser("facts", help="list every fact: value, source, confidence, dates, where it is used")
    facts.add_argument("--due", type=int, metavar="DAYS", help="only facts that change or must be re-checked within DAYS days")
    facts.set_defaults(func=cmd_facts)

    bench = sub.add_parser("bench", help="print load time, parse latency, training time and memory")
    bench.add_argument("--messages", type=int, default=1000)
    bench.add_argument("--no-training", action="store_true", help="skip timing a full training run")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)   # personal data masked either way
    if settings.log_level.upper() != "DEBUG":
        # Rasa's dependencies warn about their own deprecations on every start: not for users.
        warnings.simplefilter("ignore")
        os.environ.setdefault("PYTHONWARNINGS", "ignore")   # for the `rasa train` subprocess
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
