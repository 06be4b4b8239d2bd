"""The stand-in Bot API refuses what Telegram would refuse, so the end-to-end tests can trust it."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.telegram_standin import StandIn, parse_html


@pytest.fixture()
def standin():
    server = StandIn().start()
    yield server
    server.stop()


def call(standin, method, **fields):
    data = urllib.parse.urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()})
    request = urllib.request.Request(f"{standin.base_url}{standin.token}/{method}", data=data.encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_valid_message_is_accepted_and_kept(standin):
    status, body = call(standin, "sendMessage", chat_id=1, text="Halo &amp; <b>selamat</b>", parse_mode="HTML",
                        reply_markup={"inline_keyboard": [[{"text": "Lanjut", "callback_data": "l:jkk:1"}]]})
    assert status == 200 and body["result"]["text"] == "Halo & selamat"
    assert not standin.errors


@pytest.mark.parametrize("method, fields, problem", [
    ("sendMesage", {"chat_id": 1, "text": "x"}, "unknown method"),
    ("sendMessage", {"chat_id": 1}, "missing required field 'text'"),
    ("sendMessage", {"chat_id": 1, "text": "x", "colour": "red"}, "unknown field"),
    ("sendMessage", {"chat_id": 1, "text": "x" * 4097}, "1-4096"),
    ("sendMessage", {"chat_id": 1, "text": "a < b", "parse_mode": "HTML"}, "can't parse entities"),
    ("sendMessage", {"chat_id": 1, "text": "<b>tebal", "parse_mode": "HTML"}, "unclosed tag"),
    ("sendMessage", {"chat_id": 1, "text": "x",
                     "reply_markup": {"inline_keyboard": [[{"text": "t", "callback_data": "d" * 65}]]}}, "1-64 bytes"),
    ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "t"}]]}},
     "exactly one action"),
    ("answerCallbackQuery", {"callback_query_id": "999"}, "query ID is invalid"),
])
def test_what_telegram_refuses_is_refused_and_recorded(standin, method, fields, problem):
    status, body = call(standin, method, **fields)
    assert status in (400, 404) and not body["ok"]
    assert any(problem in error for error in standin.errors), standin.errors


def test_html_text_is_measured_as_the_user_sees_it():
    assert parse_html("&lt;b&gt; <i>x</i>") == (None, "<b> x")
    problem, _ = parse_html("<script>x</script>")
    assert problem


def test_get_updates_returns_at_once_with_timeout_zero_and_confirms_by_offset(standin):
    standin.send_text(7, "/start")
    status, body = call(standin, "getUpdates", timeout=0)
    (update,) = body["result"]
    assert update["message"]["entities"][0]["type"] == "bot_command"
    _, body = call(standin, "getUpdates", offset=update["update_id"] + 1, timeout=0)
    assert body["result"] == []
