"""What a country page says first: victims in the newest ended year with data (the running year only when
it is the only one), the change from the year before, the share
of children and the main form of exploitation, and the yearly series drawn as a bar chart (geometry only; the page
draws it as SVG, no script).

Figures come from case microdata through the public `victims` cube, in the caller's scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tipnet.i18n import translate
from tipnet.stats.cube import ALL, NOT_RECORDED, UNKNOWN, CubeSpec
from tipnet.stats.figures import victims
from tipnet.stats.labels import value_label
from tipnet.stats.source import StatsSource


def key_figures(source: StatsSource, country: str, lang: str) -> dict[str, Any]:
    """The country's headline figures (None when it has no victim with a known year)."""
    by_year = victims(source, CubeSpec(("year",), filters={"country": country}))
    counts = {int(r["year"]): int(r["victims"]) for r in by_year if str(r["year"]).isdigit() and r["victims"]}
    if not counts:
        return {"year": None, "series": []}
    # the newest year that has ended leads: a year still running (a few records in its first days) says little
    ended = [y for y in counts if y < dt.date.today().year]
    newest = max(ended) if ended else max(counts)
    n = counts[newest]
    before = counts.get(newest - 1)
    scope: dict[str, str | int] = {"country": country, "year": newest}
    ages = {r["age_group"]: int(r["victims"]) for r in victims(source, CubeSpec(("age_group",), filters=scope))}
    known_age = ages.get("minor", 0) + ages.get("adult", 0)
    forms = [r for r in victims(source, CubeSpec(("form",), filters=scope))
             if r["form"] not in (ALL, UNKNOWN, NOT_RECORDED) and r["victims"]]
    main = max(forms, key=lambda r: (r["victims"], -ord(str(r["form"])[0])), default=None)
    rates = {str(r["year"]): r["rate_per_100k"] for r in by_year}
    return {
        "year": newest, "victims": n, "rate": rates.get(str(newest)), "in_progress": newest >= dt.date.today().year,
        "previous_year": newest - 1, "previous": before,
        "change": None if before is None else n - before,
        "change_pct": None if not before else round(100 * (n - before) / before, 1),
        "children": ages.get("minor", 0), "children_share": round(100 * ages.get("minor", 0) / known_age, 1)
        if known_age else None, "age_unknown": n - known_age,
        "main_form": None if main is None else {
            "code": main["form"], "label": value_label("form", str(main["form"]), lang), "victims": main["victims"],
            "share": round(100 * int(main["victims"]) / n, 1)},
        "series": series_chart(sorted(counts.items()), lang),
    }


def series_chart(points: list[tuple[int, int]], lang: str, width: int = 640, height: int = 220) -> dict[str, Any]:
    """A bar per year from the first to the last year with data (a year without victims is a bar of zero, so gaps
    show), with the scale's top value and the positions of the bars and their labels, in SVG user units."""
    if not points:
        return {}
    first, last = points[0][0], points[-1][0]
    counts = dict(points)
    years = list(range(first, last + 1))
    top = _nice_top(max(counts.values()))
    left, right, up, down = 48, 8, 12, 28
    plot_w, plot_h = width - left - right, height - up - down
    step = plot_w / len(years)
    bars = []
    every = 1 if len(years) <= 12 else 2 if len(years) <= 24 else 5
    for i, y in enumerate(years):
        v = counts.get(y, 0)
        h = plot_h * v / top if top else 0
        bars.append({"year": y, "victims": v, "x": round(left + i * step + step * 0.15, 1),
                     "w": round(step * 0.7, 1), "y": round(up + plot_h - h, 1), "h": round(h, 1),
                     "cx": round(left + i * step + step / 2, 1), "label": (y - first) % every == 0})
    ticks = [{"value": top * k // 4, "y": round(up + plot_h - plot_h * k / 4, 1)} for k in range(5)]
    return {"width": width, "height": height, "left": left, "right": width - right, "base": up + plot_h,
            "label_y": height - 8, "bars": bars, "ticks": ticks,
            "title": translate(lang, "explorer.series.title", first=first, last=last)}


def _nice_top(value: int) -> int:
    """The smallest 'round' number (1, 2, 2.5 or 5 times a power of ten, divisible by 4 when large) >= value."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for m in (1, 2, 2.5, 4, 5, 8, 10):
        top = int(m * magnitude)
        if top >= value and top % 4 == 0:
            return top
    return 4 * -(-value // 4)
