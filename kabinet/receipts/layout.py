"""The payment document's tables as text, in the order of the form of Приказ Минстроя России
от 26.01.2018 № 43/пр: one layout that both the print page and the PDF draw, so that the two
show the same sections in the same order and every total under its own column.

A column of the form is shown when the receipt has something to put in it (``when``): the
form's «коэффициент», «штрафы исполнителя» and the like get an entry in ``SERVICE_COLUMNS``
once the billing stores their figures; no column is drawn empty. The sources, and what is
left for later: ``docs/payment-document.md``."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from kabinet.formats import (
    format_money,
    format_number,
    format_quantity,
    format_reading,
    format_rubles,
    month_name,
)
from kabinet.money import ZERO
from kabinet.receipts.selectors import CapitalRepairPart, Receipt, ReceiptLine

SERVICES_TITLE = (
    "Расчёт размера платы за содержание и ремонт жилого помещения и коммунальные услуги"
)
RECALCULATIONS_TITLE = "Перерасчёты"
REFERENCE_TITLE = "Справочная информация"
CAPITAL_REPAIR_TITLE = "Расчёт размера взноса на капитальный ремонт"
INSTALMENTS_TITLE = "Расчёт суммы к оплате с учётом рассрочки платежа"


@dataclass(frozen=True)
class Column:
    # "\n" breaks the PDF's header (the page shows a space); "-\n", a word (the page joins it)
    header: str
    width: float  # share of the page width in the PDF
    numeric: bool = True  # right-aligned
    wrap: bool = False  # long text wraps in the PDF cell

    @property
    def label(self) -> str:
        return self.header.replace("-\n", "").replace("\n", " ")


@dataclass(frozen=True)
class Grid:
    caption: str  # "" when the section's title says it all
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: tuple[str, ...] = ()

    @property
    def labelled_rows(self) -> list[list[tuple[Column, str]]]:
        """Each row's cells with their columns (the page labels each cell on a phone)."""
        return [list(zip(self.columns, row, strict=True)) for row in self.rows]

    @property
    def labelled_footer(self) -> list[tuple[Column, str]]:
        return list(zip(self.columns, self.footer, strict=True))


@dataclass(frozen=True)
class PaymentBlock:
    """A second payee inside a section: its requisites, money summary and QR code."""

    title: str
    details: tuple[tuple[str, str], ...]  # (label, value); empty values are left out
    summary: tuple[tuple[str, str], ...]  # the last row is «Итого к оплате»
    qr_payload: str | None
    to_pay: str
    pay_by: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    grids: tuple[Grid, ...]
    notes: tuple[str, ...] = ()
    payment: PaymentBlock | None = None


def _money_or_dash(value) -> str:
    return format_money(value) if value else "—"


def _quantity_or_dash(value) -> str:
    return format_quantity(value) if value else "—"


def _reading_or_dash(value) -> str:
    """Volumes with the meter's three places, as everywhere people read them (issue 17): a
    common-house share of ``0.633283`` is ``0,633``; the billing keeps six for its sums."""
    return format_reading(value) if value else "—"


def _reading(value) -> str:
    return "—" if value is None else format_number(value, 3)


def _service_name(line: ReceiptLine, receipt: Receipt) -> str:
    # The form names who provides a service when it is not the payee (a supplier under a
    # direct contract, a regional operator): the resident asks them about its figures.
    if line.supplier and line.supplier != receipt.payee.name:
        return f"{line.service}\nпоставщик: {line.supplier}"
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
    return "—" if line.tariff_spans else _quantity_or_dash(line.tariff)


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


