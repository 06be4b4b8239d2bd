"""The terminal chat drives the same engine: typed questions and numbered buttons."""
import io

from bot.channels.shell import run_shell


def test_terminal_chat_answers_and_presses_numbered_buttons(engine):
    stdin = io.StringIO("brp iuran bpjs tk buat pedagang sebulan\n1\n/keluar\n")
    stdout = io.StringIO()
    run_shell(engine, stdin, stdout)
    out = stdout.getvalue()
    assert "Lindungi — asisten BPJS Ketenagakerjaan" in out
    assert "Rp16.800" in out
    assert "[1]" in out
    # pressing [1] showed another answer, then the chat ended politely
    assert out.count("Lindungi: ") >= 2
    assert out.rstrip().endswith("Sampai jumpa! Semoga selalu terlindungi.")


def test_terminal_chat_ends_on_end_of_input(engine):
    stdout = io.StringIO()
    run_shell(engine, io.StringIO(""), stdout)
    assert "Sampai jumpa" in stdout.getvalue()
