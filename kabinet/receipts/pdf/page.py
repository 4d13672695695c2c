"""The payment document's own layout, without platypus: its blocks (``blocks``, ``tables``)
placed top to bottom between the page's margins at positions computed from their heights, a
grid split between rows where a page ends, a heading kept on the page of what follows it.

Platypus did the same for this one column of blocks through frames, a template and two boxed
``Table``s with the QR column nested in one, copying their styles cell by cell (~150
``deepcopy`` calls a document): laying out was a fifth of drawing a payment document. The
boxes here keep the tables' measures (cells padded 2.5 pt at the sides and 3 pt above and
below, the QR column's 6 pt and 3 pt), so the page looks as it did."""

from reportlab.lib.pagesizes import A4

from kabinet.pdf_fonts import shown, text_width
from kabinet.receipts.pdf.blocks import (
    BOLD,
    FONT_SIZE,
    GRID,
    MARGIN,
    PADDING,
    QR_SIZE,
    REGULAR,
    WIDTH,
    QrCode,
)

TOP = A4[1] - MARGIN  # the top of the room for blocks; its bottom is MARGIN
CELL_TOP = 3  # a box's cell padding above and below (ReportLab's Table's default)
TOTAL_SIZE = 11  # «Итого к оплате» in the QR column


def place(canvas, block, x: float, y: float) -> None:
    """Draw ``block`` with its bottom left corner at (x, y)."""
    canvas.saveState()
    canvas.translate(x, y)
    block.draw(canvas)
    canvas.restoreState()


class Gap:
    """Empty room between blocks."""

    width = 0

    def __init__(self, height: float):
        self.height = height

    def draw(self, canvas):
        pass


class Boxed:
    """Two columns of blocks, stacked from the top, in a ruled box with a rule between them
    (the parties; a payee's requisites beside its QR column); the right column's blocks
    right-aligned."""

    def __init__(self, left: list, right: list, widths: tuple[float, float]):
        self.columns, self.widths = (left, right), widths
        self.width = sum(widths)
        self.height = 2 * CELL_TOP + max(sum(block.height for block in column)
                                         for column in self.columns)  # fmt: skip

    def draw(self, canvas):
        left_width = self.widths[0]
        y = self.height - CELL_TOP
        for block in self.columns[0]:
            y -= block.height
            place(canvas, block, PADDING, y)
        y = self.height - CELL_TOP
        for block in self.columns[1]:
            y -= block.height
            place(canvas, block, self.width - PADDING - block.width, y)
        canvas.saveState()
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.6)
        rules = canvas.beginPath()
        rules.rect(0, 0, self.width, self.height)
        rules.moveTo(left_width, 0)
        rules.lineTo(left_width, self.height)
        canvas.drawPath(rules, stroke=1, fill=0)
        canvas.restoreState()


class PayColumn:
    """A payee's QR code (or why there is none) over «Итого к оплате» and «Оплатить до», all
    right-aligned: three rows padded 6 pt at the sides and 3 pt above and below (4 pt above
    the total), each row's text on its bottom as the nested table had it."""

    SIDE = 6

    def __init__(self, qr_payload: str, to_pay: str, pay_by: str, width: float):
        self.width = width
        self.qr = QrCode(qr_payload, QR_SIZE) if qr_payload else None
        self.rows = (  # (lines, font, size, padding above)
            ((() if self.qr else ("QR-код для оплаты не сформирован:",
                                  "реквизиты получателя неполны.")), REGULAR, FONT_SIZE, 3),
            ((to_pay,), BOLD, TOTAL_SIZE, 4),
            ((pay_by,), REGULAR, FONT_SIZE, 3),
        )  # fmt: skip
        heights = [len(lines) * size * 1.2 + above + CELL_TOP
                   for lines, _font, size, above in self.rows]  # fmt: skip
        if self.qr:
            heights[0] = QR_SIZE + 2 * CELL_TOP
        self.heights = heights
        self.height = sum(heights)

    def draw(self, canvas):
        right = self.width - self.SIDE
        if self.qr:
            place(canvas, self.qr, right - QR_SIZE, self.height - self.heights[0] + CELL_TOP)
        text = canvas.beginText()
        bottom = self.height
        for (lines, font, size, _above), height in zip(self.rows, self.heights, strict=True):
            bottom -= height
            leading = size * 1.2
            text.setFont(font, size, leading)
            y = bottom + CELL_TOP + len(lines) * leading - size
            for line in lines:
                text.setTextOrigin(right - text_width(line, font, size), y)
                text._code.append(shown(text, line))
                y -= leading
        canvas.drawText(text)


def _kept_together(story: list, start: int) -> list:
    """The blocks from ``start`` that go on one page: headings with what follows them."""
    end = start
    while end < len(story) - 1 and getattr(story[end], "keep_with_next", False):
        end += 1
    return story[start : end + 1]


def draw_story(canvas, story: list, on_page) -> None:
    """Place the blocks of ``story`` down the pages of ``canvas`` from the top, starting a
    page where the next block does not fit (a grid goes on in the next page after the rows
    that fit); ``on_page(canvas)`` draws every page's margins before its blocks."""
    y = TOP
    on_page(canvas)
    index = 0
    while index < len(story):
        group = _kept_together(story, index)
        index += len(group)
        if len(group) > 1 and y < TOP and y - sum(block.height for block in group) < MARGIN:
            canvas.showPage()  # as platypus kept a heading with its table: both to a new page
            on_page(canvas)
            y = TOP
        for block in group:
            while block is not None:
                if y - block.height >= MARGIN:
                    parts = (block, None)
                else:
                    parts = block.split(y - MARGIN) if hasattr(block, "split") else None
                    if parts is None and y == TOP:
                        parts = (block, None)  # taller than a page: drawn as it is
                if parts is not None:
                    drawn, block = parts
                    y -= drawn.height
                    place(canvas, drawn, MARGIN + (WIDTH - drawn.width) / 2, y)
                if block is not None:
                    canvas.showPage()
                    on_page(canvas)
                    y = TOP
    canvas.showPage()
