"""Small server-rendered charts: no JavaScript, no CDN, readable on a phone.

Lines are SVG drawn in a 320-unit-wide box, so on a 390 px phone (where the card is about 320 px
wide) one unit is at least one pixel and the 13-unit text stays at 12 px or more; bars are plain
HTML (label, <meter>, value), so their text is page text.
"""
from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

WIDTH, HEIGHT = 320, 190
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 34
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def bars(rows: list[tuple[str, float]], title: str, unit: str = "") -> Markup:
    """One row per (label, value): the label, a bar, the value."""
    if not rows:
        return Markup(f'<p class="empty">{escape(title)}: belum ada data.</p>')
    top = max(value for _, value in rows) or 1
    parts = [f'<table class="bars" aria-label="{escape(title)}"><tbody>']
    for label, value in rows:
        parts.append(f'<tr><th scope="row">{escape(str(label))}</th>'
                     f'<td class="bar"><meter min="0" max="{top}" value="{value}"></meter></td>'
                     f'<td class="value">{escape(_fmt(value))}{escape(unit)}</td></tr>')
    parts.append("</tbody></table>")
    return Markup("".join(parts))


def day_label(day: str) -> str:
    """`2026-11-23` -> `23 Nov`."""
    date = dt.date.fromisoformat(day)
    return f"{date.day} {MONTHS[date.month - 1]}"


def line(points: list[tuple[str, float]], title: str, percent: bool = False) -> Markup:
    """A line over days (ISO day, value) with a value axis (0, half, top) and a date axis."""
    if not points:
        return Markup(f'<p class="empty">{escape(title)}: belum ada data.</p>')
    top = max(value for _, value in points) or (0.01 if percent else 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(1, len(points) - 1)

    def y(value: float) -> float:
        return TOP + inner_h - inner_h * value / top

    coords = [(LEFT + n * step, y(value)) for n, (_, value) in enumerate(points)]
    path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords)
    parts = [f'<svg class="chart line" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
             f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + inner_h}"></line>',
             f'<line class="axis" x1="{LEFT}" y1="{TOP + inner_h}" x2="{WIDTH - RIGHT}" y2="{TOP + inner_h}"></line>']
    if percent:
        ticks = (0, top / 2, top)
    else:                                               # counts: whole numbers only
        ticks = (0, top // 2, top) if top % 2 == 0 and top >= 2 else (0, top)
    for value in ticks:
        text = f"{value * 100:.0f}%" if percent else _fmt(value)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}"></line>'
                     f'<text class="tick" x="{LEFT - 5}" y="{y(value) + 4:.1f}" text-anchor="end">{escape(text)}</text>')
    ticks = sorted({0, len(points) - 1, *range(0, len(points), max(1, (len(points) + 3) // 4))})
    ticks = [n for n in ticks if n == len(points) - 1 or len(points) - 1 - n >= max(1, len(points) // 8)]
    for n in ticks:
        x = LEFT + n * step
        anchor = "start" if n == 0 and len(points) > 1 else ("end" if n == len(points) - 1 and n else "middle")
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="{TOP + inner_h}" x2="{x:.1f}" y2="{TOP + inner_h + 4}"></line>'
                     f'<text class="tick date" x="{x:.1f}" y="{HEIGHT - 14}" text-anchor="{anchor}">'
                     f'{escape(day_label(points[n][0]))}</text>')
    parts.append(f'<polyline points="{path}" fill="none"></polyline>')
    parts.append(f'<text class="caption" x="{WIDTH - RIGHT}" y="{HEIGHT - 1}" text-anchor="end">tanggal (WIB)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if float(value).is_integer() else f"{value:.2f}".replace(".", ",")
