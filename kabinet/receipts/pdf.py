"""The payment document as a PDF (ReportLab), drawn from a ``Receipt`` (see selectors): the
data are gathered first, the drawing here only lays them out on one A4 page."""

import io
import re
from functools import cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kabinet.formats import (
    format_quantity,
    format_rubles,
    month_name,
)
from kabinet.receipts.layout import Grid, Section, receipt_sections
from kabinet.receipts.layout.grid import money_summary
from kabinet.receipts.qr import payment_qr
from kabinet.receipts.selectors import Receipt

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold"
MARGIN = 12 * mm
WIDTH = A4[0] - 2 * MARGIN
QR_SIZE = 38 * mm
FONT_SIZE = 7.5
PADDING = 2.5
CELL_PADDING = 2.5  # a table cell's left and right padding
TABLE_FONT, MIN_TABLE_FONT = 7.0, 6.0  # a grid's font, made smaller to fit its columns
HEADER_SMALLER = 0.5  # a grid's header is this much smaller than its cells
GRID = colors.HexColor("#8a8f96")
SHADE = colors.HexColor("#eef1f4")


@cache
def _register_fonts() -> None:
    """DejaVu (shipped with the app, see fonts/LICENSE): Cyrillic on any machine."""
    for name in (REGULAR, BOLD):
        pdfmetrics.registerFont(TTFont(name, FONTS / f"{name}.ttf"))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)


DARK_RUN = re.compile(rb"\x01+")  # a row of segno's matrix is a bytearray of 0 and 1


class QrCode(Flowable):
    """A QR symbol drawn as vector squares: the dark runs of each row as rectangles in module
    units, written as one fill operation (a thousand ``rect`` calls would double the time of
    a receipt)."""

    QUIET_ZONE = 2  # modules of white border inside the box (the page around it is white too)

    def __init__(self, payload: str, size: float):
        super().__init__()
        self.matrix = payment_qr(payload).matrix
        self.width = self.height = size

    def draw(self):
        count = len(self.matrix) + 2 * self.QUIET_ZONE
        module = self.width / count
        operations = [
            f"{run.start() + self.QUIET_ZONE} {count - self.QUIET_ZONE - row_index - 1} "
            f"{run.end() - run.start()} 1 re"
            for row_index, row in enumerate(self.matrix)
            for run in DARK_RUN.finditer(row)
        ]
        self.canv.saveState()
        self.canv.setFillColor(colors.black)
        self.canv.transform(module, 0, 0, module, 0, 0)
        self.canv.addLiteral("\n".join([*operations, "f"]))
        self.canv.restoreState()


def _grid(data, widths, *, header_rows=1, footer=False, align_from=1, size=7.0) -> Table:
    table = Table(data, colWidths=widths, repeatRows=header_rows)
    style = [
        ("FONT", (0, 0), (-1, -1), REGULAR, size),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (align_from, header_rows), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 0.8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if header_rows:
        style += [
            ("FONT", (0, 0), (-1, header_rows - 1), BOLD, size - HEADER_SMALLER),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE),
        ]
    if footer:
        style += [
            ("FONT", (0, -1), (-1, -1), BOLD, size),
            ("BACKGROUND", (0, -1), (-1, -1), SHADE),
        ]
    table.setStyle(TableStyle(style))
    return table


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


class Text(Flowable):
    """Lines of one font wrapped to the page width (a heading, a note): one text object."""

    def __init__(self, text: str, font: str, size: float, space_before: float = 0):
        super().__init__()
        self.font, self.size, self.leading = font, size, size * 1.25
        self.lines = simpleSplit(text, font, size, WIDTH)
        self.width = WIDTH
        self.height = len(self.lines) * self.leading + space_before + size * 0.3

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        text = self.canv.beginText(0, len(self.lines) * self.leading - self.size)
        text.setFont(self.font, self.size, self.leading)
        text.textLines(self.lines)
        self.canv.drawText(text)


class Fields(Flowable):
    """A titled block of «label value» lines (labels bold), the values wrapped to their
    column: one text object, several times cheaper to draw than a table of as many cells."""

    LEADING = FONT_SIZE * 1.25

    def __init__(self, title: str, rows, width: float, label_width: float):
        super().__init__()
        self.title, self.label_width = title, label_width
        value_width = width - label_width - PADDING
        self.rows = [
            (label, simpleSplit(str(value), REGULAR, FONT_SIZE, value_width))
            for label, value in rows
            if value
        ]
        self.width = width
        self.height = (1 + sum(len(lines) for _, lines in self.rows)) * self.LEADING + PADDING

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        text = self.canv.beginText()
        y = self.height - FONT_SIZE - PADDING / 2
        text.setFont(BOLD, FONT_SIZE + 0.5)
        text.setTextOrigin(0, y)
        text.textOut(self.title)
        for label, lines in self.rows:
            y -= self.LEADING
            text.setFont(BOLD, FONT_SIZE)
            text.setTextOrigin(0, y)
            text.textOut(label)
            text.setFont(REGULAR, FONT_SIZE)
            for index, line in enumerate(lines):
                y -= self.LEADING if index else 0
                text.setTextOrigin(self.label_width, y)
                text.textOut(line)
        self.canv.drawText(text)


