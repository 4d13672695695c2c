"""The fonts of every PDF the portal draws (the payment document, «Расчёт пени»): DejaVu Sans
Condensed, shipped with the app (fonts/LICENSE), so that Cyrillic prints on any machine. A
shared module, so that billing's documents need not import receipts.

Each PDF embeds the glyphs it uses as a subset of the font. ReportLab makes the subset anew
for every document, in the order the document first uses each character, and compresses it
anew: for a mass run of payment documents that was a fifth of the drawing. Here the subset is
made and compressed once per process and reused (``ReusedSubsetsFont``) whenever a document's
subset is the same list of characters, and ``seed_subsets`` makes it the same: a document
first assigns every character of ``SEED`` in a fixed order, so that any document whose text
stays within ``SEED`` and ASCII has the same first subset (a rarer character is added after
them and makes a subset of its own, drawn and embedded as before)."""

import zlib
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold"

# The characters outside ASCII that documents print: Cyrillic, Russian typography, units.
SEED = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя«»„“”‘’—–−…№₽²³·×°±§"
KEPT_SUBSETS = 32  # per font: enough for every subset a run repeats, bounded for memory


class ReusedSubsetsFace(TTFontFace):
    """A TrueType face that makes (and compresses) each distinct subset once per process."""

    def __init__(self, filename):
        super().__init__(filename)
        self._made: dict[tuple[int, ...], tuple[int, bytes]] = {}

    def addSubsetObjects(self, doc, fontname, subset):
        """As ``TTFontFace.addSubsetObjects`` (ReportLab 5.1), with the subset's font file made
        and compressed once for every document that embeds the same characters."""
        key = tuple(subset)
        made = self._made.get(key)
        if made is None:
            content = self.makeSubset(subset)
            if len(self._made) >= KEPT_SUBSETS:
                self._made.pop(next(iter(self._made)))
            made = self._made[key] = (len(content), zlib.compress(content))
        length, compressed = made
        font_file = pdfdoc.PDFStream()
        if doc.compression:
            font_file.content = compressed
            font_file.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        else:
            font_file.content = zlib.decompress(compressed)
        font_file.dictionary["Length1"] = length
        font_file_ref = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


class ReusedSubsetsFont(TTFont):
    """``TTFont`` over a ``ReusedSubsetsFace``."""

    def __init__(self, name, filename):
        super().__init__(name, filename)
        self.face = ReusedSubsetsFace(filename)


@cache
def register_fonts() -> None:
    """Register REGULAR and BOLD (one family) with ReportLab, once per process."""
    for name in (REGULAR, BOLD):
        pdfmetrics.registerFont(ReusedSubsetsFont(name, FONTS / f"{name}.ttf"))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)


def seed_subsets(canvas) -> None:
    """Give ``SEED``'s characters their codes in ``canvas``'s document before anything is
    drawn (call it first on the first page), so that documents share their subsets."""
    for name in (REGULAR, BOLD):
        pdfmetrics.getFont(name).splitString(SEED, canvas._doc)
