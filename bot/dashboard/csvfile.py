"""CSV downloads that a spreadsheet cannot turn into formulas.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (CSV / formula injection): a worker's name typed as `=HYPERLINK(…)` would run on
the reviewer's computer. OWASP's rule: prefix such text cells with a single quote. Numbers stay
numbers. Every CSV the dashboard writes goes through `csv_response`.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

from starlette.responses import Response

# OWASP CSV injection: =, +, -, @, tab, CR; and their full-width forms, which some spreadsheets read alike.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value):
    """The value as a spreadsheet shows it, never as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A CSV download (the security middleware adds Cache-Control: no-store to it)."""
    return Response(csv_text(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
