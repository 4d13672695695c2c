"""The data of a payment document (платёжный документ) of one account for one closed period,
after the form of Приказ Минстроя России от 26.01.2018 № 43/пр, gathered as plain values so
that the HTML page, the PDF and the e-mail show the same figures.

The money summary comes from the ledger (``kabinet.billing.ledger``), so that the receipt
reconciles with it to the kopeck: to pay = debt at the start + charged + recalculations +
penalties − paid in the month. A house that collects capital repair contributions through the
organisation (``CapitalRepairFund``) gets their own section with their payee, money summary and
QR code (``CapitalRepairPart``); the rest of the document is then the rest of the bill."""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property

from django.db.models import Q

from kabinet.billing.calculation import last_day
from kabinet.billing.instalments import InstalmentRow, instalment_rows
from kabinet.billing.law import capital_repair_due_date, due_date
from kabinet.billing.ledger import account_ledger
from kabinet.billing.models import (
    CAPITAL_REPAIR_METHODS,
    PENALTY_METHODS,
    WASTEWATER,
    CalculationMethod,
    CapitalRepairFund,
    Charge,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
)
from kabinet.billing.selectors import common_needs_normatives
from kabinet.formats import month_name
from kabinet.housing.models import House
from kabinet.housing.selectors import premises_areas
from kabinet.metering.models import Reading
from kabinet.money import ZERO, money_sum, to_kopecks
from kabinet.months import add_months
from kabinet.payments.models import Payment
from kabinet.receipts.models import PaymentDocumentId
from kabinet.receipts.qr import PaymentCodeError, payment_payload

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Payee:
    name: str
    inn: str
    kpp: str
    address: str
    phone: str
    email: str
    website: str
    bank_name: str
    bank_short_name: str  # the QR code's BankName (ГОСТ Р 56042-2014: at most 45 characters)
    bik: str
    correspondent_account: str
    settlement_account: str


@dataclass(frozen=True)
class ReceiptLine:
    """A service's row: individual and common-house (ОДН) volumes and charges."""

    service: str
    unit: str
    tariff: Decimal
    volume: Decimal
    common_volume: Decimal
    charged: Decimal  # individual + ОДН
    common_charged: Decimal
    recalculation: Decimal
    total: Decimal
    service_id: int
    supplier: str  # who supplies it when not the organisation itself ("" — the organisation)
    resource: str  # metering.Resource of a metered service, else ""
    method: str
    normative: Decimal | None
    coefficient: Decimal | None  # the increasing coefficient (Правила № 354 п. 42)
    coefficient_charged: Decimal  # of ``charged``: the excess the coefficient adds
    tariff_spans: list[dict] | None  # the parts by tariff where it changed within the month
    # Of ``recalculation``: the month's reductions for poor quality (Правила № 354 раздел IX,
    # recalculations of kind «quality») and the executor's fines (ЖК РФ ст. 157 ч. 6, kind
    # «fine»), each in a column of its own; the rest is ``other_recalculation``.
    quality_reduction: Decimal = ZERO
    executor_fine: Decimal = ZERO

    @property
    def individual_charged(self) -> Decimal:
        return self.charged - self.common_charged

    @property
    def other_recalculation(self) -> Decimal:
        return self.recalculation - self.quality_reduction - self.executor_fine


# Charge columns in the order of ReceiptLine's fields.
LINE_FIELDS = (
    "service__name",
    "service__unit",
    "tariff",
    "volume",
    "common_volume",
    "charged",
    "common_charged",
    "recalculation",
    "total",
    "service_id",
    "service__supplier",
    "service__resource",
    "service__method",
    "service__normative",
    "coefficient",
    "coefficient_charged",
    "tariff_spans",
)


@dataclass(frozen=True)
class RecalculationRow:
    service: str
    corrected_month: datetime.date
    reason: str
    amount: Decimal


@dataclass(frozen=True)
class MeterRow:
    """A meter reading used for the period, with the previous one it is counted from."""

    resource_code: str
    resource: str
    serial_number: str
    previous: Decimal | None
    current: Decimal
    consumption: Decimal | None
    source: str


