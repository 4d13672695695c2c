"""The fonts of every PDF the portal draws (the payment document, «Расчёт пени»): DejaVu Sans
Condensed, shipped with the app (fonts/LICENSE), so that Cyrillic prints on any machine. A
shared module, so that billing's documents need not import receipts."""

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold"


@cache
def register_fonts() -> None:
    """Register REGULAR and BOLD (one family) with ReportLab, once per process."""
    for name in (REGULAR, BOLD):
        pdfmetrics.registerFont(TTFont(name, FONTS / f"{name}.ttf"))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
