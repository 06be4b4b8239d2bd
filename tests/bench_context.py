"""`make bench` part: what the conversation context costs per typed message.

Runs every user turn of the conversation tests (tests/data/conversations) through the real dialogue
on SQLite, and prints per typed message: the time in the dialogue, the extra model parses the
context asked for (a follow-up read with its subject, the other questions of a message), and the
SQL statements and UPDATEs of the user row (where the context is stored). Parse cache off.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    from sqlalchemy import event

    from bot.engine.dialogue import Dialogue
    from bot.engine.engine import Engine
    from bot.engine.events import ButtonEvent, CommandEvent, TextEvent, UserRef
    from bot.knowledge import load_knowledge
    from bot.privacy import Vault
    from bot.storage.database import Database
    from bot.understanding import Understanding
    from bot.understanding.training import find_model
    from tests.engine.test_conversations import START, WIB, Clock, conversations

    nlu = Understanding(find_model()).load()
    original_many = nlu.parse_many
    calls = {"parse": 0, "extra": 0}

    def parse(text):
        calls["parse"] += 1
        return original_many([text])[0]            # uncached, like a new message

    def parse_many(texts, read=True):
        calls["extra"] += len(texts)
        return original_many(texts, read=read)

    nlu.parse, nlu.parse_many = parse, parse_many
    folder = tempfile.mkdtemp()
    database = Database(f"sqlite:///{folder}/bench.db")
    database.migrate()
    statements = {"all": 0, "user_updates": 0}

    @event.listens_for(database.engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        statements["all"] += 1
        if statement.lstrip().upper().startswith("UPDATE USERS"):
            statements["user_updates"] += 1

    clock = Clock(START)
    engine = Engine(nlu, load_knowledge(), today=lambda: clock().astimezone(WIB).date())
    dialogue = Dialogue(engine, database, Vault(os.urandom(32)), wait_for_model=True, clock=clock)
    timings, typed, counted = [], 0, {"all": 0, "user_updates": 0}
    for round_number in range(args.rounds):
        for number, conversation in enumerate(conversations()):
            who = UserRef("bench", f"{round_number}-{number}")
            clock.moment = START
            dialogue.handle(who, CommandEvent("start"))
            dialogue.handle(who, ButtonEvent(f"role:{conversation.get('role', 'worker')}"))
            for turn in conversation["turns"]:
                if "wait" in turn:
                    clock.moment += dt.timedelta(minutes=float(turn["wait"]))
                    continue
                if "user" not in turn:
                    continue
                before = dict(statements)
                began = time.perf_counter()
                dialogue.handle(who, TextEvent(turn["user"]))
                timings.append(time.perf_counter() - began)
                typed += 1
                for key in counted:
                    counted[key] += statements[key] - before[key]
    nlu.close()
    print(f"Conversation context over {typed} typed messages (the conversation tests' turns):")
    print(f"  dialogue time per message: median {statistics.median(timings) * 1000:.1f} ms, "
          f"mean {statistics.mean(timings) * 1000:.1f} ms")
    print(f"  model parses per message: {calls['parse'] / typed:.2f} of the message itself, "
          f"{calls['extra'] / typed:.2f} more asked by the context (follow-ups, second questions)")
    print(f"  SQL statements per message: {counted['all'] / typed:.1f} "
          f"(UPDATE of the user row, where the context lives: {counted['user_updates'] / typed:.2f})")


if __name__ == "__main__":
    main()
