"""The methodology note shipped in every release package (Markdown)."""

from __future__ import annotations

from typing import Any

from tipnet.disclosure import sdmx


def _tables(summary: dict[str, Any]) -> list[str]:
    lines = ["| table | split by | filters | cells | suppressed |", "|---|---|---|---:|---:|"]
    for t in summary.get("tables", []):
        filters = ", ".join(f"{a}={b}" for a, b in t["filters"]) or "—"
        lines.append(f"| {t['name']} | {', '.join(t['dims']) or '(total)'} | {filters} | {t['cells']} | "
                     f"{t.get('suppressed', 0)} |")
    return lines


def _budget(b: dict[str, Any] | None) -> str:
    if not b:
        return "not recorded"
    parts = []
    for name in ("rho", "epsilon"):
        if b.get(f"{name}_total") is not None:
            parts.append(f"{name} {b[f'{name}_spent']:.4g} spent of {b[f'{name}_total']:.4g}")
    return "; ".join(parts)


def note(meta: dict[str, Any], spec: dict[str, Any], summary: dict[str, Any]) -> str:
    method = spec["method"]
    out = [f"# {meta['title']}", "",
           f"Release {meta['dataset']} v{meta['version']}, created {meta['created']}. Data snapshot "
           f"`{meta['snapshot_sha256'][:16]}` ({summary.get('submissions', 0)} record submissions). "
           "The unit counted is one victim; a victim with several forms of exploitation counts once in each form's "
           "cell and once in every margin over forms.", "",
           f"Publisher: {summary.get('publisher', 'hub')}; built from {summary.get('built_from', 'the store')}.", ""]
    if method == "threshold":
        thr = spec["threshold"]
        out += ["## Method: threshold rule with secondary suppression", "",
                f"- Counts from 1 to {thr - 1} are never published (threshold {thr}); zeros are published.",
                "- Secondary suppression hides further cells so that no suppressed count can be worked out from the "
                "margins, from the other tables of this release, or from earlier published releases (including "
                "the change of a cell between releases).",
                "- Audit: for every suppressed small count, and every small change since an earlier release, a "
                "linear programme over all published cells and the tables' additivity gives the range an attacker "
                f"can prove; each range reaches 0 or {thr} and is at least {spec['min_width']} wide.",
                "- Suppressed cells carry the status `confidential` (SDMX CONF_STATUS `C`); primary and secondary "
                "suppressions are not told apart.", "",
                f"Cells: {summary['cells']}; suppressed: {summary['suppressed']} "
                f"({summary['suppressed_share']:.1%}).", ""]
    elif method == "dp":
        p = spec["dp"]
        budget = (f"rho = {summary['rho']:.6g} (zero-concentrated DP)" if p["measure"] == "zcdp"
                  else f"epsilon = {summary['epsilon']:.6g} (pure DP; rho = {summary['rho']:.6g})")
        noise = "discrete Gaussian" if p["measure"] == "zcdp" else "discrete Laplace (geometric)"
        out += ["## Method: differential privacy (OpenDP)", "",
                f"- Privacy unit: one victim. Privacy loss of this release: {budget}.",
                f"- Noise: {noise}, integer-valued, through OpenDP {summary.get('opendp', '')} measurement "
                f"constructors; the budget is split evenly over {summary['queries']} queries."
                + (" Only the largest tables of each group of tables without a form dimension are measured; every "
                   "table and margin of the group is fitted to them by least squares (post-processing), so "
                   "margins add up to their cells." if p.get("consistent", True) else
                   " Every grouping set (the full split and each margin) is one query."),
                f"- Tables split by form of exploitation count at most {p['max_forms']} forms per victim.",
                "- Categories come from public lists (the standard's vocabularies, the OAS member states, ISO 3166), "
                "never from the data: a category with no victims is shown too."
                + (f" Years {p['years'][0]}–{p['years'][1]}." if p.get("years") else ""),
                f"- Each figure has a {1 - p['alpha']:.0%} confidence interval from the noise distribution (for fitted "
                "figures, by simulating the same noise through the fit). Figures and bounds are rounded and clamped "
                "at 0.",
                f"- The dataset's privacy budget after this release: {_budget(summary.get('budget_after'))}.", ""]
    elif method == "kanon":
        k = spec["kanon"]
        a = summary["extract"]["achieved"]
        out += ["## Method: k-anonymous microdata extract", "",
                f"- Quasi-identifiers: {', '.join(k['quasi_identifiers'])}; generalisation levels "
                f"{summary['extract']['levels']} (0 = as recorded).",
                f"- Records in groups of fewer than {k['k']} (or with fewer than {k['l']} distinct forms of "
                "exploitation) are removed.",
                f"- Released {summary['extract']['released']} of {summary['extract']['total']} records "
                f"({summary['extract']['share_suppressed']:.1%} suppressed). Achieved k = {a['k']}, "
                f"l = {a['l']} (sensitive attribute: form of exploitation group).",
                f"- Re-identification risk (1/group size): highest {a['risk_max']:.4f}, mean {a['risk_mean']:.4f}.",
                "", "Do not combine this extract with exact tables of the same data: their difference would point "
                "at the removed records.", ""]
    if summary.get("tables"):
        out += ["## Tables", "", *_tables(summary), ""]
    out += ["## Files", "",
            "- `datapackage.json`: Frictionless Data Package descriptor; `data/*.csv` with Parquet copies.",
            f"- `sdmx/VC_HTF_DETV.csv` (when a table is split by country and year): SDMX-CSV, dataflow "
            f"`{sdmx.DATAFLOW}`, SDG 16.2.2 series and codes (see the file's header).",
            "- This release is immutable: its files are identified by the content hash in the portal.", ""]
    return "\n".join(out)
