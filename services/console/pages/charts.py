"""The 14-day forecast drawn on the server as SVG: readable without JavaScript, a few
hundred bytes, and the days when free beds run out marked in the drawing and in words."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from services.console.i18n import fmt_date, gettext_

WIDTH, HEIGHT, PAD = 280, 72, 14


def run_out_days(forecast: list[dict[str, Any]]) -> list[str]:
    return [point["at"] for point in forecast if point["free"] <= 0]


def forecast_svg(forecast: list[dict[str, Any]], beds: int) -> Markup:
    if not forecast:
        return Markup("")
    top = max(beds, max(p["free"] for p in forecast), 1)
    step = WIDTH / len(forecast)
    bar = step * 0.7
    empty = run_out_days(forecast)
    label = gettext_("Free beds over the next 14 days")
    if empty:
        label += ". " + gettext_("No free beds from %(day)s") % {"day": fmt_date(empty[0])}
    parts = [
        f'<svg class="forecast" viewBox="0 0 {WIDTH} {HEIGHT + PAD}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
    ]
    for i, point in enumerate(forecast):
        free = max(point["free"], 0)
        h = HEIGHT * free / top
        x = i * step + (step - bar) / 2
        if free == 0:
            # A run-out day: a red mark on the baseline, so it shows even without colour.
            parts.append(f'<rect class="out" x="{x:.1f}" y="{HEIGHT - 6}" width="{bar:.1f}" height="6"/>')
            parts.append(
                f'<text class="out" x="{x + bar / 2:.1f}" y="{HEIGHT - 9}" text-anchor="middle">×</text>'
            )
        else:
            parts.append(
                f'<rect class="free" x="{x:.1f}" y="{HEIGHT - h:.1f}" width="{bar:.1f}" height="{h:.1f}"/>'
            )
        if i % 7 == 0:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT + PAD - 2}">{escape(fmt_date(point["at"]))}</text>')
    parts.append(f'<line x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}" class="axis"/></svg>')
    return Markup("".join(parts))


# --- the registry of attacks (issue 12): counts as bars, months as columns -----------------------

BAR_ROW, BAR_WIDTH = 30, 300


def bars_svg(rows: list[tuple[str, int]], label: str) -> Markup:
    """Horizontal bars, one per (name, count), largest first: the name on its own line (long
    names fit at 360 px) and the count beside the bar (the numbers are in the drawing, not
    only in its length)."""
    if not rows:
        return Markup("")
    rows = sorted(rows, key=lambda r: (-r[1], r[0]))
    top = max(max(n for _, n in rows), 1)
    room = BAR_WIDTH - 40
    height = BAR_ROW * len(rows)
    parts = [
        f'<svg class="bars" viewBox="0 0 {BAR_WIDTH} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
    ]
    for i, (name, count) in enumerate(rows):
        y = i * BAR_ROW
        w = max(room * count / top, 1)
        parts.append(f'<text x="0" y="{y + 11}">{escape(name)}</text>')
        parts.append(f'<rect class="bar" x="0" y="{y + 14}" width="{w:.1f}" height="10"/>')
        parts.append(f'<text x="{w + 4:.1f}" y="{y + 23}">{count}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def months_svg(by_month: dict[str, int], label: str) -> Markup:
    """Columns per month (YYYY-MM, in order), the count above each and the month below."""
    if not by_month:
        return Markup("")
    months = sorted(by_month)
    top = max(max(by_month.values()), 1)
    step = WIDTH / len(months)
    bar = step * 0.7
    parts = [
        f'<svg class="forecast" viewBox="0 0 {WIDTH} {HEIGHT + 2 * PAD}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
    ]
    for i, month in enumerate(months):
        n = by_month[month]
        h = (HEIGHT - PAD) * n / top
        x = i * step + (step - bar) / 2
        y = HEIGHT + PAD - h
        parts.append(f'<rect class="free" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"/>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 2:.1f}" text-anchor="middle">{n}</text>')
        if len(months) <= 12 or i % 3 == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT + 2 * PAD - 2}" text-anchor="middle">{escape(month)}</text>'
            )
    parts.append(f'<line x1="0" y1="{HEIGHT + PAD}" x2="{WIDTH}" y2="{HEIGHT + PAD}" class="axis"/></svg>')
    return Markup("".join(parts))


def share_svg(part: int, whole: int, label: str) -> Markup:
    """One bar split in two: the share (e.g. with gender components) and the rest."""
    share = part / whole if whole else 0.0
    w = BAR_WIDTH * share
    return Markup(
        f'<svg class="bars" viewBox="0 0 {BAR_WIDTH} 24" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
        f'<rect class="rest" x="0" y="2" width="{BAR_WIDTH}" height="20"/>'
        f'<rect class="bar" x="0" y="2" width="{w:.1f}" height="20"/></svg>'
    )


# --- The grants report (money pages): granted and paid side by side, as horizontal bars
# so a 360 px screen keeps each label readable; one chart per currency (never mixed).

BAR_WIDTH, ROW, LABEL_ROW = 280, 26, 12


def money_bars_svg(rows: list[tuple[str, int, int]], label: str, amount_text) -> Markup:
    """Rows of (label, granted, paid): two bars each, longest to the largest amount; the
    amounts are also written beside the bars, so nothing depends on colour or length."""
    if not rows:
        return Markup("")
    top = max(max(g, p) for _, g, p in rows) or 1
    height = len(rows) * (ROW + LABEL_ROW) + 4
    parts = [
        f'<svg class="bars" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
    ]
    y = 0.0
    for name, granted, paid in rows:
        parts.append(f'<text class="name" x="0" y="{y + LABEL_ROW - 2:.1f}">{escape(name)}</text>')
        y += LABEL_ROW
        for cls, value, dy in (("granted", granted, 0), ("paid", paid, ROW / 2)):
            w = max(BAR_WIDTH * 0.6 * value / top, 1 if value else 0)
            parts.append(
                f'<rect class="{cls}" x="0" y="{y + dy + 1:.1f}" width="{w:.1f}" height="{ROW / 2 - 3:.1f}"/>'
            )
            parts.append(
                f'<text x="{w + 4:.1f}" y="{y + dy + ROW / 2 - 4:.1f}">{escape(amount_text(value))}</text>'
            )
        y += ROW
    parts.append("</svg>")
    return Markup("".join(parts))
