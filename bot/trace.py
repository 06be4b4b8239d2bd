"""Phase markers for the kill tests: with LINDUNGI_TRACE set to a file, a process appends one line
`<pid> <phase> <detail>` as it enters each phase (listening, handler, transaction, committed, send,
sent, processed), so a test that SIGKILLs it can tell where the kill landed. Off (a no-op) otherwise.
"""
from __future__ import annotations

import os

_PATH = os.environ.get("LINDUNGI_TRACE", "")
_fd: int | None = None


def mark(phase: str, detail: object = "") -> None:
    global _fd
    if not _PATH:
        return
    if _fd is None:
        _fd = os.open(_PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(_fd, f"{os.getpid()} {phase} {detail}\n".encode())      # one write: lines never interleave
