"""The production topology: three webhook worker processes on one PostgreSQL database behind the
stand-in (as a round-robin load balancer), the NLU in a real `nlu-serve`. Many users type and press
at once, Telegram redelivers updates, and one worker is SIGKILLed while it is handling a batch:
every update is processed once, each chat's replies arrive in order, no reply is sent twice, and the
survivors take over the dead worker's updates within the lease.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import signal
import threading
import time
import urllib.request
import uuid

import pytest

from tests.conftest import PG_ADMIN_URL, missing, postgres_available
from tests.e2e.conftest import Person, Trace
from tests.e2e.test_restart import start_bot, stop
from tests.e2e.test_webhook import SECRET, free_port
from tests.telegram_standin import buttons_of

pytestmark = [pytest.mark.model, pytest.mark.e2e]
WORKERS = 3
USERS = 32
QUESTION = "brp iuran bpjs tk buat pedagang sebulan"
# The burst each user sends without waiting, and how each reply is recognised, in order.
BURST = [("/bantuan", lambda m: m["text"].startswith("Lindungi bisa membantu Anda")),
         ("/belajar", lambda m: sum(data.startswith("l:") for _, data in buttons_of(m)) >= 3),   # the lessons
         ("/datasaya", lambda m: m["text"].startswith("🔒 Data Anda di Lindungi")),
         # facts.md §BPU: income Rp1.000.000, JKK Rp10.000 + JKM Rp6.800 = Rp16.800 a month
         (QUESTION, lambda m: "16.800" in m["text"])]


@pytest.fixture()
def postgres_url():
    """A fresh, migrated schema of the test database for this run; dropped afterwards."""
    from sqlalchemy import create_engine, text

    from bot.storage.database import Database

    if not postgres_available():
        missing(f"PostgreSQL not reachable at {PG_ADMIN_URL.split('@')[-1]}: the multi-worker test is skipped")
    schema = f"w_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    database = Database(url)
    database.migrate()
    database.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


def wait_healthy(port: int, process, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "a worker exited while starting"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"worker on port {port} never answered /healthz")


async def wait_for(person: Person, predicate, since: int, timeout: float = 120) -> dict:
    """The first bot message in this chat since `since` that matches."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _, message in person.standin.events(person.chat_id, since):
            if predicate(message):
                return message
        await asyncio.sleep(0.02)
    raise AssertionError(f"chat {person.chat_id}: no expected reply; got "
                         f"{[m['text'][:40] for _, m in person.standin.events(person.chat_id, since)]}")


