"""Small server-rendered SVG charts: no JavaScript, no CDN, readable on a phone."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, BAR_HEIGHT, LABEL_WIDTH = 560, 22, 190


def bars(rows: list[tuple[str, float]], title: str, unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value)."""
    if not rows:
        return Markup(f'<p class="empty">{escape(title)}: belum ada data.</p>')
    top = max(value for _, value in rows) or 1
    height = BAR_HEIGHT * len(rows) + 10
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">']
    for n, (label, value) in enumerate(rows):
        y = n * BAR_HEIGHT + 5
        width = (WIDTH - LABEL_WIDTH - 60) * value / top
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{escape(str(label))[:28]}</text>'
                     f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{BAR_HEIGHT - 6}"></rect>'
                     f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + 15}">{escape(_fmt(value))}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line(points: list[tuple[str, float]], title: str, percent: bool = False) -> Markup:
    """A line over days (label, value); first and last day labelled."""
    if not points:
        return Markup(f'<p class="empty">{escape(title)}: belum ada data.</p>')
    height, pad = 160, 30
    top = max(value for _, value in points) or 1
    step = (WIDTH - 2 * pad) / max(1, len(points) - 1)
    coords = [(pad + n * step, height - pad - (height - 2 * pad) * value / top) for n, (_, value) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    peak = f"{top * 100:.0f}%" if percent else _fmt(top)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
        f'<polyline points="{path}" fill="none"></polyline>'
        f'<text x="{pad}" y="{height - 8}">{escape(points[0][0])}</text>'
        f'<text x="{WIDTH - pad}" y="{height - 8}" text-anchor="end">{escape(points[-1][0])}</text>'
        f'<text x="4" y="{pad - 8}">maks {escape(peak)}</text></svg>')


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if float(value).is_integer() else f"{value:.2f}"
