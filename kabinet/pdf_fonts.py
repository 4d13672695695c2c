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

from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    TTFontFace,
    makeToUnicodeCMap,
)

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold"

# The characters outside ASCII that documents print: Cyrillic, Russian typography, units.
SEED = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя«»„“”‘’—–−…№₽²³·×°±§"
KEPT_SUBSETS = 32  # per font: enough for every subset a run repeats, bounded for memory
KEPT_SPLITS = 4096  # texts split per font (labels, names, figures), bounded for memory
KEPT_WIDTHS = 16384  # texts measured (text, font, size), bounded for memory
_SEEDED = frozenset(SEED) | frozenset(map(chr, range(32, 127))) | {"\u00a0"}  # nbsp: a space


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


class _Formatted(pdfdoc.PDFObject):
    """A PDF object written as bytes formatted once (it refers to no other object)."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document):
        return self.data


class ReusedSubsetsFont(TTFont):
    """``TTFont`` over a ``ReusedSubsetsFace``, whose subsets' widths array and ToUnicode
    CMap are also made once per process: formatting the two widths arrays (~440 numbers,
    one call each) and compressing the CMaps anew was a tenth of drawing a payment document."""

    def __init__(self, name, filename):
        super().__init__(name, filename)
        self.face = ReusedSubsetsFace(filename)
        self._objects: dict[tuple, tuple[_Formatted, bytes, bytes]] = {}
        self._splits: dict[str, list] = {}
        self._shown: dict[str, tuple[tuple[int, str], ...]] = {}

    def splitString(self, text, doc, encoding="utf-8"):
        """As ``TTFont.splitString``, remembered across documents for text of ASCII and
        ``SEED`` only in a document that ``seed_subsets`` seeded: there such text has the same
        codes in every document (ASCII its own, ``SEED`` the seeding's), and splitting it
        character by character was a tenth of drawing a payment document."""
        state = self.state.get(doc)
        if not (getattr(state, "seeded", False) and isinstance(text, str)):
            return super().splitString(text, doc, encoding)
        split = self._splits.get(text)
        if split is None:
            split = super().splitString(text, doc, encoding)
            if _SEEDED.issuperset(text):
                if len(self._splits) >= KEPT_SPLITS:
                    self._splits.pop(next(iter(self._splits)))
                self._splits[text] = split
        return list(split)

    def shown(self, text: str, doc) -> tuple[tuple[int, str], ...]:
        """The text as a page shows it: per piece of one subset, the subset and its operator
        «(codes) Tj» — what ``PDFTextObject._formatText`` writes for it, kept across documents
        on the same terms as ``splitString``'s splits (escaping them anew was most of the
        cost of writing a receipt's ~170 texts)."""
        state = self.state.get(doc)
        kept = getattr(state, "seeded", False) and isinstance(text, str)
        pieces = self._shown.get(text) if kept else None
        if pieces is None:
            pieces = tuple(
                (subset, f"({escapePDF(codes)}) Tj")
                for subset, codes in self.splitString(text, doc)
            )
            if kept and _SEEDED.issuperset(text):
                if len(self._shown) >= KEPT_SPLITS:
                    self._shown.pop(next(iter(self._shown)))
                self._shown[text] = pieces
        return pieces

    def _subset_objects(self, base_name: str, subset) -> tuple[_Formatted, bytes, bytes]:
        """The widths array, the CMap and the CMap compressed, of one subset."""
        key = (base_name, tuple(subset))
        made = self._objects.get(key)
        if made is None:
            widths = pdfdoc.PDFArray(map(self.face.getCharWidth, subset)).format(None)
            cmap = makeToUnicodeCMap(base_name, subset).encode("utf8")
            if len(self._objects) >= KEPT_SUBSETS:
                self._objects.pop(next(iter(self._objects)))
            made = self._objects[key] = (_Formatted(widths), cmap, zlib.compress(cmap))
        return made

    def addObjects(self, doc):
        """As ``TTFont.addObjects`` (ReportLab 5.1), with each subset's widths and CMap made
        once (``_subset_objects``)."""
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(self._asciiReadable)
        state.frozen = 1
        for n, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            base_name = b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX)).decode(
                "pdfdoc"
            )
            font = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {n}"
            font.Name = internal_name
            font.BaseFont = base_name
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            widths, cmap, compressed = self._subset_objects(base_name, subset)
            font.Widths = widths
            cmap_stream = pdfdoc.PDFStream()
            if doc.compression:
                cmap_stream.content = compressed
                cmap_stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
            else:
                cmap_stream.content = cmap
            font.ToUnicode = doc.Reference(cmap_stream, "toUnicodeCMap:" + base_name)
            font.FontDescriptor = self.face.addSubsetObjects(doc, base_name, subset)
            doc.Reference(font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = font
        del self.state[doc]


def shown(text_object, text: str) -> str:
    """What ``text_object.textOut(text)`` adds to a text object of a ``ReusedSubsetsFont``,
    byte for byte, without moving its cursor (a caller places each text with
    ``setTextOrigin``) and from the font's kept pieces (``ReusedSubsetsFont.shown``)."""
    font = pdfmetrics.getFont(text_object._fontname)
    doc = text_object._canvas._doc
    code = []
    for subset, operator in font.shown(text, doc):
        if subset != text_object._curSubset:
            size, leading = fp_str(text_object._fontsize), fp_str(text_object._leading)
            code.append(f"{font.getSubsetInternalName(subset, doc)} {size} Tf {leading} TL")
            text_object._curSubset = subset
        code.append(operator)
    return " ".join(code)


_widths: dict[tuple[str, str, float], float] = {}


def text_width(text: str, font: str, size: float) -> float:
    """``pdfmetrics.stringWidth(text, font, size)``, remembered: a receipt measures ~500
    texts (fitting its grids, aligning their figures), most of them the same in every
    document or measured twice in one."""
    key = (text, font, size)
    width = _widths.get(key)
    if width is None:
        if len(_widths) >= KEPT_WIDTHS:
            _widths.pop(next(iter(_widths)))
        width = _widths[key] = pdfmetrics.stringWidth(text, font, size)
    return width


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
        font = pdfmetrics.getFont(name)
        state = font.state.get(canvas._doc)
        first = state is None or state.nextCode == 1  # nothing assigned before the seed
        font.splitString(SEED, canvas._doc)
        font.state[canvas._doc].seeded = first
