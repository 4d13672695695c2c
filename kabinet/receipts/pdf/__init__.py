"""The payment document as a PDF (ReportLab), drawn from a ``Receipt`` (see selectors): the
data are gathered first, the drawing here only lays them out on one A4 page. The pieces:
``blocks`` (fonts, measures, the QR code, text), ``tables`` (the layout's grids), ``page``
(the blocks placed down the pages)."""

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kabinet.formats import format_quantity, format_rubles, month_name
from kabinet.pdf_fonts import register_fonts, seed_subsets
from kabinet.receipts.layout import Section, receipt_sections
from kabinet.receipts.layout.grid import money_summary
from kabinet.receipts.pdf.blocks import BOLD, MARGIN, PADDING, REGULAR, WIDTH, Fields, Text, _wrap
from kabinet.receipts.pdf.page import Boxed, Gap, PayColumn, draw_story
from kabinet.receipts.pdf.tables import (
    CELL_PADDING,
    MIN_TABLE_FONT,
    TABLE_FONT,
    _grid,
    _table,
    fitted_cells,
    table_font,
)
from kabinet.receipts.selectors import Receipt

__all__ = [  # what the rest of Kabinet and the tests use
    "BOLD",
    "CELL_PADDING",
    "MARGIN",
    "MIN_TABLE_FONT",
    "REGULAR",
    "TABLE_FONT",
    "WIDTH",
    "_wrap",
    "fitted_cells",
    "receipt_filename",
    "receipt_pdf",
    "table_font",
]


def _payee_line(payee) -> str:
    return f"{payee.name}, ИНН {payee.inn}" + (f", КПП {payee.kpp}" if payee.kpp else "")


def _parties(receipt: Receipt) -> Boxed:
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
    return Boxed([payer], [organisation], (left, right))


def _payment_block(receipt: Receipt) -> Boxed:
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


def _payee_box(title, details, summary, qr_payload, to_pay: str, pay_by: str) -> Boxed:
    """A payee's requisites and money summary on the left, its QR code on the right."""
    left, right = WIDTH * 0.55, WIDTH * 0.45
    fields = Fields(title, details, left - 2 * PADDING, 25 * mm)
    summary = [list(row) for row in summary]
    totals = _grid(summary, [left * 0.72, left * 0.24], header_rows=0, footer=True, align_from=1)
    column = PayColumn(qr_payload, to_pay, pay_by, right - 2 * PADDING)
    return Boxed([fields, Gap(3), totals], [column], (left, right))


def _heading(text: str, size: float, space_before: float) -> Text:
    # never the last line of a page, away from its table
    return Text(text, BOLD, size, space_before=space_before, keep_with_next=True)


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
            Gap(3),
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


def _margins(receipt: Receipt):
    """What every page draws in its margins: the issued document's number and date at the top
    right, the form's note at the bottom — in the margins, so they never take a page."""
    document_line = receipt.document_line

    def draw(canvas) -> None:
        if canvas.getPageNumber() == 1:  # before any text: documents then share font subsets
            seed_subsets(canvas)
        canvas.saveState()
        canvas.setFont(REGULAR, 6.3)
        canvas.drawString(MARGIN, MARGIN / 2, FOOTER)
        if document_line:
            canvas.setFont(REGULAR, 7)
            canvas.drawRightString(MARGIN + WIDTH, A4[1] - MARGIN / 2 - 3, document_line)
        canvas.restoreState()

    return draw


def receipt_pdf(receipt: Receipt) -> bytes:
    """The payment document as PDF bytes (one A4 page for an ordinary account)."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(
        f"Платёжный документ за {month_name(receipt.month)}, ЛС {receipt.account_number}"
    )
    canvas.setAuthor(receipt.payee.name)
    canvas.setCreator("Личный кабинет потребителя")
    title = (
        "Платёжный документ для внесения платы за содержание и ремонт жилого помещения "
        f"и предоставление коммунальных услуг за {month_name(receipt.month)} г."
    )
    story = [
        Text(title, BOLD, 10.5),
        Gap(4),
        _parties(receipt),
        Gap(4),
        _payment_block(receipt),
    ]
    for section in receipt_sections(receipt):
        story += _section(section)
    draw_story(canvas, story, _margins(receipt))
    canvas.save()
    return buffer.getvalue()
