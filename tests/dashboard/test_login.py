"""Logging in (issue 14, finding 6): one answer for unknown names and wrong passwords, growing
delays per account name and per client address instead of a lock anyone can trigger, the password
policy (12+ characters, not a common password), and `python -m bot staff …` to manage accounts."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from starlette.testclient import TestClient

from bot.dashboard.staff import StaffError, add_staff, authenticate, password_problem
from bot.storage.models import AuditLog
from tests.dashboard.conftest import PASSWORD, login
from tests.dashboard.test_sessions import Clock
from tests.test_cli import run_bot

WRONG = "salah-sandi-000"


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def app(database, vault, knowledge, tmp_path, staff, clock):
    from bot.dashboard.app import create_app

    return create_app(database, vault, knowledge, intents=sorted(knowledge.texts["intent_labels"]),
                      reviewed_dir=tmp_path / "reviewed", clock=clock)


def client(app, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1", client=(address, 50000))


def answer(response) -> str:
    """What the login page says, without the per-page CSRF token."""
    return re.sub(r'name="csrf" value="[^"]*"', "", response.text)


def test_unknown_names_and_wrong_passwords_get_the_same_answer(app):
    with client(app) as browser:
        unknown, wrong = login(browser, "tidak-ada", WRONG), login(browser, "rudi", WRONG)
    assert unknown.status_code == wrong.status_code == 401
    assert "Nama atau sandi salah." in wrong.text and answer(unknown) == answer(wrong)


def test_failures_bring_growing_delays_not_a_lock(app, clock, database):
    with client(app) as browser:
        for _ in range(5):
            assert login(browser, "rudi", WRONG).status_code == 401        # a few mistakes cost nothing
        assert login(browser, "rudi", WRONG).status_code == 401            # the 6th starts the delays
        waits = []
        for _ in range(4):
            refused = login(browser, "rudi", PASSWORD)                     # even the right password waits
            assert refused.status_code == 429 and "Coba lagi dalam" in refused.text
            seconds = int(re.search(r"Coba lagi dalam (\d+) detik", refused.text).group(1))
            waits.append(seconds)
            clock.advance(seconds=seconds)
            assert login(browser, "rudi", WRONG).status_code == 401
        assert waits == [1, 2, 4, 8]                                       # growing
        clock.advance(seconds=16)
        assert login(browser, "rudi", PASSWORD).status_code == 302          # never locked for good
    with database.transaction() as session:
        actions = [a.action for a in session.query(AuditLog).filter_by(target="rudi")]
    assert "login_throttled" in actions and "lockout" not in actions


def test_the_delay_for_one_name_has_a_ceiling(database, staff, clock):
    with database.transaction() as session:
        for n in range(14):                          # from many addresses, three minutes apart: all heard
            assert authenticate(session, "rudi", WRONG, clock.moment, f"10.1.{n}.1").problem == "wrong"
            clock.advance(minutes=3)
        clock.advance(minutes=-3)
        held = authenticate(session, "rudi", PASSWORD, clock.moment, "10.9.9.9")
        assert held.problem == "throttled" and held.wait == 120            # two minutes at most
        clock.advance(seconds=120)
        assert authenticate(session, "rudi", PASSWORD, clock.moment, "10.9.9.9").staff is not None


def test_unknown_names_are_throttled_like_real_ones(app):
    with client(app) as browser:
        for name in ("rudi", "tidak-ada"):
            for _ in range(6):
                login(browser, name, WRONG)
            refused = login(browser, name, WRONG)
            assert refused.status_code == 429
            assert "Coba lagi dalam 1 detik" in refused.text


def test_one_address_guessing_many_names_is_slowed_down(app):
    with client(app, "10.6.6.6") as attacker, client(app, "10.0.0.2") as colleague:
        for n in range(20):
            assert login(attacker, f"nama{n}", WRONG).status_code == 401
        assert login(attacker, "nama-lain", WRONG).status_code == 401     # 21st failure: delays start
        assert login(attacker, "rudi", PASSWORD).status_code == 429
        assert login(colleague, "rudi", PASSWORD).status_code == 302       # others are not held up


def test_the_password_policy(database):
    assert password_problem("pendek-123")                                  # under 12 characters
    assert password_problem("Password1234")                                # a common password, any case
    assert password_problem("bismillah123")
    assert password_problem("aaaaaaaaaaaaaaaa")
    assert password_problem("ani-rahasia-2026", "ani")
    assert password_problem("kopi tubruk pagi hari") is None
    with database.transaction() as session:
        with pytest.raises(StaffError, match="12"):
            add_staff(session, "baru", "agent", "sandi-12345")
        with pytest.raises(StaffError, match="common"):
            add_staff(session, "baru", "agent", "password1234")


def test_staff_cli_lists_changes_disables_enables_and_unlocks(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LINDUNGI_DATA_DIR": str(tmp_path)}

    def staff(*args, stdin=""):
        return run_bot("staff", *args, stdin=stdin, env=env)

    assert staff("add", "dewi", "--role", "reviewer", "--password-stdin", stdin="qwerty123456\n").returncode == 2
    done = staff("add", "dewi", "--role", "reviewer", "--password-stdin", stdin="teh manis hangat\n")
    assert done.returncode == 0, done.stderr
    listed = staff("list")
    assert re.search(r"dewi\s+reviewer\s+aktif\s+0 sesi", listed.stdout)
    weak = staff("passwd", "dewi", "--password-stdin", stdin="pendek\n")
    assert weak.returncode == 2 and "12" in weak.stderr and "Traceback" not in weak.stderr
    assert staff("passwd", "dewi", "--password-stdin", stdin="kopi susu gula aren\n").returncode == 0
    assert "nonaktif" in staff("disable", "dewi").stdout + staff("list").stdout
    assert "aktif lagi" in staff("enable", "dewi").stdout
    assert "dilupakan" in staff("unlock", "dewi").stdout
    unknown = staff("disable", "tidak-ada")
    assert unknown.returncode == 2 and "tidak-ada" in unknown.stderr


def test_unlock_lets_a_throttled_name_in_at_once(database, staff, clock):
    from bot.dashboard.staff import unlock

    with database.transaction() as session:
        for _ in range(8):
            authenticate(session, "rudi", WRONG, clock.moment, "10.0.0.1")
        assert authenticate(session, "rudi", PASSWORD, clock.moment, "10.0.0.3").problem == "throttled"
        unlock(session, "rudi")
        assert authenticate(session, "rudi", PASSWORD, clock.moment, "10.0.0.3").staff is not None


def test_random_names_leave_no_rows_behind(database, staff, clock):
    from bot.storage.models import LoginThrottle

    with database.transaction() as session:
        for n in range(21):
            authenticate(session, f"acak{n}", WRONG, clock.moment, "10.7.7.7")
        for n in range(10):                                   # the address waits: nothing is stored
            assert authenticate(session, f"lagi{n}", WRONG, clock.moment, "10.7.7.7").problem == "throttled"
        assert session.query(LoginThrottle).filter(LoginThrottle.key.like("name:lagi%")).count() == 0
        clock.advance(hours=2)
        authenticate(session, "rudi", PASSWORD, clock.moment, "10.0.0.9")
        assert session.query(LoginThrottle).count() == 0   # failures older than an hour are dropped
