"""A table as a reader sees it, written as a CSV or an XLSX file: the same heading row, the same rows in the same
order, the same labels and the same numbers (rounded as on screen), with numbers left as numbers.

Text cells pass through `neutralise` (a label never runs as a formula in a spreadsheet). The public portal's tables
(`tipnet.disclosure.portal.grid_csv`) and the signed-in statistics explorer (`tipnet.stats.explorer`) both write here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from tipnet.standard.cells import neutralise

Value = str | int | float | None


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Value]]) -> str:
    """CSV text: text cells neutralised, integers plain, decimals with a point, empty cells empty."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([neutralise(h) for h in header])
    for row in rows:
        w.writerow(["" if v is None else neutralise(v) for v in row])
    return buf.getvalue()


def number_format(digits: int | None) -> str:
    """The spreadsheet format that shows a column's numbers with the digits shown on screen."""
    return "#,##0" if not digits else "#,##0." + "0" * digits


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Value]], title: str = "table",
            digits: Sequence[int | None] = ()) -> bytes:
    """An XLSX workbook of one sheet: the heading row in bold, numbers stored as numbers (shown with `digits[i]`
    decimals in column i), text neutralised as in the CSV."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(title)
    ws.append([neutralise(h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralise(v) if isinstance(v, str) else v for v in row])
    for i, d in enumerate(digits, start=1):
        for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            if isinstance(cell.value, (int, float)):
                cell.number_format = number_format(d)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return clean[:31] or "table"