def _boxed(cells, widths) -> Table:
    table = Table([cells], colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, GRID),
                ("LINEBEFORE", (1, 0), (1, 0), 0.6, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (-1, 0), (-1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
            ]
        )
    )
    return table


def _payee_line(payee) -> str:
    return f"{payee.name}, ИНН {payee.inn}" + (f", КПП {payee.kpp}" if payee.kpp else "")


def _parties(receipt: Receipt) -> Table:
    payee = receipt.payee
    left, right = WIDTH * 0.45, WIDTH * 0.55
    payer = Fields(
        "Плательщик",
        [
            ("ФИО", receipt.payer),
            ("Адрес", receipt.address),
            ("Площадь", f"{format_quantity(receipt.area)} м²"),
            ("Зарегистрировано", f"{receipt.residents} чел."),
            ("Лицевой счёт", receipt.account_number),
            ("ЕЛС", receipt.unified_account),
            ("Идентификатор ЖКУ", receipt.service_id),
        ],
        left - 2 * PADDING,
        34 * mm,  # «Идентификатор ЖКУ»
    )
    organisation = Fields(
        "Исполнитель услуг",
        [
            ("Организация", _payee_line(payee)),
            ("Адрес", payee.address),
            ("Телефон", payee.phone),
            ("E-mail", payee.email),
            ("Сайт", payee.website),
        ],
        right - 2 * PADDING,
        20 * mm,
    )
    return _boxed([payer, organisation], [left, right])


def _payment_block(receipt: Receipt) -> Table:
    payee = receipt.payee
    details = [
        ("Получатель", _payee_line(payee)),
        ("Расчётный счёт", payee.settlement_account),
        ("Банк", payee.bank_name),
        ("БИК", payee.bik),
        ("Корр. счёт", payee.correspondent_account),
        ("Назначение", receipt.purpose),
        ("ИПД", receipt.document_id),
    ]
    summary = money_summary(
        opening=receipt.opening, charged=receipt.charged, recalculation=receipt.recalculation,
        penalties=receipt.penalties, paid=receipt.paid, to_pay=receipt.to_pay,
    )  # fmt: skip
    pay_by = f"Оплатить до {receipt.pay_by:%d.%m.%Y}"
    if receipt.closing < 0:
        pay_by += f"; переплата {format_rubles(-receipt.closing)}"
    to_pay = f"Итого к оплате: {format_rubles(receipt.to_pay)}"
    return _payee_box("Платёжные реквизиты", details, summary, receipt.qr_payload, to_pay, pay_by)


def _payee_box(title, details, summary, qr_payload, to_pay: str, pay_by: str) -> Table:
    """A payee's requisites and money summary on the left, its QR code on the right."""
    left, right = WIDTH * 0.55, WIDTH * 0.45
    fields = Fields(title, details, left - 2 * PADDING, 25 * mm)
    summary = [list(row) for row in summary]
    totals = _grid(summary, [left * 0.72, left * 0.24], header_rows=0, footer=True, align_from=1)
    right_column = Table(
        [
            [
                QrCode(qr_payload, QR_SIZE)
                if qr_payload
                else "QR-код для оплаты не сформирован:\nреквизиты получателя неполны."
            ],
            [to_pay],
            [pay_by],
        ],
        colWidths=[right - 2 * PADDING],
    )
    right_column.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("FONT", (0, 0), (0, 0), REGULAR, FONT_SIZE),
                ("FONT", (0, 1), (0, 1), BOLD, 11),
                ("FONT", (0, 2), (0, 2), REGULAR, FONT_SIZE),
                ("TOPPADDING", (0, 1), (0, 1), 4),
            ]
        )
    )
    return _boxed([[fields, Spacer(1, 3), totals], right_column], [left, right])


def _broken(text: str, room: float, font: str, size: float) -> str:
    """A numeric cell's text broken at its ordinary spaces where it is wider than ``room``
    («в т. ч. 123 456,78» → «в т. ч.» over the sum); a sum keeps its no-break spaces."""
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        current = words[0]
        for word in words[1:]:
            if pdfmetrics.stringWidth(f"{current} {word}", font, size) <= room:
                current = f"{current} {word}"
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return "\n".join(lines)


