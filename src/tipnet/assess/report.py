"""National diagnostic assessment report (recommendation 20): per country and year, as data, charts, HTML and PDF.

The report is assembled from a scorecard (a published one: disclosure-controlled figures only) and, when there is
one, the country's scorecard of an earlier year. Strengths are indicators scored at 75 % or more, gaps those under
50 % (or unanswered), and the recommendations to follow are the resolution's recommendations the gaps cite, each with
its number. Text comes through a `t(key, **kw)` function (the UI catalogues) and the framework's own labels.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tipnet.assess.framework import Framework
from tipnet.assess.statistics import STATISTICS, Figure

STRENGTH, GAP = 0.75, 0.5
Translate = Callable[..., str]


def _lab(labels: dict[str, str], lang: str) -> str:
    return labels.get(lang) or labels.get("en", "")


_LOCALES = {"en": "en_US", "es": "es", "fr": "fr", "pt": "pt_BR"}


def show(fig: dict[str, Any] | Figure | None, unit: str = "count", lang: str = "en") -> str:
    """A figure for people, written the way the language writes numbers: exact values as numbers, GLOTIP-style
    '<5' for 1..4, other intervals as 'lo-hi'."""
    from babel.numbers import format_decimal

    if fig is None:
        return "—"
    lo, hi = (fig.lo, fig.hi) if isinstance(fig, Figure) else (fig["lo"], fig["hi"])
    digits = 0 if unit == "count" else 2 if unit in ("per_100k", "ratio") else 1
    suffix = " %" if unit == "percent" else ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")

    def fmt(x: float) -> str:
        return str(format_decimal(x, format=pattern, locale=_LOCALES.get(lang, "en_US")))

    if lo == hi:
        return fmt(lo) + suffix
    if unit == "count" and lo == 1 and hi == 4:
        return "<5"
    return f"{fmt(lo)}–{fmt(hi)}{suffix}"


def pct(pair: list[float] | tuple[float, float]) -> str:
    lo, hi = round(pair[0] * 100, 1), round(pair[1] * 100, 1)
    return f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"


def build(fw: Framework, country: str, country_name: str, year: int, card: dict[str, Any], lang: str,
          earlier: dict[str, Any] | None = None, earlier_year: int | None = None, published: bool = True,
          trend: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The report as data (also the JSON twin of the report page)."""
    rating = card["rating"][0]
    rating_label = next((_lab(r.labels, lang) for r in fw.ratings if r.code == rating), rating or "")
    domains = []
    for d in fw.domains:
        domains.append({"id": d.id, "label": _lab(d.labels, lang), "score": card["domains"][d.id],
                        "earlier": earlier["domains"].get(d.id) if earlier else None,
                        "caps": card["caps_applied"].get(d.id, []),
                        "milestones": [{"id": m.id, "label": _lab(m.labels, lang), "score": card["milestones"][m.id]}
                                       for m in d.milestones]})
    strengths, gaps = [], []
    recs: dict[int, list[str]] = {}
    for ind in fw.indicators():
        r = card["indicators"][ind.id]
        item = {"id": ind.id, "label": _lab(ind.labels, lang), "score": r["score"], "answered": r["answered"],
                "recommendations": list(ind.recommendations), "kind": ind.kind}
        if r["answered"] and r["score"][0] >= STRENGTH:
            strengths.append(item)
        elif not r["answered"] or r["score"][1] < GAP:
            gaps.append(item)
            for n in ind.recommendations:
                recs.setdefault(n, []).append(item["label"])
    figures = []
    for ind in fw.computed():
        stat = STATISTICS[ind.statistic or ""]
        value = card["indicators"][ind.id]["value"]
        figures.append({"id": ind.id, "label": _lab(ind.labels, lang), "value": value, "unit": stat.unit,
                        "shown": show(value, stat.unit, lang)})
    base = [{"name": k, "shown": show(v, lang=lang), "source": v["source"]}
            for k, v in sorted(card.get("figures", {}).items()) if k != "population"]
    return {
        "framework": fw.key, "framework_title": _lab(fw.title, lang), "source": fw.source,
        "country": country, "country_name": country_name, "year": year, "published": published,
        "total": card["total"], "rating": rating, "rating_label": rating_label,
        "earlier_year": earlier_year, "earlier_total": earlier["total"] if earlier else None,
        "domains": domains, "strengths": strengths, "gaps": gaps, "figures": figures, "base_figures": base,
        "recommendations": [{"number": n, "text": _lab(fw.recommendations.get(n, {}), lang), "indicators": inds}
                            for n, inds in sorted(recs.items())],
        "trend": trend or [],
    }


# --- charts and map -----------------------------------------------------------------------------------------------


