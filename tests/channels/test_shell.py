"""The terminal chat drives the same dialogue: menu, typed questions, commands and numbered buttons."""
import io

import pytest

from bot.channels.shell import run_shell

pytestmark = pytest.mark.model


def chat(dialogue, lines: str) -> str:
    stdout = io.StringIO()
    run_shell(dialogue, io.StringIO(lines), stdout)
    return stdout.getvalue()


def test_first_visit_asks_the_role_then_shows_the_menu(dialogue):
    out = chat(dialogue, "1\n/keluar\n")
    assert "Lindungi — asisten BPJS Ketenagakerjaan" in out
    assert "[1] Saya pekerja" in out and "[2] Saya pemilik usaha" in out
    assert "📘 Belajar" in out and "🧮 Hitung iuran" in out
    assert out.rstrip().endswith("Sampai jumpa! Semoga selalu terlindungi.")


def test_questions_lessons_and_the_calculator_in_the_terminal(dialogue, knowledge):
    first = chat(dialogue, "1\nbrp iuran bpjs tk buat pedagang sebulan\n")
    assert "Rp16.800" in first
    # A second session continues as a known user: the menu, a lesson card, the calculator.
    out = chat(dialogue, "/belajar\n2\n/hitung\n1\n2\n2,5jt\n")
    assert out.count("☰ Menu") >= 1 and "(1/" in out
    assert "Tingkat penghasilan" in out and "bulan:" in out


def test_terminal_chat_ends_on_end_of_input(dialogue):
    assert "Sampai jumpa" in chat(dialogue, "")