# Widths are shares of the A4 page with every column shown (they add up to about 1; fewer
# columns stretch, ``_scaled``): each money column holds a sum of five digits before the comma
# («-12 345,67») in the «Итого» row's bold, each header fits in its lines
# (tests/test_receipt_reductions.py measures them).
SERVICE_COLUMNS = (
    ServiceColumn(
        Column("Вид услуги", 0.126, numeric=False, wrap=True),
        _service_name,
        footer=lambda receipt: "Итого",
        span=_span_name,
    ),
    ServiceColumn(Column("Ед.\nизм.", 0.0474, numeric=False), lambda line, _: line.unit or "—"),
    ServiceColumn(
        Column("Объём\nинд.", 0.0683),
        lambda line, _: _quantity_or_dash(line.volume),
        span=lambda span: _quantity_or_dash(Decimal(span["volume"])),
    ),
    ServiceColumn(
        Column("Объём\nОДН", 0.0569),
        lambda line, _: _reading_or_dash(line.common_volume),
        when=_common_share,
    ),
    ServiceColumn(
        Column("Тариф,\n₽", 0.0645),
        _tariff,
        span=lambda span: _quantity_or_dash(Decimal(span["tariff"])),
    ),
    # The form's «размер повышающего коэффициента» and «размер превышения платы, рассчитанной с
    # применением повышающего коэффициента, над размером платы без его учёта» (№ 43/пр).
    ServiceColumn(
        Column("Повыш.\nкоэфф.", 0.0607),
        lambda line, _: _coefficient(line),
        when=_with_coefficient,
    ),
    ServiceColumn(
        Column("В т. ч. за\nкоэфф., ₽", 0.0759),
        lambda line, _: _money_or_dash(line.coefficient_charged),
        footer=lambda receipt: _money_or_dash(_total(receipt, _excess)),
        when=_with_coefficient,
    ),
    ServiceColumn(
        Column("Начислено\nинд., ₽", 0.0914),
        lambda line, _: format_money(line.individual_charged),
        footer=lambda receipt: format_money(_total(receipt, _individual)),
        span=lambda span: f"в т. ч. {format_money(Decimal(span['amount']))}",
    ),
    ServiceColumn(
        Column("Начислено\nОДН, ₽", 0.0816),
        lambda line, _: _money_or_dash(line.common_charged),
        footer=lambda receipt: _money_or_dash(_total(receipt, _common)),
        when=_common_share,
    ),
    ServiceColumn(
        Column("Перерас-\nчёт, ₽", 0.0816),
        lambda line, _: _money_or_dash(line.other_recalculation),
        footer=lambda receipt: _money_or_dash(_total(receipt, _other_recalculation)),
    ),
    # The form's «снижение платы» for services of poor quality (Правила № 354 раздел IX) and
    # «штрафы исполнителя» (ЖК РФ ст. 157 ч. 6, Правила № 354 п. 155(1)): parts of the
    # line's recalculation, each in its own column when a line of the month has one.
    ServiceColumn(
        Column("Снижение\nза каче-\nство, ₽", 0.0816),
        lambda line, _: _money_or_dash(line.quality_reduction),
        footer=lambda receipt: _money_or_dash(_total(receipt, _quality)),
        when=lambda receipt: any(line.quality_reduction for line in receipt.lines),
    ),
    ServiceColumn(
        Column("Штрафы\nисполни-\nтеля, ₽", 0.0816),
        lambda line, _: _money_or_dash(line.executor_fine),
        footer=lambda receipt: _money_or_dash(_total(receipt, _fine)),
        when=lambda receipt: any(line.executor_fine for line in receipt.lines),
    ),
    ServiceColumn(
        Column("Итого, ₽", 0.0816),
        lambda line, _: format_money(line.total),
        footer=lambda receipt: format_money(receipt.lines_total),
    ),
)


def _scaled(columns: list[Column]) -> tuple[Column, ...]:
    """The columns' widths stretched to the page when some are left out."""
    total = sum(column.width for column in columns)
    return tuple(
        Column(column.header, column.width / total, column.numeric, column.wrap)
        for column in columns
    )


def services_grid(receipt: Receipt) -> Grid:
    shown = [spec for spec in SERVICE_COLUMNS if spec.when(receipt)]
    rows = []
    for line in receipt.lines:
        rows.append(tuple(spec.cell(line, receipt) for spec in shown))
        rows.extend(tuple(spec.span(span) for spec in shown) for span in line.tariff_spans or ())
    return Grid(
        caption="",
        columns=_scaled([spec.column for spec in shown]),
        rows=tuple(rows),
        footer=tuple(spec.footer(receipt) for spec in shown),
    )


def _recalculations_grid(receipt: Receipt) -> Grid:
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


METER_COLUMNS = (
    Column("Прибор учёта", 0.2, numeric=False),
    Column("Заводской №", 0.2, numeric=False),
    Column("Источник", 0.15, numeric=False),
    Column("Предыдущее", 0.15),
    Column("Текущее", 0.15),
    Column("Расход", 0.15),
)


def _meters_grid(caption: str, meters) -> Grid:
    return Grid(
        caption=caption,
        columns=METER_COLUMNS,
        rows=tuple(
            (
                row.resource.capitalize(),
                row.serial_number,
                row.source,
                _reading(row.previous),
                _reading(row.current),
                _reading(row.consumption),
            )
            for row in meters
        ),
    )


