"""The PDF's fonts, page measures and blocks: DejaVu with Cyrillic, the QR code as a 1-bit
image, text wrapped to a width, and blocks of «label value» lines. A block has a ``width``, a
``height`` and ``draw(canvas)`` with its bottom left corner at the canvas's origin; ``page``
places them."""

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics

from kabinet.pdf_fonts import BOLD, REGULAR, shown
from kabinet.receipts.qr_matrix import payment_matrix

MARGIN = 12 * mm
WIDTH = A4[0] - 2 * MARGIN
QR_SIZE = 38 * mm
FONT_SIZE = 7.5
PADDING = 2.5
GRID = colors.HexColor("#8a8f96")
SHADE = colors.HexColor("#eef1f4")


_TO_BITS = bytes.maketrans(b"\x00\x01", b"01")


class QrCode:
    """A QR symbol drawn as a 1-bit image mask, a module a sample, painted black where the
    module is dark and scaled to the box without smoothing (``/I false``): one small image,
    not a rectangle per run of dark modules — those were a quarter of drawing a receipt
    (~1 800 of them, formatted and compressed). The modules are
    ``qr_matrix.payment_matrix``'s: segno's symbol, made cheaper."""

    QUIET_ZONE = 2  # modules of white border inside the box (the page around it is white too)

    def __init__(self, payload: str, size: float):
        self.matrix = payment_matrix(payload)
        self.width = self.height = size

    def draw(self, canvas):
        modules = len(self.matrix)
        module = self.width / (modules + 2 * self.QUIET_ZONE)
        row_bytes = (modules + 7) // 8
        padding = 8 * row_bytes - modules
        samples = b"".join(
            (int(row.translate(_TO_BITS), 2) << padding).to_bytes(row_bytes) for row in self.matrix
        )
        side, offset = module * modules, module * self.QUIET_ZONE
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.transform(side, 0, 0, side, offset, offset)
        canvas.addLiteral(
            f"BI /W {modules} /H {modules} /IM true /D [1 0] /I false /F /AHx ID\n"
            f"{samples.hex()}>\nEI"
        )
        canvas.restoreState()


def _wrap(text: str, width: float, font: str = REGULAR, size: float = FONT_SIZE) -> str:
    """Text broken into lines that fit ``width`` (cheaper than a Paragraph per cell); a word
    longer than the width (a supplier's name in a narrow column) is cut where it must be, as
    a table does not clip its cells."""
    lines = []
    for line in simpleSplit(text, font, size, width):
        while len(line) > 1 and pdfmetrics.stringWidth(line, font, size) > width:
            fits = next(
                end
                for end in range(len(line) - 1, 0, -1)
                if pdfmetrics.stringWidth(line[:end], font, size) <= width or end == 1
            )
            lines.append(line[:fits])
            line = line[fits:]
        lines.append(line)
    return "\n".join(lines)


class Text:
    """Lines of one font wrapped to the page width (a heading, a note): one text object."""

    def __init__(self, text: str, font: str, size: float, space_before: float = 0,
                 keep_with_next: bool = False):  # fmt: skip
        self.keep_with_next = keep_with_next  # a heading: on the page of what follows it
        self.font, self.size, self.leading = font, size, size * 1.25
        self.lines = simpleSplit(text, font, size, WIDTH)
        self.width = WIDTH
        self.height = len(self.lines) * self.leading + space_before + size * 0.3

    def draw(self, canvas):
        text = canvas.beginText(0, len(self.lines) * self.leading - self.size)
        text.setFont(self.font, self.size, self.leading)
        text._code += [f"{shown(text, line)} T*" for line in self.lines]  # as textLines
        canvas.drawText(text)


class Fields:
    """A titled block of «label value» lines (labels bold), the values wrapped to their
    column: one text object, several times cheaper to draw than a table of as many cells."""

    LEADING = FONT_SIZE * 1.25

    def __init__(self, title: str, rows, width: float, label_width: float):
        self.title, self.label_width = title, label_width
        value_width = width - label_width - PADDING
        self.rows = [
            (label, simpleSplit(str(value), REGULAR, FONT_SIZE, value_width))
            for label, value in rows
            if value
        ]
        self.width = width
        self.height = (1 + sum(len(lines) for _, lines in self.rows)) * self.LEADING + PADDING

    def draw(self, canvas):
        text = canvas.beginText()
        y = self.height - FONT_SIZE - PADDING / 2
        text.setFont(BOLD, FONT_SIZE + 0.5)
        text.setTextOrigin(0, y)
        text._code.append(shown(text, self.title))
        for label, lines in self.rows:
            y -= self.LEADING
            text.setFont(BOLD, FONT_SIZE)
            text.setTextOrigin(0, y)
            text._code.append(shown(text, label))
            text.setFont(REGULAR, FONT_SIZE)
            for index, line in enumerate(lines):
                y -= self.LEADING if index else 0
                text.setTextOrigin(self.label_width, y)
                text._code.append(shown(text, line))
        canvas.drawText(text)