@dataclass(frozen=True)
class ResourceRow:
    """«Справочная информация» of one utility: the normative the organisation charges by and
    the month's volumes of the whole house — in its premises (the individual volumes of every
    account) and on common-house needs (ОДН), as the billing run stored them, and what the
    house meters (ОДПУ) of the resource counted."""

    service: str
    unit: str
    normative: Decimal | None
    normative_per_area: bool  # per m² of area (heating), else per person
    house_meter_volume: Decimal | None  # None: no house meter read in both months
    premises_volume: Decimal
    common_volume: Decimal
    # the normative of common-house needs per m² of the common property's area, when the house
    # has one for the resource (None: no row, no column)
    common_normative: Decimal | None = None

    @property
    def house_volume(self) -> Decimal:
        """The house's whole volume of the month: its premises' and the common-house one."""
        return self.premises_volume + self.common_volume


@dataclass(frozen=True)
class HouseReference:
    """What the receipt tells about the account's house (Приказ Минстроя России № 43/пр,
    раздел «Справочная информация»)."""

    total_area: Decimal  # the house's residential and non-residential premises
    house_meters: tuple[MeterRow, ...]
    resources: tuple[ResourceRow, ...]
    common_area: Decimal | None = None  # the common property's premises (None: not known)


@dataclass(frozen=True)
class CapitalRepairPart:
    """The capital repair contribution's section (Приказ Минстроя России № 43/пр: the
    contribution is paid to its own payee — the special account's owner or the regional
    operator, ЖК РФ ст. 170 ч. 3): its lines, its penalty (ЖК РФ ст. 155 ч. 14.1), its money
    summary from its own charges and the payments made to its payee, and its QR code."""

    payee: Payee
    fund_kind: str  # «специальный счёт» or «счёт регионального оператора»
    account_number: str
    month: datetime.date
    lines: tuple[ReceiptLine, ...]
    opening: Decimal
    charged: Decimal
    recalculation: Decimal
    penalties: Decimal
    paid: Decimal
    pay_by: datetime.date  # the region's date for the regional operator, else the bill's

    @property
    def closing(self) -> Decimal:
        return self.opening + self.charged + self.recalculation + self.penalties - self.paid

    @property
    def to_pay(self) -> Decimal:
        return max(self.closing, ZERO)

    @property
    def purpose(self) -> str:
        return f"Взнос на капитальный ремонт за {month_name(self.month)}, ЛС {self.account_number}"

    @cached_property
    def qr_payload(self) -> str | None:
        """The second payee's ГОСТ Р 56042-2014 string (``None``: its requisites cannot make
        one, and the section goes without the code)."""
        return _payload(self.payee, self.account_number, self.to_pay, self.purpose, self.month)


def _payload(payee: Payee, account_number, to_pay, purpose, month) -> str | None:
    try:
        return payment_payload(
            Name=payee.name,
            PersonalAcc=payee.settlement_account,
            BankName=payee.bank_short_name,
            BIC=payee.bik,
            CorrespAcc=payee.correspondent_account,
            PayeeINN=payee.inn,
            KPP=payee.kpp,
            PersAcc=account_number,
            Sum=to_kopecks(to_pay) or None,
            Purpose=purpose,
            PaymPeriod=f"{month:%m%Y}",
        )
    except PaymentCodeError as error:
        logger.warning("No payment code for ЛС %s: %s", account_number, error)
        return None


