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

    def made_subset(self, subset) -> tuple[int, bytes]:
        """The subset's font file: its length and its bytes compressed."""
        key = tuple(subset)
        made = self._made.get(key)
        if made is None:
            content = self.makeSubset(subset)
            if len(self._made) >= KEPT_SUBSETS:
                self._made.pop(next(iter(self._made)))
            made = self._made[key] = (len(content), zlib.compress(content))
        return made


class _Slot(pdfdoc.PDFObject):
    """A reference to the object named ``name``, formatted as a mark where ``_Kept`` writes
    the document's number of that object."""

    def __init__(self, name: str, index: int):
        self.name, self.mark = name, b"\x00%d\x00" % index

    def format(self, document):
        return self.mark


class _Kept(pdfdoc.PDFObject):
    """A PDF object formatted once per process and written into every document that shares
    it (a font subset's objects: the same bytes in every seeded document but the numbers of
    the objects they refer to, which ``format`` writes per document)."""

    __RefOnly__ = 1  # as the font and stream objects it stands for: referred to, never inline

    def __init__(self, parts: tuple[bytes, ...], names: tuple[str, ...]):
        self.parts, self.names = parts, names

    @classmethod
    def of(cls, obj: pdfdoc.PDFObject, slots: tuple[_Slot, ...], document) -> "_Kept":
        """``obj`` formatted, cut where it refers to other objects (its ``slots``)."""
        rest, parts = obj.format(document), []
        slots = sorted(slots, key=lambda slot: rest.index(slot.mark))  # as written
        for slot in slots:
            part, _mark, rest = rest.partition(slot.mark)
            parts.append(part)
        return cls((*parts, rest), tuple(slot.name for slot in slots))

    def format(self, document):
        pieces = [self.parts[0]]
        for name, part in zip(self.names, self.parts[1:], strict=True):
            pieces += (pdfdoc.PDFObjectReference(name).format(document), part)
        return b"".join(pieces)


class ReusedSubsetsFont(TTFont):
    """``TTFont`` over a ``ReusedSubsetsFace``, whose subsets' PDF objects (font dictionary
    with its widths, descriptor, ToUnicode CMap, font file) are also made and formatted once
    per process (``addObjects``), and whose texts' splits and operators are kept."""

    def __init__(self, name, filename):
        super().__init__(name, filename)
        self.face = ReusedSubsetsFace(filename)
        self._kept: dict[tuple, tuple] = {}  # a subset's PDF objects, ``addObjects``
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

    def addObjects(self, doc):
        """As ``TTFont.addObjects`` and ``TTFontFace.addSubsetObjects`` (ReportLab 5.1): per
        subset its ToUnicode CMap, font file, descriptor and font dictionary, in that order
        and by those names, here formatted once per process and written as kept bytes with
        this document's object numbers (``_Kept``): formatting them anew (names, the font's
        box, the widths, the streams' dictionaries) was a tenth of drawing a receipt."""
        if not isinstance(doc.encrypt, pdfdoc.NoEncryption):
            return super().addObjects(doc)  # an encrypted stream's bytes are its object's own
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
            names = (
                "toUnicodeCMap:" + base_name,
                f"fontFile:{self.face.filename}({base_name})",
                "fontDescriptor:" + base_name,
                internal_name,
            )
            key = (internal_name, base_name, tuple(subset), doc.compression)
            kept = self._kept.get(key)
            if kept is None:
                made = self._subset_pdf_objects(doc, internal_name, base_name, subset, names)
                if len(self._kept) >= KEPT_SUBSETS:
                    self._kept.pop(next(iter(self._kept)))
                kept = self._kept[key] = tuple(_Kept.of(*pair, doc) for pair in made)
            objects = [_Kept(obj.parts, obj.names) for obj in kept]  # one per document
            for obj, name in zip(objects, names, strict=True):
                doc.Reference(obj, name)
            doc.idToObject["BasicFonts"].dict[internal_name] = objects[-1]
        del self.state[doc]

    def _subset_pdf_objects(self, doc, internal_name, base_name, subset, names):
        """The subset's CMap, font file, descriptor and font, each with the ``_Slot``s where it
        refers to the others (``names``)."""
        cmap = makeToUnicodeCMap(base_name, subset).encode("utf8")
        cmap_stream = pdfdoc.PDFStream()
        length, font_compressed = self.face.made_subset(subset)
        font_file = pdfdoc.PDFStream()
        if doc.compression:
            cmap_stream.content, font_file.content = zlib.compress(cmap), font_compressed
            for stream in (cmap_stream, font_file):
                stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        else:
            cmap_stream.content, font_file.content = cmap, zlib.decompress(font_compressed)
        font_file.dictionary["Length1"] = length
        face = self.face
        file_slot, descriptor_slot = _Slot(names[1], 0), _Slot(names[2], 0)
        cmap_slot = _Slot(names[0], 1)
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": face.ascent,
                "CapHeight": face.capHeight,
                "Descent": face.descent,
                "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(face.bbox),
                "FontName": pdfdoc.PDFName(base_name),
                "ItalicAngle": face.italicAngle,
                "StemV": face.stemV,
                "FontFile2": file_slot,
                "MissingWidth": face.defaultWidth,
            }
        )
        font = pdfdoc.PDFTrueTypeFont()
        font.Name = internal_name
        font.BaseFont = base_name
        font.FirstChar = 0
        font.LastChar = len(subset) - 1
        font.Widths = pdfdoc.PDFArray(map(face.getCharWidth, subset))
        font.ToUnicode = cmap_slot
        font.FontDescriptor = descriptor_slot
        return (
            (cmap_stream, ()),
            (font_file, ()),
            (descriptor, (file_slot,)),
            (font, (descriptor_slot, cmap_slot)),
        )


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
