"""Files built to exhaust a reader, written by streaming (nothing large is held in memory)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"


def inline_cell(text: str) -> bytes:
    return b'<c t="inlineStr"><is><t>' + text.encode() + b"</t></is></c>"


def row(cells: Iterable[str]) -> bytes:
    return b"<row>" + b"".join(inline_cell(c) for c in cells) + b"</row>"


def write_xlsx(path: Path, sheet_xml: Iterable[bytes]) -> Path:
    """An XLSX whose one sheet's sheetData is the given XML, written block by block."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(_SHEET_HEAD)
            for block in sheet_xml:
                fh.write(block)
            fh.write(_SHEET_TAIL)
    return path


def rows_bomb(path: Path, rows: int = 7_500_000) -> Path:
    """The probe's bomb: a header, then millions of identical rows (about 400 MB of XML, about 1 MB packed)."""
    one = b"<row><c><v>2021</v></c><c><v>30</v></c><c><v>1</v></c></row>"
    per_block = 20_000

    def blocks() -> Iterable[bytes]:
        yield row(["year", "age", "victims"])
        block = one * per_block
        for _ in range(rows // per_block):
            yield block

    return write_xlsx(path, blocks())


def area_bomb(path: Path) -> Path:
    """Two cells, at A1 and at the sheet's far corner: about 1.5 KB, and 17 billion cells for a library that fills
    the area between them."""
    return write_xlsx(path, [b'<row r="1"><c r="A1" t="inlineStr"><is><t>country</t></is></c></row>'
                             b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'])