@dataclass(frozen=True)
class Receipt:
    account_number: str
    payer: str
    address: str
    area: Decimal
    residents: int
    payee: Payee
    month: datetime.date
    pay_by: datetime.date  # «Оплатить до»: billing.law.due_date
    lines: tuple[ReceiptLine, ...]
    recalculations: tuple[RecalculationRow, ...]
    readings: tuple[MeterRow, ...]
    opening: Decimal  # debt (+) or overpayment (−) at the start of the month
    charged: Decimal
    recalculation: Decimal
    penalties: Decimal
    paid: Decimal
    closing: Decimal
    house: HouseReference | None = None
    # ГИС ЖКХ's identifiers (Приказ № 43/пр, раздел 1): printed only when the system gave them.
    unified_account: str | None = None  # ЕЛС
    service_id: str | None = None  # идентификатор ЖКУ
    document_id: str | None = None  # ИПД of this account and month
    capital_repair: CapitalRepairPart | None = None  # the house collects contributions
    # Instalment plans with a month in this one (Правила № 354 п. 72; № 43/пр, раздел 5).
    instalments: tuple[InstalmentRow, ...] = ()

    @property
    def accrued(self) -> Decimal:
        return self.charged + self.recalculation + self.penalties

    @property
    def to_pay(self) -> Decimal:
        return max(self.closing, ZERO)

    @property
    def has_common_share(self) -> bool:
        return any(line.common_volume or line.common_charged for line in self.lines)

    @property
    def lines_charged(self) -> Decimal:
        return sum((line.charged for line in self.lines), ZERO)

    @property
    def lines_recalculation(self) -> Decimal:
        return sum((line.recalculation for line in self.lines), ZERO)

    @property
    def lines_total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def purpose(self) -> str:
        return f"Оплата ЖКУ за {month_name(self.month)}, ЛС {self.account_number}"

    @cached_property
    def qr_payload(self) -> str | None:
        """The ГОСТ Р 56042-2014 string of the payment code printed on the receipt; ``None``
        if the payee's requisites cannot make one (the receipt goes without the code)."""
        return _payload(self.payee, self.account_number, self.to_pay, self.purpose, self.month)


def receipt_periods(account) -> list[Period]:
    """The closed months the account has charges for, newest first: what a resident may
    choose on «Начисления» and get a receipt for."""
    return list(
        Period.objects.filter(
            organization=account.organization_id,
            status=PeriodStatus.CLOSED,
            charges__account=account,
        )
        .distinct()
        .order_by("-month")
    )


def receipt_period(account, year: int, month: int) -> Period | None:
    """The closed period of that month if the account has charges in it, else ``None``."""
    if not 1 <= month <= 12 or not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        return None
    return (
        Period.objects.filter(
            organization=account.organization_id,
            status=PeriodStatus.CLOSED,
            month=datetime.date(year, month, 1),
            charges__account=account,
        )
        .distinct()
        .first()
    )


def payee_of(organization) -> Payee:
    return Payee(
        name=organization.name,
        inn=organization.inn,
        kpp=organization.kpp,
        address=organization.address,
        phone=organization.phone,
        email=organization.email,
        website=organization.website,
        bank_name=organization.bank_name,
        bank_short_name=organization.payment_bank_name,
        bik=organization.bik,
        correspondent_account=organization.correspondent_account,
        settlement_account=organization.settlement_account,
    )


def receipt_data(
    account, period: Period, payee: Payee | None = None, shared: dict | None = None
) -> Receipt:
    """Everything the payment document of ``account`` for the closed ``period`` shows.

    ``account`` should come with ``premise__house`` and ``organization`` loaded; a mass run
    passes the organisation's ``payee`` once and a dict in ``shared`` that keeps what the
    period's receipts have in common (each house's figures, the period's ИПД) for the next."""
    if not period.is_closed or period.organization_id != account.organization_id:
        raise ValueError("A receipt is made for a closed period of the account's organisation.")
    month = period.month
    ledger_month = account_ledger(account, month, month).months[0]
    all_lines = tuple(
        ReceiptLine(*row)
        for row in Charge.objects.filter(account=account, period=period)
        .exclude(service__method__in=PENALTY_METHODS)
        .order_by("service__position", "service__name")
        .values_list(*LINE_FIELDS)  # plain values: a mass run makes thousands of these
    )
    repair = _capital_repair_part(account, period, all_lines, shared)
    lines = tuple(line for line in all_lines if line.method != CalculationMethod.CAPITAL_REPAIR)
    if repair is None:
        lines = all_lines
        repair_figures = (ZERO,) * 5
    else:
        repair_figures = (repair.opening, repair.charged, repair.recalculation,
                          repair.penalties, repair.paid)  # fmt: skip
    # Recalculations are summed in their lines: most months have none, and need no query.
    recalculations = (
        list(
            Recalculation.objects.filter(account=account, period=period)
            .select_related("service", "corrected_period")
            .order_by("service__position", "corrected_period__month", "pk")
        )
        if any(line.recalculation for line in lines)
        else []
    )
    lines = _with_reductions(lines, recalculations)
    premise = account.premise
    return Receipt(
        account_number=account.number,
        payer=account.holder_name,
        address=f"{premise.house.address}, {premise.short_label}",
        area=premise.area,
        residents=account.residents,
        payee=payee or payee_of(account.organization),
        month=month,
        pay_by=due_date(account.organization, month),
        lines=lines,
        recalculations=tuple(
            RecalculationRow(
                service=row.service.name,
                corrected_month=row.corrected_period.month,
                reason=row.reason,
                amount=row.amount,
            )
            for row in recalculations
        ),
        readings=_meter_rows(Reading.objects.filter(meter__account=account), month),
        house=_house_reference(premise.house_id, period, lines, shared),
        # the ledger's month less the capital repair section's: the rest of the bill
        opening=ledger_month.opening - repair_figures[0],
        charged=ledger_month.charged - repair_figures[1],
        recalculation=ledger_month.recalculation - repair_figures[2],
        penalties=ledger_month.penalties - repair_figures[3],
        paid=ledger_month.paid - repair_figures[4],
        closing=ledger_month.closing - (repair.closing if repair else ZERO),
        unified_account=account.unified_account,
        service_id=account.gis_service_id,
        document_id=_document_id(account, period, shared),
        capital_repair=repair,
        instalments=instalment_rows(account, month, shared),
    )