def _normative(row) -> str:
    if row.normative is None:
        return "—"
    return f"{format_quantity(row.normative)} на {'м²' if row.normative_per_area else 'чел.'}"


def _volume(value) -> str:
    return "—" if value is None else format_number(value, 3)


RESOURCE_COLUMNS = (
    # (column, cell, shown only when some row has a value in it)
    (Column("Вид услуги", 0.22, numeric=False, wrap=True), lambda row: row.service, None),
    (Column("Ед. изм.", 0.07, numeric=False), lambda row: row.unit or "—", None),
    (Column("Норматив\nпотребления", 0.13), _normative, None),
    (
        Column("Норматив\nна ОДН, на м²", 0.12),
        lambda row: _quantity_or_dash(row.common_normative),
        lambda row: row.common_normative is not None,
    ),
    (Column("Расход по\nОДПУ", 0.12), lambda row: _volume(row.house_meter_volume), None),
    (
        Column("Объём в\nпомещениях", 0.12),
        lambda row: format_number(row.premises_volume, 3),
        None,
    ),
    (Column("Объём\nна ОДН", 0.11), lambda row: format_number(row.common_volume, 3), None),
    (Column("Всего\nпо дому", 0.11), lambda row: format_number(row.house_volume, 3), None),
)


def _resources_grid(resources) -> Grid:
    """Per utility: the normatives (individual; of common-house needs when the house has
    one), and the month's volumes of the house — by its meters, in its premises, on
    common-house needs, and the two together."""
    shown = [
        (column, cell)
        for column, cell, used in RESOURCE_COLUMNS
        if used is None or any(used(row) for row in resources)
    ]
    return Grid(
        caption="Объёмы коммунальных ресурсов по дому и нормативы потребления за месяц",
        columns=_scaled([column for column, _ in shown]),
        rows=tuple(tuple(cell(row) for _, cell in shown) for row in resources),
    )


def _areas(receipt: Receipt) -> str:
    """The area totals the charges by area and the common-house shares come from."""
    parts = [f"Площадь помещения: {format_quantity(receipt.area)} м²"]
    house = receipt.house
    if house is not None:
        parts.append(
            f"общая площадь жилых и нежилых помещений дома: {format_quantity(house.total_area)} м²"
        )
        if house.common_area is not None:
            parts.append(
                f"площадь помещений общего имущества: {format_quantity(house.common_area)} м²"
            )
    return "; ".join(parts) + "."


def _reference(receipt: Receipt) -> Section:
    """«Справочная информация»: the normatives, the meters' current readings and the house's
    volumes the charges come from — the list of the form's recommendations (Приказ Минстроя
    России № 924/пр, раздел V, пп. 24–26, kept by № 43/пр; see docs/payment-document.md)."""
    grids = []
    if receipt.readings:
        grids.append(_meters_grid("Показания индивидуальных приборов учёта", receipt.readings))
    house = receipt.house
    if house is not None:
        if house.house_meters:
            grids.append(
                _meters_grid("Показания общедомовых приборов учёта (ОДПУ)", house.house_meters)
            )
        if house.resources:
            grids.append(_resources_grid(house.resources))
    return Section("reference", REFERENCE_TITLE, tuple(grids), (_areas(receipt),))


def _capital_repair_grid(part: CapitalRepairPart) -> Grid:
    return Grid(
        caption="",
        columns=(
            Column("Вид услуги", 0.3, numeric=False, wrap=True),
            Column("Ед. изм.", 0.08, numeric=False),
            Column("Площадь,\nм²", 0.11),
            Column("Тариф, ₽", 0.11),
            Column("Начислено, ₽", 0.14),
            Column("Перерасчёт, ₽", 0.13),
            Column("Итого, ₽", 0.13),
        ),
        rows=tuple(
            (
                line.service,
                line.unit or "—",
                _quantity_or_dash(line.volume),
                _quantity_or_dash(line.tariff),
                format_money(line.charged),
                _money_or_dash(line.recalculation),
                format_money(line.total),
            )
            for line in part.lines
        ),
        footer=(
            "Итого",
            "",
            "",
            "",
            format_money(sum((line.charged for line in part.lines), ZERO)),
            _money_or_dash(sum((line.recalculation for line in part.lines), ZERO)),
            format_money(sum((line.total for line in part.lines), ZERO)),
        ),
    )


