"""The reconciliation statement (``billing.reconciliation``) as PDF (ReportLab, the portal's
DejaVu font for Cyrillic) and XLSX (``tabular.write_xlsx``, whose text cells never become
formulas). Both show the same lines and totals as the portal's page."""

import datetime
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kabinet.billing.reconciliation import Statement
from kabinet.formats import format_money
from kabinet.pdf_fonts import BOLD, REGULAR, register_fonts
from kabinet.tabular import write_xlsx

TITLE = "Акт сверки взаиморасчётов"
HEADER = ["Дата", "Операция", "Источник", "Начислено, ₽", "Оплачено, ₽"]
GRID, SHADE = colors.HexColor("#8a8f96"), colors.HexColor("#eef1f4")
MARGIN = 15 * mm
WIDTHS = [22, 78, 40, 20, 20]  # mm: 180 of A4's 180 between the margins


def period_text(statement: Statement) -> str:
    return f"с {statement.first:%d.%m.%Y} по {statement.to:%d.%m.%Y}"


def balance_text(value) -> str:
    """A balance in words: a debt, an overpayment or nothing."""
    if value > 0:
        return f"долг {format_money(value)} ₽"
    if value < 0:
        return f"переплата {format_money(-value)} ₽"
    return "задолженности нет"


def heading(statement: Statement) -> list[tuple[str, str]]:
    account = statement.account
    organization = account.organization
    return [
        ("Организация", organization.name),
        ("ИНН", organization.inn),
        ("Плательщик", account.holder_name),
        ("Лицевой счёт", f"№ {account.number}"),
        ("Адрес помещения", str(account.premise)),
        ("Период", period_text(statement)),
    ]


def summary(statement: Statement) -> list[tuple[str, object]]:
    """(label, amount) of the totals, as «Платежи» shows them."""
    rows = [
        (f"Сальдо на {statement.first:%d.%m.%Y}", statement.opening),
        ("Начислено", statement.charged),
        ("Перерасчёты", statement.recalculation),
        ("Пени", statement.penalties),
        ("Оплачено", statement.paid),
    ]
    rows += [(f"  в т. ч. {label}", amount) for label, amount in statement.paid_by_source]
    rows.append((f"Сальдо на {statement.to:%d.%m.%Y}", statement.closing))
    return rows


def _line_cells(line) -> list:
    return [f"{line.day:%d.%m.%Y}", line.text, line.source, line.debit or None, line.credit or None]


def statement_xlsx(statement: Statement) -> bytes:
    rows = [[label, value] + [None] * 3 for label, value in heading(statement)]
    rows.append([None] * 5)
    rows.append([f"Сальдо на {statement.first:%d.%m.%Y}", balance_text(statement.opening),
                 None, None, None])  # fmt: skip
    rows += [_line_cells(line) for line in statement.lines]
    rows.append(["Итого", None, None, statement.debit, statement.credit])
    rows.append([f"Сальдо на {statement.to:%d.%m.%Y}", balance_text(statement.closing),
                 None, None, statement.closing])  # fmt: skip
    rows.append([None] * 5)
    rows += [[label, None, None, None, amount] for label, amount in summary(statement)]
    return write_xlsx(HEADER, rows, "Акт сверки")


def statement_pdf(statement: Statement, *, issued: datetime.date) -> bytes:
    register_fonts()
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=9, leading=11.5)
    title = ParagraphStyle("title", base, fontName=BOLD, fontSize=14, leading=18, alignment=1)
    subtitle = ParagraphStyle("subtitle", base, alignment=1, spaceAfter=4 * mm)
    account = statement.account
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4,
        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"{TITLE}, ЛС № {account.number}",
        author=account.organization.name, creator="Личный кабинет потребителя",
    )  # fmt: skip
    story = [
        Paragraph(TITLE, title),
        Paragraph(
            escape(f"по лицевому счёту № {account.number} {period_text(statement)}"), subtitle
        ),
    ]
    story += [
        Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", base)
        for label, value in heading(statement)
    ]
    story.append(Spacer(1, 4 * mm))
    data = [HEADER]
    data.append(["", f"Сальдо на {statement.first:%d.%m.%Y}: {balance_text(statement.opening)}",
                 "", "", ""])  # fmt: skip
    for line in statement.lines:
        cells = _line_cells(line)
        data.append([*cells[:3], *(format_money(v) if v else "" for v in cells[3:])])
    data.append(["", "Итого обороты", "", format_money(statement.debit),
                 format_money(statement.credit)])  # fmt: skip
    data.append(["", f"Сальдо на {statement.to:%d.%m.%Y}: {balance_text(statement.closing)}",
                 "", "", ""])  # fmt: skip
    table = Table(data, colWidths=[width * mm for width in WIDTHS], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), REGULAR, 8),
        ("FONT", (0, 0), (-1, 0), BOLD, 8),
        ("FONT", (0, -2), (-1, -1), BOLD, 8),
        ("FONT", (0, 1), (-1, 1), BOLD, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("BACKGROUND", (0, -1), (-1, -1), SHADE),
        ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
    ]))  # fmt: skip
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    sums = Table(
        [[label, format_money(amount)] for label, amount in summary(statement)],
        colWidths=[80 * mm, 30 * mm],
        hAlign="LEFT",
    )
    sums.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), REGULAR, 9),
                              ("ALIGN", (1, 0), (1, -1), "RIGHT")]))  # fmt: skip
    story.append(sums)
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(
        "Сальдо на конец = сальдо на начало + начислено + перерасчёты + пени − оплачено. "
        "Положительное сальдо — долг, отрицательное — переплата.", base))  # fmt: skip
    story.append(Paragraph(f"Дата составления: {issued:%d.%m.%Y}", base))
    document.build(story)
    return buffer.getvalue()