def test_three_workers_on_postgresql_one_killed_mid_batch(standin, tmp_path, postgres_url, nlu_url):
    from sqlalchemy import create_engine, text

    trace = Trace(tmp_path / "trace.log")
    log = open(tmp_path / "bot.log", "wb")
    ports = [free_port() for _ in range(WORKERS)]
    workers = []
    for number, port in enumerate(ports):
        extra = ["--webhook", f"http://127.0.0.1:{port}/tg"] + ([] if number == 0 else ["--no-register"])
        workers.append(start_bot(standin, tmp_path, "unused", log, extra_args=extra, DATABASE_URL=postgres_url,
                                 TELEGRAM_WEBHOOK_SECRET=SECRET, LINDUNGI_WEBHOOK_PORT=str(port), NLU_URL=nlu_url,
                                 LINDUNGI_SECRET_KEY="k" * 44, LINDUNGI_TRACE=str(trace.path)))
    victim = workers[1]
    people = [Person(standin, 8100 + n) for n in range(USERS)]
    sent_updates: list[dict] = []
    redelivered: list[int] = []
    kill: dict = {}
    try:
        for port, worker in zip(ports, workers):
            wait_healthy(port, worker)
        assert standin.webhook is not None and standin.webhook["secret_token"] == SECRET
        standin.balance = [f"http://127.0.0.1:{port}/tg" for port in ports]
        instance = {pid: detail for pid, phase, detail in trace.lines() if phase == "listening"}
        assert set(instance) == {w.pid for w in workers}

        def killer() -> None:
            """Once the run is under way, SIGKILL the victim while it is inside a handler with (for
            the first 20 s of trying) at least two updates in hand."""
            began = time.monotonic()
            while time.monotonic() - began < 120:
                handled = sum(1 for _, phase, _ in trace.lines() if phase == "processed")
                rows = trace.of(victim.pid)
                in_hand = ({d for p, d in rows if p == "handler"} - {d for p, d in rows if p == "processed"})
                enough = 2 if time.monotonic() - began < 20 else 1
                if handled >= USERS * 2 and rows[-1][0] in ("handler", "transaction") and len(in_hand) >= enough:
                    victim.send_signal(signal.SIGKILL)
                    victim.wait(10)
                    rows = trace.of(victim.pid)
                    kill.update(moment=dt.datetime.now(dt.timezone.utc), phase=rows[-1], in_hand=len(in_hand),
                                in_flight=trace.in_flight(victim.pid))
                    return
                time.sleep(0.002)

        async def user(person: Person, number: int) -> None:
            await asyncio.sleep(number * 0.05)               # arrivals spread a little
            mark = standin.activity(person.chat_id)
            sent_updates.append(standin.send_text(person.user_id, "/start"))
            welcome = await wait_for(person, lambda m: "Saya pekerja" in str(m.get("reply_markup")), mark)
            data = next(d for label, d in buttons_of(welcome) if "Saya pekerja" in label)
            mark = standin.activity(person.chat_id)
            sent_updates.append(standin.press(person.user_id, welcome, data))
            await wait_for(person, lambda m: "sisi pekerja" in m["text"], mark)
            await wait_for(person, lambda m: m["text"].startswith("Apa yang ingin Anda lakukan"), mark)   # the menu
            mark = standin.activity(person.chat_id)
            burst = [standin.send_text(person.user_id, text) for text, _ in BURST]
            sent_updates.extend(burst)
            standin.redeliver(burst[number % len(burst)])    # Telegram sends one of them again
            redelivered.append(burst[number % len(burst)]["update_id"])
            for _, predicate in BURST:
                await wait_for(person, predicate, mark)
            lessons = await wait_for(person, BURST[1][1], mark)
            await person.settle(mark)
            events = standin.events(person.chat_id, mark)
            positions = [[i for i, (_, m) in enumerate(events) if predicate(m)] for _, predicate in BURST]
            # Each reply arrived (a second copy only of a message the victim had in flight when it
            # was killed: checked against the outbox at the end), in the order the updates came.
            assert all(len(p) >= 1 for p in positions), (person.chat_id, [m["text"][:30] for _, m in events])
            assert [p[0] for p in positions] == sorted(p[0] for p in positions), "replies out of order"
            # Then a lesson: a card, and "Lanjut" edits it to the next one.
            label, data = next((label, data) for label, data in buttons_of(lessons) if data.startswith("l:"))
            mark = standin.activity(person.chat_id)
            sent_updates.append(standin.press(person.user_id, lessons, data))
            card = await wait_for(person, lambda m: "Lanjut" in str(m.get("reply_markup")), mark)
            data = next(d for label, d in buttons_of(card) if "Lanjut" in label)
            mark = standin.activity(person.chat_id)
            sent_updates.append(standin.press(person.user_id, card, data))
            await wait_for(person, lambda m: m["message_id"] == card["message_id"] and "(2/" in m["text"], mark)

        async def everyone() -> None:
            await asyncio.gather(*(user(person, n) for n, person in enumerate(people)))

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        began = time.monotonic()
        asyncio.run(everyone())
        thread.join(5)
        finished = time.monotonic()
        assert kill, "the victim was never caught inside a handler"
        # Quiet: every stored update is finished and the outbox is empty.
        engine = create_engine(postgres_url, future=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as db:
                open_updates = db.execute(text("select count(*) from updates where status in "
                                               "('pending', 'processing')")).scalar()
                unsent = db.execute(text("select count(*) from outbox where sent_at is null")).scalar()
            if open_updates == 0 and unsent == 0:
                break
            time.sleep(0.1)
        with engine.connect() as db:
            updates = {row.update_id: row for row in db.execute(text("select * from updates"))}
            logged_in = db.execute(text("select count(*) from message_log where direction = 'in'")).scalar()
            outbox = list(db.execute(text("select id, chat_id, sent_at, attempts from outbox")))
        engine.dispose()
    finally:
        for worker in workers:
            stop(worker)
        log.close()

    ids = {u["update_id"] for u in sent_updates}
    assert len(ids) == len(sent_updates) == USERS * (2 + len(BURST) + 2)
    # Every update processed once: stored, done, and handled in exactly one committed transaction.
    assert set(updates) == ids
    assert {row.status for row in updates.values()} == {"done"}
    assert logged_in == len(ids), "an update was handled twice (or not at all)"
    # The dead worker's updates were taken over by the survivors, within the lease.
    from bot.channels.webhook import LEASE

    dead = instance[victim.pid]
    taken_over = [row for row in updates.values() if row.attempts > 1]
    assert taken_over and all(row.claimed_by != dead for row in taken_over)
    assert all(row.claimed_at < kill["moment"] + LEASE for row in taken_over)
    # No reply sent twice: the stand-in saw exactly one message (or edit) per outbox row — one more
    # only for a message the victim had handed to Telegram and not yet recorded as sent.
    assert all(row.sent_at is not None for row in outbox)
    repeated = 0
    for person in people:
        events = standin.events(person.chat_id)
        rows = [row for row in outbox if row.chat_id == str(person.chat_id)]
        in_flight = sum(row.id in kill["in_flight"] for row in rows)
        assert len(rows) <= len(events) <= len(rows) + in_flight, (person.chat_id, len(events), len(rows))
        repeated += len(events) - len(rows)
    standin_refused = standin.webhook_responses.count(0)
    print(f"\n{WORKERS} workers, {USERS} users, {len(ids)} updates, {len(redelivered)} redeliveries, 1 kill "
          f"(in {kill['phase'][0]}, {kill['in_hand']} updates in hand), {len(taken_over)} updates taken over, "
          f"{len(outbox)} replies ({repeated} repeated), {standin_refused} deliveries refused by the dead worker "
          f"and retried, {finished - began:.1f} s")
    assert not standin.errors, standin.errors
    assert standin.callbacks == standin.answered_callbacks
    output = (tmp_path / "bot.log").read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
