"""`make bench` part: dashboard pages over 100,000 logged messages (SQLite, and PostgreSQL if up).

Prints the time each page takes to render (median of 5 requests through the ASGI app): the review
queue, and the conversation list (one row per person, 5,000 people) with its filters.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

PHRASES = ["brp iuran jkk", "cara klaim jht gmn", "jkm itu apa", "daftar bpu dimana", "otp jmo ga masuk",
           "kapan bayar iuran", "telat bayar gimana", "asdf qwer", "harga cabe hari ini", "pinjol aman ga",
           "iuran ojol brp", "klaim jkk kecelakaan", "pensiun umur brp", "phk dapat jkp ga"]
INTENTS = ["contribution_bpu", "claim_jht", "program_jkm", "registration_how", "app_support", "payment_how",
           "payment_late", "nlu_fallback", "out_of_scope", "scam_warning", "contribution_bpu", "claim_jkk",
           "program_jp", "claim_jkp"]


def fill(database, messages: int, users: int = 5000) -> None:
    from sqlalchemy import insert

    from bot.review import normalize
    from bot.storage.models import MessageLog, User, now

    rng = random.Random(7)
    start = now()
    with database.transaction() as session:
        session.execute(insert(User), [{"channel": "telegram", "external_id": str(n), "chat_id": str(n), "data": {},
                                        "role": rng.choice(["worker", "owner", None]), "created_at": start,
                                        "updated_at": start} for n in range(users)])
        ids = [row[0] for row in session.execute(__import__("sqlalchemy").text("select id from users"))]
    batch = []
    for n in range(messages):
        k = rng.randrange(len(PHRASES))
        text = PHRASES[k] + ("" if rng.random() < 0.6 else f" {rng.choice(['min', 'kak', 'ya', 'dong'])}")
        confidence = rng.random() if INTENTS[k] not in ("nlu_fallback",) else rng.random() * 0.5
        batch.append({"created_at": start - __import__("datetime").timedelta(minutes=n), "user_id": rng.choice(ids),
                      "chat_id": "1", "direction": "in", "kind": "text", "text": text, "intent": INTENTS[k],
                      "confidence": confidence, "entities": [], "normalized": normalize(text)})
        if len(batch) == 5000:
            with database.transaction() as session:
                session.execute(insert(MessageLog), batch)
            batch = []
    if batch:
        with database.transaction() as session:
            session.execute(insert(MessageLog), batch)


def measure(label: str, url: str, messages: int) -> None:
    from starlette.testclient import TestClient

    from bot.dashboard.app import create_app
    from bot.dashboard.staff import add_staff
    from bot.knowledge import load_knowledge
    from bot.privacy import Vault
    from bot.storage.database import Database

    database = Database(url)
    database.migrate()
    began = time.perf_counter()
    fill(database, messages)
    print(f"{label}: {messages:,} messages written in {time.perf_counter() - began:.1f} s")
    with database.transaction() as session:
        add_staff(session, "bench", "admin", "ukur-kecepatan-dasbor-2026")
    knowledge = load_knowledge()
    app = create_app(database, Vault(os.urandom(32)), knowledge, sorted(knowledge.texts["intent_labels"]),
                     reviewed_dir=tempfile.mkdtemp())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        page = client.get("/login").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"name": "bench", "password": "ukur-kecepatan-dasbor-2026", "csrf": csrf})
        for path in ("/review", "/review?page=1",
                     "/conversations", "/conversations?page=1", "/conversations?fallback=1",
                     "/conversations?below=0.5&intent=contribution_bpu", "/conversations?q=klaim", "/insights"):
            times = []
            for _ in range(5):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, (path, response.status_code)
            print(f"  {path:<52} median {statistics.median(times) * 1000:6.0f} ms   max {max(times) * 1000:6.0f} ms")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="lindungi-dash-")
    measure("SQLite", f"sqlite:///{folder}/bench.db", args.messages)
    from tests.conftest import PG_ADMIN_URL, postgres_available

    if postgres_available():
        from sqlalchemy import create_engine, text

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, future=True)
        with admin.begin() as connection:
            connection.execute(text(f'create schema "{schema}"'))
        try:
            measure("PostgreSQL", f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}", args.messages)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'drop schema "{schema}" cascade'))
    else:
        print("PostgreSQL not reachable: skipped")


if __name__ == "__main__":
    main()
