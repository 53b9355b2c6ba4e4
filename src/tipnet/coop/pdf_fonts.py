"""A PDF writer with a Unicode TrueType font, so names such as "Łódź", "São Tomé" or "Ti Manmi" and signs such as
"–", "“”" and "€" print as written (the PDF core fonts hold Latin-1 only). The font is DejaVu Sans, read from the
files matplotlib installs as package data: nothing is fetched at run time. fpdf2 embeds the glyphs used (subset)
with a ToUnicode map, so the text can be searched and copied out of the document.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

FAMILY = "DejaVu"
_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


@lru_cache(maxsize=1)
def font_files() -> dict[str, Path]:
    """The regular and bold font files; a clear error when the installation lacks them."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    out = {style: folder / name for style, name in _FILES.items()}
    for path in out.values():
        if not path.is_file():
            raise FileNotFoundError(f"font file {path} is missing (it ships with matplotlib)")
    return out


def unicode_pdf(**kwargs: Any) -> Any:
    """An `fpdf.FPDF` (A4 unless told) with the DejaVu family (regular "" and bold "B") added; select it with
    `pdf.set_font(FAMILY, style, size)`."""
    from fpdf import FPDF

    pdf = FPDF(**({"format": "A4"} | kwargs))
    for style, path in font_files().items():
        pdf.add_font(FAMILY, style, str(path))
    return pdf