def fitted_cells(grid: Grid, size: float) -> tuple[list, list, list, bool]:
    """The grid's header, rows and footer as the PDF draws them at font ``size``: text
    columns wrapped, numeric ones broken at ordinary spaces; and whether every line then
    fits its column (a table does not clip a cell: a wider text runs into the next one)."""
    rooms = [WIDTH * column.width - 2 * CELL_PADDING for column in grid.columns]
    header_size = size - HEADER_SMALLER
    # a header on one line where its column has the room, else broken as the layout says
    header = [
        column.label
        if pdfmetrics.stringWidth(column.label, BOLD, header_size) <= room
        else column.header
        for column, room in zip(grid.columns, rooms, strict=True)
    ]

    def cell(text, column, room, font):
        if column.wrap:
            return "\n".join(_wrap(line, room, font, size) for line in text.split("\n"))
        return _broken(text, room, font, size) if column.numeric else text

    rows = [
        [cell(text, column, room, REGULAR)
         for text, column, room in zip(row, grid.columns, rooms, strict=True)]
        for row in grid.rows
    ]  # fmt: skip
    footer = (
        [
            cell(text, column, room, BOLD)
            for text, column, room in zip(grid.footer, grid.columns, rooms, strict=True)
        ]
        if grid.footer
        else []
    )
    fits = all(
        pdfmetrics.stringWidth(line, font, line_size) <= room + 0.01
        for cells, font, line_size in ((header, BOLD, header_size), *((row, REGULAR, size)
                                       for row in rows), (footer, BOLD, size))
        for text, room in zip(cells, rooms, strict=False)
        for line in text.split("\n")
    )  # fmt: skip
    return header, rows, footer, fits


def table_font(grid: Grid) -> float:
    """The grid's font size: ``TABLE_FONT``, made smaller by quarter points down to
    ``MIN_TABLE_FONT`` until every cell fits its column (a receipt with every column of the
    form and six-digit sums)."""
    size = TABLE_FONT
    while size > MIN_TABLE_FONT and not fitted_cells(grid, size)[3]:
        size -= 0.25
    return size


def _table(grid: Grid) -> Table:
    """A grid of the layout as a table: numeric columns right-aligned, long text wrapped, at
    the font that fits (``table_font``)."""
    size = table_font(grid)
    header, rows, footer, _fits = fitted_cells(grid, size)
    widths = [WIDTH * column.width for column in grid.columns]
    data = [header, *rows, *([footer] if grid.footer else [])]
    table = _grid(data, widths, footer=bool(grid.footer), size=size)
    text_columns = [index for index, column in enumerate(grid.columns) if not column.numeric]
    table.setStyle(  # _grid right-aligns from the second column; the text ones go left
        TableStyle([("ALIGN", (index, 1), (index, -1), "LEFT") for index in text_columns[1:]])
    )
    return table


def _heading(text: str, size: float, space_before: float) -> Text:
    heading = Text(text, BOLD, size, space_before=space_before)
    heading.keepWithNext = True  # never the last line of a page, away from its table
    return heading


def _section(section: Section) -> list:
    story = [_heading(section.title, 8, 5)]
    for grid in section.grids:
        if grid.caption:
            story.append(_heading(grid.caption, 7, 2))
        story.append(_table(grid))
    for note in section.notes:
        story.append(Text(note, REGULAR, 7, space_before=3))
    if section.payment is not None:
        payment = section.payment
        story += [
            Spacer(1, 3),
            _payee_box(payment.title, payment.details, payment.summary, payment.qr_payload,
                       payment.to_pay, payment.pay_by),
        ]  # fmt: skip
    return story


def receipt_filename(receipt: Receipt) -> str:
    return f"kvitanciya-{receipt.account_number}-{receipt.month:%Y-%m}.pdf"


FOOTER = (
    "Форма платёжного документа — по приказу Минстроя России от 26.01.2018 № 43/пр. "
    "QR-код для оплаты — по ГОСТ Р 56042-2014: отсканируйте его в приложении банка."
)


def _footer(canvas, document) -> None:
    """The form's note in the bottom margin of every page: it never takes a page of its own."""
    canvas.saveState()
    canvas.setFont(REGULAR, 6.3)
    canvas.drawString(MARGIN, MARGIN / 2, FOOTER)
    canvas.restoreState()


def receipt_pdf(receipt: Receipt) -> bytes:
    """The payment document as PDF bytes (one A4 page for an ordinary account)."""
    _register_fonts()
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Платёжный документ за {month_name(receipt.month)}, ЛС {receipt.account_number}",
        author=receipt.payee.name,
        creator="Личный кабинет потребителя",
    )
    frame = Frame(MARGIN, MARGIN, WIDTH, A4[1] - 2 * MARGIN, 0, 0, 0, 0)
    document.addPageTemplates([PageTemplate(frames=[frame], onPage=_footer)])
    title = (
        "Платёжный документ для внесения платы за содержание и ремонт жилого помещения "
        f"и предоставление коммунальных услуг за {month_name(receipt.month)} г."
    )
    story = [
        Text(title, BOLD, 10.5),
        Spacer(1, 4),
        _parties(receipt),
        Spacer(1, 4),
        _payment_block(receipt),
    ]
    for section in receipt_sections(receipt):
        story += _section(section)
    document.build(story)
    return buffer.getvalue()
