"""«Расчёт пени» as the documents a court claim attaches: PDF (ReportLab, the receipts' DejaVu
font for Cyrillic) and XLSX (openpyxl's write-only mode). Both lay out one ``PenaltyStatement``:
the creditor and the debtor, the legal basis from the law rows, the table by debt month with
totals, and the signature lines.

Names and addresses come from staff and residents, so no XLSX text cell may become a formula
(the readings export's rule, ``metering.exports.FORMULA_STARTS``)."""

import datetime
import io
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kabinet.billing.penalty_statement import PenaltyStatement, StatementLine
from kabinet.formats import format_money, format_number, month_name
from kabinet.metering.exports import FORMULA_STARTS
from kabinet.pdf_fonts import BOLD, REGULAR, register_fonts

TITLE = "Расчёт пени"
HEADER = ("Долг за", "Срок оплаты", "Период просрочки", "Дней", "С дня просрочки", "Долг, ₽",
          "Ставка, %", "Доля ставки", "Правило", "Основание", "Пени, ₽")  # fmt: skip
SIGNATURES = ("Руководитель", "Главный бухгалтер")
GRID, SHADE = colors.HexColor("#8a8f96"), colors.HexColor("#eef1f4")


def _period(statement: PenaltyStatement) -> str:
    if statement.first is None:
        return f"по {statement.to:%d.%m.%Y}"
    return f"с {statement.first:%d.%m.%Y} по {statement.to:%d.%m.%Y}"


def heading(statement: PenaltyStatement) -> list[tuple[str, str]]:
    """The document's «label: value» lines above the table."""
    organization, account = statement.organization, statement.account
    return [
        ("Взыскатель", organization.name),
        ("ИНН / ОГРН", f"{organization.inn} / {organization.ogrn}"),
        ("Адрес взыскателя", organization.address),
        ("Должник", account.holder_name),
        ("Лицевой счёт", f"№ {account.number}"),
        ("Адрес помещения", str(account.premise)),
        ("Период расчёта", _period(statement)),
        ("Дата расчёта", f"{statement.to:%d.%m.%Y}"),
    ]


def _cells(line: StatementLine) -> list[str]:
    return [
        month_name(line.debt_month),
        f"{line.due:%d.%m.%Y}",
        f"{line.first:%d.%m.%Y} – {line.last:%d.%m.%Y}",
        str(line.days),
        f"{line.first_overdue_day}-го",
        format_money(line.debt),
        format_number(line.rate, 2),
        f"1/{line.fraction}",
        line.rule_label,
        f"[{line.basis}]" if line.basis else "",
        format_money(line.amount),
    ]


# PDF ----------------------------------------------------------------------------------------

MARGIN = 12 * mm
WIDTHS = [22, 18, 33, 12, 19, 22, 14, 13, 67, 19, 22]  # mm, 261 of the 273 of landscape A4
RULE_WIDTH = (WIDTHS[8] - 2) * mm  # a plain string wrapped by hand: a Paragraph per line is slow


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=8.5, leading=10.5)
    return {
        "title": ParagraphStyle(
            "title", base, fontName=BOLD, fontSize=14, leading=18, alignment=1, spaceAfter=2 * mm
        ),
        "subtitle": ParagraphStyle("subtitle", base, alignment=1, spaceAfter=4 * mm),
        "text": base,
        "heading": ParagraphStyle(
            "heading",
            base,
            fontName=BOLD,
            fontSize=9.5,
            leading=12,
            spaceBefore=3 * mm,
            spaceAfter=1.5 * mm,
        ),
        "cell": ParagraphStyle("cell", base, fontSize=7, leading=8.5),
        "total": ParagraphStyle(
            "total", base, fontName=BOLD, fontSize=10, leading=13, spaceBefore=3 * mm
        ),
    }