def _capital_repair(receipt: Receipt, part: CapitalRepairPart) -> Section:
    """The contribution's own section with its own payee and QR code: the form's section for
    capital repair (Приказ Минстроя России № 43/пр; see docs/payment-document.md); its
    penalty is ЖК РФ ст. 155 ч. 14.1's, kept apart from the rest of the bill's."""
    payee = part.payee
    payment = PaymentBlock(
        title="Платёжные реквизиты для взноса на капитальный ремонт",
        details=tuple(
            (label, value)
            for label, value in (
                (
                    "Получатель",
                    payee.name
                    + (f", ИНН {payee.inn}" if payee.inn else "")
                    + (f", КПП {payee.kpp}" if payee.kpp else ""),
                ),
                ("Фонд", part.fund_kind),
                ("Расчётный счёт", payee.settlement_account),
                ("Банк", payee.bank_name),
                ("БИК", payee.bik),
                ("Корр. счёт", payee.correspondent_account),
                ("Назначение", part.purpose),
            )
            if value
        ),
        summary=(
            ("Задолженность (+) / переплата (−) на начало периода", format_money(part.opening)),
            ("Оплачено в периоде", format_money(part.paid)),
            ("Начислено за период", format_money(part.charged)),
            ("Перерасчёты", format_money(part.recalculation)),
            ("Пени (ЖК РФ ст. 155 ч. 14.1)", format_money(part.penalties)),
            ("Итого к оплате", format_money(part.to_pay)),
        ),
        qr_payload=part.qr_payload,
        to_pay=f"Итого к оплате: {format_rubles(part.to_pay)}",
        pay_by=f"Оплатить до {part.pay_by:%d.%m.%Y}",
    )
    grids = (_capital_repair_grid(part),) if part.lines else ()
    return Section("capital_repair", CAPITAL_REPAIR_TITLE, grids, payment=payment)


def _instalments(receipt: Receipt) -> Section:
    """Section 5 of the form (Приказ Минстроя России № 43/пр, «Расчёт суммы к оплате с учётом
    рассрочки платежа»), for each plan with a month in this one: the spread amount, this
    month's share, the rate and the month's interest, the share with its interest, and what is
    left to pay in later months (Правила № 354 п. 72; docs/payment-document.md)."""
    rows = receipt.instalments
    grid = Grid(
        caption="",
        columns=(
            Column("Услуга, месяц\nначисления", 0.2, numeric=False, wrap=True),
            Column("Сумма\nрассрочки, ₽", 0.12),
            Column("Платёж", 0.08),
            Column("Платёж по\nрассрочке, ₽", 0.12),
            Column("Проценты,\n% годовых", 0.1),
            Column("Проценты\nза месяц, ₽", 0.11),
            Column("Итого к оплате\nс процентами, ₽", 0.14),
            Column("Остаток\nрассрочки, ₽", 0.13),
        ),
        rows=tuple(
            (
                f"{row.service}\nза {month_name(row.charged_month)}",
                format_money(row.amount),
                f"{row.number} из {row.months}",
                format_money(row.share),
                format_number(row.rate),
                format_money(row.interest),
                format_money(row.to_pay),
                format_money(row.remaining),
            )
            for row in rows
        ),
    )
    notes = tuple(
        f"Из платы за {month_name(row.charged_month)} по услуге «{row.service}» "
        f"{format_money(row.deferred)} ₽ вносится в рассрочку на {row.months} мес. (строка "
        "«Рассрочка платы» в расчёте): к оплате в этом месяце — первый платёж."
        for row in rows
        if row.deferred
    )
    return Section("instalments", INSTALMENTS_TITLE, (grid,), notes)


def receipt_sections(receipt: Receipt) -> tuple[Section, ...]:
    """The sections below the payer's and the payment's blocks, in the form's order; a
    section with nothing to show is left out (no empty headings)."""
    sections = [Section("services", SERVICES_TITLE, (services_grid(receipt),))]
    if receipt.recalculations:
        sections.append(
            Section("recalculations", RECALCULATIONS_TITLE, (_recalculations_grid(receipt),))
        )
    if receipt.capital_repair is not None:
        sections.append(_capital_repair(receipt, receipt.capital_repair))
    sections.append(_reference(receipt))
    if receipt.instalments:
        sections.append(_instalments(receipt))
    return tuple(sections)