def _with_reductions(lines, recalculations) -> tuple[ReceiptLine, ...]:
    """The lines with their month's reductions for poor quality and executor's fines (the
    recalculations of those kinds charged in the month), which the form shows apart."""
    parts = defaultdict(lambda: [ZERO, ZERO])
    for row in recalculations:
        if row.kind == RecalculationKind.QUALITY:
            parts[row.service_id][0] += row.amount
        elif row.kind == RecalculationKind.FINE:
            parts[row.service_id][1] += row.amount
    if not parts:
        return lines
    return tuple(
        replace(line, quality_reduction=parts[line.service_id][0],
                executor_fine=parts[line.service_id][1])
        if line.service_id in parts
        else line
        for line in lines
    )  # fmt: skip


def _fund(house_id, shared: dict | None) -> CapitalRepairFund | None:
    key = ("capital_repair_fund", house_id)
    if shared is not None and key in shared:
        return shared[key]
    fund = CapitalRepairFund.objects.filter(house=house_id).first()
    if shared is not None:
        shared[key] = fund
    return fund


def payee_of_fund(fund: CapitalRepairFund, organization) -> Payee:
    """The capital repair payee; the address and contacts are the organisation's (it issues
    the document and answers about it)."""
    return Payee(
        name=fund.payee_name,
        inn=fund.inn,
        kpp=fund.kpp,
        address=organization.address,
        phone=organization.phone,
        email=organization.email,
        website=organization.website,
        bank_name=fund.bank_name,
        bank_short_name=fund.payment_bank_name,
        bik=fund.bik,
        correspondent_account=fund.correspondent_account,
        settlement_account=fund.settlement_account,
    )


def _capital_repair_part(account, period, lines, shared) -> CapitalRepairPart | None:
    """The section of a house that collects contributions, for an account charged any up to
    this month (an owner's account; a municipal flat's contribution is the municipality's)."""
    fund = _fund(account.premise.house_id, shared)
    if fund is None:
        return None
    month = period.month
    charges = Charge.objects.published().filter(
        account=account,
        service__method__in=CAPITAL_REPAIR_METHODS,
        period__organization=period.organization_id,
    )
    if not charges.filter(period__month__lte=month).exists():
        return None
    payments = Payment.objects.filter(account=account, capital_repair=True)
    next_month = add_months(month, 1)
    this_month = charges.filter(period=period)
    is_penalty = Q(service__method=CalculationMethod.CAPITAL_REPAIR_PENALTY)
    return CapitalRepairPart(
        payee=payee_of_fund(fund, account.organization),
        fund_kind=fund.get_kind_display(),
        account_number=account.number,
        month=month,
        lines=tuple(line for line in lines if line.method == CalculationMethod.CAPITAL_REPAIR),
        opening=money_sum(charges.filter(period__month__lt=month), "total")
        - money_sum(payments.filter(paid_on__lt=month), "amount"),
        charged=money_sum(this_month.exclude(is_penalty), "charged"),
        recalculation=money_sum(this_month, "recalculation"),
        penalties=money_sum(this_month.filter(is_penalty), "charged"),
        paid=money_sum(payments.filter(paid_on__gte=month, paid_on__lt=next_month), "amount"),
        pay_by=capital_repair_due_date(account.organization, fund, month),
    )