def _table(statement: PenaltyStatement, styles, total_label: str = "Итого пени") -> Table:
    header = [Paragraph(title, ParagraphStyle("th", styles["cell"], fontName=BOLD))
              for title in HEADER]  # fmt: skip
    data = [header]
    style = [
        ("FONT", (0, 0), (-1, -1), REGULAR, 7),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("ALIGN", (3, 1), (7, -1), "RIGHT"),
        ("ALIGN", (-1, 1), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for month in statement.months:
        for line in month.lines:
            cells = _cells(line)
            cells[8] = "\n".join(simpleSplit(cells[8], REGULAR, 7, RULE_WIDTH))
            data.append(cells)
        # Totals in the «Правило» column: spanning cells make ReportLab's page splits quadratic.
        label = f"Итого за {month_name(month.month)}"
        data.append([*[""] * 8, label, "", format_money(month.total)])
        style.append(("FONT", (0, len(data) - 1), (-1, len(data) - 1), BOLD, 7))
    data.append([*[""] * 8, total_label, "", format_money(statement.total)])
    style += [("FONT", (0, -1), (-1, -1), BOLD, 7.5), ("BACKGROUND", (0, -1), (-1, -1), SHADE)]
    table = Table(data, colWidths=[width * mm for width in WIDTHS], repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def penalty_pdf(statement: PenaltyStatement, *, issued: datetime.date) -> bytes:
    """The statement as a PDF on landscape A4 pages (the table's header repeats on each)."""
    register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    account = statement.account
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"{TITLE}, ЛС № {account.number}",
        author=statement.organization.name,
        creator="Личный кабинет потребителя",
    )  # fmt: skip
    story = [
        Paragraph(TITLE, styles["title"]),
        Paragraph(
            escape(f"по лицевому счёту № {account.number} {_period(statement)}"),
            styles["subtitle"],
        ),
    ]
    story += [
        Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", styles["text"])
        for label, value in heading(statement)
    ]
    story.append(Paragraph("Правовое основание", styles["heading"]))
    story += [
        Paragraph(escape(f"[{basis.number}] {basis.text}."), styles["text"])
        for basis in statement.bases
    ]
    repair = statement.capital_repair
    story.append(Paragraph(MAIN_HEADING if repair else "Расчёт", styles["heading"]))
    if statement.months:
        story.append(_table(statement, styles, MAIN_TOTAL if repair else "Итого пени"))
    else:
        story.append(Paragraph(escape(EMPTY), styles["text"]))
    if repair:
        story.append(Paragraph(escape(f"{MAIN_TOTAL}: {format_money(statement.total)} руб."),
                               styles["total"]))  # fmt: skip
        story.append(Paragraph(REPAIR_HEADING, styles["heading"]))
        story.append(Paragraph(escape(REPAIR_RULE), styles["text"]))
        story.append(Spacer(1, 2 * mm))
        story.append(_table(repair, styles, "Итого пени по ч. 14.1"))  # fits the column
        story.append(Paragraph(escape(f"{REPAIR_TOTAL}: {format_money(repair.total)} руб."),
                               styles["total"]))  # fmt: skip
    total = (
        f"Всего пени: {format_money(statement.grand_total)} руб."
        if repair
        else (f"Итого пени: {format_money(statement.total)} руб.")
    )
    story.append(Paragraph(escape(total), styles["total"]))
    story.append(Spacer(1, 10 * mm))
    for role in SIGNATURES:
        story.append(Paragraph(f"{role} ________________ / ________________", styles["text"]))
        story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(f"Дата: {issued:%d.%m.%Y}", styles["text"]))
    document.build(story)
    return buffer.getvalue()


EMPTY = "Пени за период расчёта не начислены: долга, просроченного более чем на 30 дней, нет."
# With contributions to capital repair the document has two blocks, each with its own total
# (ЖК РФ ст. 155 ч. 14 and ч. 14.1 are different rules on different debts), and their sum.
MAIN_HEADING = "Расчёт пени по ЖК РФ ст. 155 ч. 14 (плата за жилое помещение и коммунальные услуги)"
MAIN_TOTAL = "Итого пени по ч. 14"
REPAIR_HEADING = "Расчёт пени на взносы на капитальный ремонт по ЖК РФ ст. 155 ч. 14.1"
REPAIR_TOTAL = "Итого пени на взносы на капитальный ремонт (ч. 14.1)"
REPAIR_RULE = (
    "Пени на взносы на капитальный ремонт: 1/300 ставки за каждый день просрочки со дня, "
    "следующего за сроком уплаты, по день оплаты включительно — без 30 дней без пени и без "
    "1/130 (ЖК РФ ст. 155 ч. 14.1). Взносы гасят только оплаты получателю взносов."
)


# XLSX ---------------------------------------------------------------------------------------

XLSX_WIDTHS = [16, 12, 24, 7, 10, 13, 10, 10, 40, 10, 13]
MONEY_FORMAT = "#,##0.00"


def _text(sheet, value: str, *, bold=False):
    """A text cell that never becomes a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    if value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _number(sheet, value, number_format: str, *, bold=False):
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _xlsx_line(sheet, line: StatementLine) -> list:
    return [
        _text(sheet, month_name(line.debt_month)),
        _number(sheet, line.due, "DD.MM.YYYY"),
        _text(sheet, f"{line.first:%d.%m.%Y} – {line.last:%d.%m.%Y}"),
        line.days,
        line.first_overdue_day,
        _number(sheet, line.debt, MONEY_FORMAT),
        _number(sheet, line.rate, "0.00"),
        _text(sheet, f"1/{line.fraction}"),
        _text(sheet, line.rule_label),
        _text(sheet, f"[{line.basis}]" if line.basis else ""),
        _number(sheet, line.amount, MONEY_FORMAT),
    ]


def _xlsx_table(sheet, statement: PenaltyStatement) -> None:
    sheet.append([_text(sheet, title, bold=True) for title in HEADER])
    for month in statement.months:
        for line in month.lines:
            sheet.append(_xlsx_line(sheet, line))
        subtotal = _number(sheet, month.total, MONEY_FORMAT, bold=True)
        label = _text(sheet, f"Итого за {month_name(month.month)}", bold=True)
        sheet.append([label, *[None] * 9, subtotal])  # fmt: skip


def _xlsx_total(sheet, label: str, total) -> None:
    sheet.append([_text(sheet, label, bold=True), *[None] * 9,
                  _number(sheet, total, MONEY_FORMAT, bold=True)])  # fmt: skip


def penalty_xlsx(statement: PenaltyStatement, *, issued: datetime.date) -> bytes:
    """The statement as one sheet: the heading, the table with totals, the basis, signatures."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(TITLE)
    for index, width in enumerate(XLSX_WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    account = statement.account
    sheet.append([_text(sheet, TITLE, bold=True)])
    sheet.append([_text(sheet, f"по лицевому счёту № {account.number} {_period(statement)}")])
    sheet.append([])
    for label, value in heading(statement):
        sheet.append([_text(sheet, label, bold=True), None, _text(sheet, value)])
    sheet.append([])
    repair = statement.capital_repair
    if repair:
        sheet.append([_text(sheet, MAIN_HEADING, bold=True)])
    if statement.months:
        _xlsx_table(sheet, statement)
    else:
        sheet.append([_text(sheet, EMPTY)])
    _xlsx_total(sheet, MAIN_TOTAL if repair else "Итого пени", statement.total)
    if repair:
        sheet.append([])
        sheet.append([_text(sheet, REPAIR_HEADING, bold=True)])
        sheet.append([_text(sheet, REPAIR_RULE)])
        _xlsx_table(sheet, repair)
        _xlsx_total(sheet, REPAIR_TOTAL, repair.total)
        _xlsx_total(sheet, "Всего пени", statement.grand_total)
    sheet.append([])
    sheet.append([_text(sheet, "Правовое основание", bold=True)])
    for basis in statement.bases:
        sheet.append([_text(sheet, f"[{basis.number}] {basis.text}.")])
    sheet.append([])
    for role in SIGNATURES:
        sheet.append([_text(sheet, f"{role} ________________ / ________________")])
        sheet.append([])
    sheet.append([_text(sheet, "Дата"), _number(sheet, issued, "DD.MM.YYYY")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
