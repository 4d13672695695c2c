"""The form's main table, «Расчёт размера платы за содержание и ремонт жилого помещения и
коммунальные услуги» (Приказ Минстроя России от 26.01.2018 № 43/пр), and the month's
recalculations: a column is shown when the receipt has something to put in it (``when``)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from kabinet.formats import format_money, format_number, month_name
from kabinet.money import ZERO
from kabinet.receipts.layout.grid import (
    Column,
    Grid,
    money_or_dash,
    quantity_or_dash,
    reading_or_dash,
    scaled,
)
from kabinet.receipts.lines import ReceiptLine
from kabinet.receipts.selectors import Receipt

SERVICES_TITLE = (
    "Расчёт размера платы за содержание и ремонт жилого помещения и коммунальные услуги"
)
RECALCULATIONS_TITLE = "Перерасчёты"


def _service_name(line: ReceiptLine, receipt: Receipt) -> str:
    # A supplier other than the payee is named, with its requisites, in the section of
    # suppliers below (``layout.suppliers``): a line of its own here would double the row.
    return line.service


def _total(receipt: Receipt, value: Callable[[ReceiptLine], Decimal]) -> Decimal:
    return sum((value(line) for line in receipt.lines), ZERO)


@dataclass(frozen=True)
class ServiceColumn:
    column: Column
    cell: Callable[[ReceiptLine, Receipt], str]
    footer: Callable[[Receipt], str] = lambda receipt: ""
    when: Callable[[Receipt], bool] = lambda receipt: True
    # a row of a line's part by tariff (``ReceiptLine.tariff_spans``); "" — nothing to show
    span: Callable[[dict], str] = lambda span: ""


def _span_name(span: dict) -> str:
    first, last = (datetime.date.fromisoformat(span[key]) for key in ("from", "to"))
    return f"  с {first:%d.%m} по {last:%d.%m} ({span['days']} дн.)"


def _tariff(line: ReceiptLine, receipt: Receipt) -> str:
    # A tariff changed within the month: each approved tariff on the rows of its days.
    return "—" if line.tariff_spans else quantity_or_dash(line.tariff)


def _individual(line: ReceiptLine) -> Decimal:
    return line.individual_charged


def _excess(line: ReceiptLine) -> Decimal:
    return line.coefficient_charged


def _common(line: ReceiptLine) -> Decimal:
    return line.common_charged


def _other_recalculation(line: ReceiptLine) -> Decimal:
    return line.other_recalculation


def _quality(line: ReceiptLine) -> Decimal:
    return line.quality_reduction


def _fine(line: ReceiptLine) -> Decimal:
    return line.executor_fine


def _common_share(receipt: Receipt) -> bool:
    return receipt.has_common_share


def _with_coefficient(receipt: Receipt) -> bool:
    return any(line.coefficient for line in receipt.lines)


def _coefficient(line: ReceiptLine) -> str:
    return "—" if line.coefficient is None else format_number(line.coefficient)


# Widths are shares of the A4 page with every column shown (they add up to 1; fewer columns
# stretch, ``scaled``): with all thirteen, each money column holds a sum of six digits before
# the comma («-123 456,78») in the «Итого» row's bold at 6,5 pt, the size the PDF falls back to
# when 7 pt does not fit (``pdf.table_font``); each header fits in its lines
# (tests/test_receipt_wide_sums.py and tests/test_receipt_reductions.py measure them).
SERVICE_COLUMNS = (
    ServiceColumn(
        Column("Вид услуги", 0.1175, numeric=False, wrap=True),
        _service_name,
        footer=lambda receipt: "Итого",
        span=_span_name,
    ),
    ServiceColumn(Column("Ед.\nизм.", 0.0445, numeric=False), lambda line, _: line.unit or "—"),
    ServiceColumn(
        Column("Объём\nинд.", 0.067),
        lambda line, _: quantity_or_dash(line.volume),
        span=lambda span: quantity_or_dash(Decimal(span["volume"])),
    ),
    ServiceColumn(
        Column("Объём\nОДН", 0.066),
        lambda line, _: reading_or_dash(line.common_volume),
        when=_common_share,
    ),
    ServiceColumn(
        Column("Тариф,\n₽", 0.06),
        _tariff,
        span=lambda span: quantity_or_dash(Decimal(span["tariff"])),
    ),
    # The form's «размер повышающего коэффициента» and «размер превышения платы, рассчитанной с
    # применением повышающего коэффициента, над размером платы без его учёта» (№ 43/пр).
    ServiceColumn(
        Column("Повыш.\nкоэфф.", 0.0595),
        lambda line, _: _coefficient(line),
        when=_with_coefficient,
    ),
    ServiceColumn(
        Column("В т. ч. за\nкоэфф., ₽", 0.081),
        lambda line, _: money_or_dash(line.coefficient_charged),
        footer=lambda receipt: money_or_dash(_total(receipt, _excess)),
        when=_with_coefficient,
    ),
    ServiceColumn(
        Column("Начислено\nинд., ₽", 0.086),
        lambda line, _: format_money(line.individual_charged),
        footer=lambda receipt: format_money(_total(receipt, _individual)),
        span=lambda span: f"в т. ч. {format_money(Decimal(span['amount']))}",
    ),
    ServiceColumn(
        Column("Начислено\nОДН, ₽", 0.081),
        lambda line, _: money_or_dash(line.common_charged),
        footer=lambda receipt: money_or_dash(_total(receipt, _common)),
        when=_common_share,
    ),
    ServiceColumn(
        Column("Перерас-\nчёт, ₽", 0.0855),
        lambda line, _: money_or_dash(line.other_recalculation),
        footer=lambda receipt: money_or_dash(_total(receipt, _other_recalculation)),
    ),
    # The form's «снижение платы» for services of poor quality (Правила № 354 раздел IX) and
    # «штрафы исполнителя» (ЖК РФ ст. 157 ч. 6, Правила № 354 п. 155(1)): parts of the
    # line's recalculation, each in its own column when a line of the month has one.
    ServiceColumn(
        Column("Снижение\nза каче-\nство, ₽", 0.0855),
        lambda line, _: money_or_dash(line.quality_reduction),
        footer=lambda receipt: money_or_dash(_total(receipt, _quality)),
        when=lambda receipt: any(line.quality_reduction for line in receipt.lines),
    ),
    ServiceColumn(
        Column("Штрафы\nисполни-\nтеля, ₽", 0.0855),
        lambda line, _: money_or_dash(line.executor_fine),
        footer=lambda receipt: money_or_dash(_total(receipt, _fine)),
        when=lambda receipt: any(line.executor_fine for line in receipt.lines),
    ),
    ServiceColumn(
        Column("Итого, ₽", 0.081),
        lambda line, _: format_money(line.total),
        footer=lambda receipt: format_money(receipt.lines_total),
    ),
)


def services_grid(receipt: Receipt) -> Grid:
    shown = [spec for spec in SERVICE_COLUMNS if spec.when(receipt)]
    rows = []
    for line in receipt.lines:
        rows.append(tuple(spec.cell(line, receipt) for spec in shown))
        rows.extend(tuple(spec.span(span) for spec in shown) for span in line.tariff_spans or ())
    return Grid(
        caption="",
        columns=scaled([spec.column for spec in shown]),
        rows=tuple(rows),
        footer=tuple(spec.footer(receipt) for spec in shown),
    )


def recalculations_grid(receipt: Receipt) -> Grid:
    return Grid(
        caption="",
        columns=(
            Column("Услуга", 0.22, numeric=False),
            Column("Корректируемый период", 0.16, numeric=False),
            Column("Основание", 0.5, numeric=False, wrap=True),
            Column("Сумма, ₽", 0.12),
        ),
        rows=tuple(
            (row.service, month_name(row.corrected_month), row.reason, format_money(row.amount))
            for row in receipt.recalculations
        ),
    )