def _document_id(account, period, shared: dict | None) -> str | None:
    if shared is None:
        documents = PaymentDocumentId.objects.filter(account=account, period=period)
        return documents.values_list("value", flat=True).first()
    key = ("documents", period.pk)
    if key not in shared:
        documents = PaymentDocumentId.objects.filter(period=period)
        shared[key] = dict(documents.values_list("account", "value"))
    return shared[key].get(account.pk)


def _house_reference(house_id, period, lines, shared: dict | None) -> HouseReference:
    key = ("house", house_id, period.pk, frozenset(line.service_id for line in lines))
    if shared is not None and key in shared:
        return shared[key]
    utilities = [
        line
        for line in lines
        if line.resource
        or line.normative is not None
        or line.method == CalculationMethod.WASTEWATER
    ]
    volumes = defaultdict(lambda: [ZERO, ZERO])
    # Summed here, not by the database: SQLite sums decimals as floats.
    for service, volume, common in Charge.objects.filter(
        period=period,
        account__premise__house=house_id,
        service__in=[u.service_id for u in utilities],
    ).values_list("service", "volume", "common_volume"):
        volumes[service][0] += volume
        volumes[service][1] += common
    house_meters = _meter_rows(
        Reading.objects.filter(
            meter__house=house_id, meter__resource__in={u.resource for u in utilities if u.resource}
        ),
        period.month,
    )
    metered = defaultdict(lambda: None)
    for row in house_meters:
        if row.consumption is not None:
            metered[row.resource_code] = (metered[row.resource_code] or ZERO) + row.consumption
    normatives = common_needs_normatives(period.organization, period.month, last_day(period.month))
    reference = HouseReference(
        # The house's area of residential and non-residential premises (Правила № 354 п. 44):
        # its own figures, else the sum of its premises' areas — as the run shares ОДН by.
        total_area=premises_areas([house_id]).get(house_id, ZERO),
        common_area=House.objects.filter(pk=house_id)
        .values_list("common_property_area", flat=True)
        .first(),
        house_meters=house_meters,
        resources=tuple(
            ResourceRow(
                service=line.service,
                unit=line.unit,
                normative=line.normative,
                normative_per_area=line.method == CalculationMethod.AREA_NORMATIVE,
                house_meter_volume=metered[line.resource] if line.resource else None,
                premises_volume=volumes[line.service_id][0],
                common_volume=volumes[line.service_id][1],
                common_normative=_common_normative(normatives, house_id, line),
            )
            for line in utilities
        ),
    )
    if shared is not None:
        shared[key] = reference
    return reference


def _common_normative(normatives, house_id, line) -> Decimal | None:
    """The normative for common needs the line's resource was capped by: the house's own row,
    else the organisation's (``billing.selectors.common_needs_normatives``)."""
    resource = WASTEWATER if line.method == CalculationMethod.WASTEWATER else line.resource
    if not resource or not line.common_volume:
        return None
    return normatives.get((house_id, resource), normatives.get((None, resource)))


def _meter_rows(readings, month) -> tuple[MeterRow, ...]:
    """The meters' readings of ``month`` with the previous month's they are counted from."""
    previous_month = add_months(month, -1)
    readings = (
        readings.filter(period__in=[previous_month, month])
        .select_related("meter")
        .order_by("meter__resource", "meter__serial_number", "period")
    )
    previous, rows = {}, []
    for reading in readings:
        if reading.period == previous_month:
            previous[reading.meter_id] = reading.value
            continue
        meter, before = reading.meter, previous.get(reading.meter_id)
        used = None if before is None else reading.value - before
        if used is not None and used < 0:  # the meter rolled over past 99…9
            used += 10**meter.digits
        rows.append(
            MeterRow(
                resource_code=meter.resource,
                resource=meter.get_resource_display(),
                serial_number=meter.serial_number,
                previous=before,
                current=reading.value,
                consumption=used,
                source=reading.get_source_display(),
            )
        )
    return tuple(rows)