def domain_chart(data: dict[str, Any], out: Path, t: Translate) -> Path:
    """Horizontal bars: each domain's score this year (and the earlier year's, when there is one)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [d["label"] for d in data["domains"]][::-1]
    now = [(d["score"][0] + d["score"][1]) / 2 * 100 for d in data["domains"]][::-1]
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=110)
    ys = range(len(labels))
    if data["earlier_year"]:
        before = [((d["earlier"] or [0, 0])[0] + (d["earlier"] or [0, 0])[1]) / 2 * 100 for d in data["domains"]][::-1]
        ax.barh([y - 0.2 for y in ys], before, height=0.38, color="#b0c4de", label=str(data["earlier_year"]))
        ax.barh([y + 0.2 for y in ys], now, height=0.38, color="#1f4e79", label=str(data["year"]))
        ax.legend(loc="lower right", fontsize=8)
    else:
        ax.barh(list(ys), now, height=0.6, color="#1f4e79")
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("assess.chart.score"), fontsize=8)
    ax.set_title(t("assess.chart.domains", year=data["year"]), fontsize=10)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def trend_chart(data: dict[str, Any], out: Path, t: Translate) -> Path | None:
    """The total score year by year (published years), as a line; None with fewer than two years."""
    points = [(int(p["year"]), (p["total"][0] + p["total"][1]) / 2 * 100) for p in data.get("trend") or []]
    if len(points) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.6), dpi=110)
    ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#1f4e79")
    for x, y in points:
        ax.annotate(f"{y:.0f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xticks([p[0] for p in points], [str(p[0]) for p in points], fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel(t("assess.chart.score"), fontsize=8)
    ax.set_title(t("assess.chart.trend", country=data["country_name"]), fontsize=10)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def hemisphere_map(values: dict[str, float | None], out: Path, t: Translate, lang: str = "en") -> Path:
    """The hemisphere shaded by published total scores (0-100), legend and notes in `lang`."""
    from tipnet.maps import choropleth

    return choropleth(values, out, title=t("assess.map.title"), legend=t("assess.chart.score"), region="americas",
                      breaks=[0, 25, 50, 75, 100], note=t("assess.map.note"), lang=lang)


def data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# --- PDF ------------------------------------------------------------------------------------------------------------

_LATIN1 = str.maketrans({"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "≥": ">=",
                         "≤": "<=", "\u00a0": " ", "\u202f": " "})


def _pdf_text(text: str) -> str:
    """The PDF core fonts speak Latin-1 (enough for English, Spanish, French and Portuguese)."""
    return str(text).translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def pdf(data: dict[str, Any], out: Path, t: Translate, chart: Path | None = None, map_png: Path | None = None,
        trend: Path | None = None) -> Path:
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.set_auto_page_break(True, margin=15)
    doc.set_title(_pdf_text(t("assess.report.title", country=data["country_name"], year=data["year"])))
    doc.add_page()
    width = doc.w - doc.l_margin - doc.r_margin

    def para(text: str, size: int = 10, style: str = "") -> None:
        doc.set_font("Helvetica", style, size)
        doc.multi_cell(width, size * 0.5, _pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        doc.ln(2)
        para(text, 13, "B")

    para(t("assess.report.title", country=data["country_name"], year=data["year"]), 16, "B")
    para(data["framework_title"], 9)
    if not data["published"]:
        para(t("assess.report.preview"), 9, "I")
    para(t("assess.report.total", score=pct(data["total"]), rating=data["rating_label"]), 12, "B")
    if data["earlier_year"]:
        para(t("assess.report.earlier", year=data["earlier_year"], score=pct(data["earlier_total"])), 10)
    if chart is not None:
        doc.image(str(chart), w=width)
    if trend is not None:
        doc.image(str(trend), w=width)
    heading(t("assess.report.domains"))
    for d in data["domains"]:
        para(f"{d['label']}: {pct(d['score'])}", 10, "B")
        for c in d["caps"]:
            para("  " + t("assess.report.capped", reason=c), 9, "I")
        for m in d["milestones"]:
            para(f"  {m['label']}: {pct(m['score'])}", 9)
    heading(t("assess.report.figures"))
    for b in data["base_figures"]:
        para(f"{t('assess.figure.' + b['name'])}: {b['shown']}", 9)
    for f in data["figures"]:
        para(f"{f['label']}: {f['shown']}", 9)
    para(t("assess.report.disclosure"), 8, "I")
    heading(t("assess.report.strengths"))
    for s in data["strengths"] or [{"label": t("assess.report.none"), "recommendations": []}]:
        recs = ", ".join(str(n) for n in s["recommendations"])
        para(f"+ {s['label']}" + (f" ({t('assess.report.rec')} {recs})" if recs else ""), 9)
    heading(t("assess.report.gaps"))
    for g in data["gaps"] or [{"label": t("assess.report.none"), "recommendations": []}]:
        recs = ", ".join(str(n) for n in g["recommendations"])
        para(f"- {g['label']}" + (f" ({t('assess.report.rec')} {recs})" if recs else ""), 9)
    heading(t("assess.report.recommendations"))
    for r in data["recommendations"]:
        para(f"{t('assess.report.rec')} {r['number']}: {r['text']}", 9, "B")
        for label in r["indicators"]:
            para(f"    {label}", 8)
    if map_png is not None:
        doc.add_page()
        heading(t("assess.map.title"))
        doc.image(str(map_png), w=width)
    para(t("assess.report.source", source=data["source"]), 7, "I")
    doc.output(str(out))
    return out


def html(data: dict[str, Any], t: Translate, lang: str, chart: Path | None = None, map_png: Path | None = None,
         trend: Path | None = None) -> str:
    """A standalone HTML report (charts embedded), for the command line; the web page uses its own template."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("tipnet.web", "templates"), autoescape=select_autoescape(["html"]))
    page = env.get_template("assess_report_body.html")
    body = page.render(data=data, t=t, pct=pct, chart=data_uri(chart) if chart else None,
                       map_png=data_uri(map_png) if map_png else None, trend=data_uri(trend) if trend else None)
    buf = io.StringIO()
    buf.write(f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>')
    buf.write(t("assess.report.title", country=data["country_name"], year=data["year"]).replace("<", "&lt;"))
    buf.write("</title><style>img.figure{max-width:100%}</style></head><body>")
    buf.write(body)
    buf.write("</body></html>")
    return buf.getvalue()
