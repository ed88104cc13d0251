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
