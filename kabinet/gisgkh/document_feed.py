"""The payment documents of a closed period as ``payment_documents`` posts them, fed from what
the residents got: each account's issued document (``receipts.IssuedDocument``, its newest
version's data) or, for an account whose document is not issued yet, the data the issue
would draw (``receipts.selectors.receipt_data(frozen=True)``: the money as the closing stored
it). So the document in ГИС ЖКХ and the resident's receipt show the same figures, and the
number is the issued document's. docs/gis-gkh.md maps each element to the receipt's figure."""

import datetime
from collections import defaultdict
from dataclasses import replace

from kabinet.billing.models import CalculationMethod, Period, PeriodStatus
from kabinet.formats import format_money, month_name
from kabinet.gisgkh.models import ServiceNsiItem
from kabinet.gisgkh.payment_documents import (
    CapitalRepair,
    ChargeLine,
    HouseFigures,
    Instalment,
    MeterReading,
    PaymentDocumentData,
    PenaltyCharge,
)
from kabinet.gisgkh.schemas import MessageError
from kabinet.housing.models import PersonalAccount
from kabinet.metering.models import Resource
from kabinet.money import ZERO, round_money
from kabinet.receipts.issuing import document_number
from kabinet.receipts.models import IssuedDocument
from kabinet.receipts.payees import payee_of
from kabinet.receipts.selectors import Receipt, receipt_data
from kabinet.receipts.snapshot import receipt_from_json

PENALTY_CAUSE = (
    "Пени за несвоевременное и (или) неполное внесение платы за жилое помещение и "
    "коммунальные услуги (ЖК РФ ст. 155 ч. 14)"
)
CAPITAL_REPAIR_PENALTY_CAUSE = (
    "Пени за несвоевременную и (или) неполную уплату взносов на капитальный ремонт "
    "(ЖК РФ ст. 155 ч. 14.1)"
)
# A meter's resource: the ОКЕИ code of its unit (MDUnit) and the utilities it is the
# consumption of (MDServiceCode: 1 ХВС, 2 ГВС, 3 водоотведение, 4 электро-, 5 газоснабжение,
# 6 отопление); a water meter counts the wastewater too when the account is charged for it.
METER_UNITS = {
    Resource.COLD_WATER: ("113", (1,)),
    Resource.HOT_WATER: ("113", (2,)),
    Resource.ELECTRICITY: ("245", (4,)),
    Resource.GAS: ("113", (5,)),
    Resource.HEAT: ("233", (6,)),
}
WATER = (Resource.COLD_WATER, Resource.HOT_WATER)
WASTEWATER_CODE = 3
# Lines whose volume is the utility's consumption (the others' is an area or nothing).
VOLUME_METHODS = {
    CalculationMethod.METER,
    CalculationMethod.NORMATIVE,
    CalculationMethod.WASTEWATER,
    CalculationMethod.AREA_NORMATIVE,
}


def _reasons(receipt: Receipt, services: set[str]) -> str:
    """PaymentRecalculation's «основания»: the month's recalculations of ``services``."""
    return "; ".join(
        f"{row.service}, {month_name(row.corrected_month)}: {row.reason or 'перерасчёт'} "
        f"({format_money(row.amount)} ₽)"
        for row in receipt.recalculations
        if row.service in services
    )


def _instalment(receipt: Receipt, service: str) -> Instalment | None:
    rows = [row for row in receipt.instalments if row.service == service]
    if not rows:
        return None
    return Instalment(
        this_period=sum((r.share for r in rows if r.charged_month == receipt.month), ZERO),
        earlier_periods=sum((r.share for r in rows if r.charged_month < receipt.month), ZERO),
        interest=sum((row.interest for row in rows), ZERO),
        rate=max(row.rate for row in rows),
    )


def _line(receipt: Receipt, line, nsi) -> ChargeLine:
    meters = [row for row in receipt.readings if row.resource_code == line.resource]
    return ChargeLine(
        service=line.service,
        nsi=nsi.get(line.service_id),
        rate=line.tariff,
        charged=line.charged,
        total=line.total,
        recalculation=line.recalculation - line.executor_fine,
        executor_fine=-line.executor_fine,
        recalculation_reason=_reasons(receipt, {line.service}),
        volume=line.volume if line.method in VOLUME_METHODS and line.volume else None,
        common_volume=line.common_volume or None,
        # Ratio has 2 places; a month's coefficient weighted by days has 4 (2,7581 in the
        # demo's December 2025): rounded, the excess in roubles stays exact.
        coefficient=round_money(line.coefficient) if line.coefficient else None,
        coefficient_charged=line.coefficient_charged,
        current_reading=meters[0].current if len(meters) == 1 else None,
        normative=line.normative,
        instalment=_instalment(receipt, line.service),
        house=_house(receipt, line),
    )


def _house(receipt: Receipt, line) -> HouseFigures | None:
    """The house's figures of the line's utility («Справочная информация»)."""
    if receipt.house is None:
        return None
    rows = [row for row in receipt.house.resources if row.service == line.service]
    if not rows:
        return None
    meters = [row for row in receipt.house.house_meters if row.resource_code == line.resource]
    return HouseFigures(
        meter_reading=meters[0].current if len(meters) == 1 else None,
        premises_volume=rows[0].premises_volume,
        common_volume=rows[0].common_volume,
        common_normative=rows[0].common_normative,
    )


def _readings(receipt: Receipt) -> tuple[MeterReading, ...]:
    wastewater = any(line.method == CalculationMethod.WASTEWATER for line in receipt.lines)
    readings = []
    for row in receipt.readings:
        unit, services = METER_UNITS[row.resource_code]
        if wastewater and row.resource_code in WATER:
            services = (*services, WASTEWATER_CODE)
        readings.append(
            MeterReading(f"{row.resource}, № {row.serial_number}", row.previous, unit, services)
        )
    return tuple(readings)


def _capital_repair(receipt: Receipt) -> CapitalRepair | None:
    """The contribution's section with its own payee, or (a house without a fund of the
    organisation's) its lines among the others, payable to the document's payee."""
    repair = receipt.capital_repair
    if repair is not None:
        return CapitalRepair(
            rate=repair.lines[0].tariff if repair.lines else ZERO,
            charged=repair.charged,
            recalculation=repair.recalculation,
            debt=repair.opening - repair.paid,
            recalculation_reason=_reasons(receipt, {line.service for line in repair.lines}),
            bik=repair.payee.bik,
            bank_account=repair.payee.settlement_account,
            account_number=repair.account_number,
            own_payee=True,
        )
    lines = [line for line in receipt.lines if line.method == CalculationMethod.CAPITAL_REPAIR]
    if not lines:
        return None
    return CapitalRepair(
        rate=lines[0].tariff,
        charged=sum((line.charged for line in lines), ZERO),
        recalculation=sum((line.recalculation for line in lines), ZERO),
        debt=ZERO,
        recalculation_reason=_reasons(receipt, {line.service for line in lines}),
    )


def document_from_receipt(receipt: Receipt, *, account_guid, nsi: dict, penalty_nsi: dict):
    """The ``PaymentDocumentData`` of ``receipt``: ``nsi`` — the НСИ element of each service
    (by id), ``penalty_nsi`` — of the penalties (by calculation method)."""
    lines = tuple(
        _line(receipt, line, nsi)
        for line in receipt.lines
        if line.method != CalculationMethod.CAPITAL_REPAIR
    )
    penalties = []
    if receipt.penalties:
        penalties.append(PenaltyCharge(penalty_nsi.get(CalculationMethod.PENALTY),
                                       PENALTY_CAUSE, receipt.penalties))  # fmt: skip
    repair = receipt.capital_repair
    if repair is not None and repair.penalties:
        penalties.append(
            PenaltyCharge(penalty_nsi.get(CalculationMethod.CAPITAL_REPAIR_PENALTY),
                          CAPITAL_REPAIR_PENALTY_CAUSE, repair.penalties, capital_repair=True)
        )  # fmt: skip
    return PaymentDocumentData(
        account=f"ЛС {receipt.account_number}",
        account_guid=account_guid,
        number=receipt.number,
        lines=lines,
        debt=receipt.opening - receipt.paid,
        total=receipt.closing + (repair.closing if repair is not None else ZERO),
        account_number=receipt.account_number,
        readings=_readings(receipt),
        penalties=tuple(penalties),
        capital_repair=_capital_repair(receipt),
    )


def _penalty_elements(organization) -> tuple[dict, list[str]]:
    """The НСИ 329 element of each kind of penalty; errors when services of one kind name
    different elements."""
    found = defaultdict(set)
    for item in ServiceNsiItem.objects.filter(
        service__organization=organization,
        service__method__in=(CalculationMethod.PENALTY, CalculationMethod.CAPITAL_REPAIR_PENALTY),
    ).select_related("service"):
        found[item.service.method].add((item.registry, item.code, str(item.guid)))
    errors = [
        f"Услуги «{CalculationMethod(method).label}» сопоставлены разным элементам НСИ: "
        "оставьте один."
        for method, elements in found.items()
        if len(elements) > 1
    ]
    return {method: next(iter(elements)) for method, elements in found.items()}, errors


def payment_document_data(organization, month: datetime.date) -> tuple[object, list]:
    """The payee and the payment documents of the closed ``month`` of ``organization``, one
    per account charged in it; ``MessageError`` when the month is not a closed period."""
    period = Period.objects.filter(
        organization=organization, month=month, status=PeriodStatus.CLOSED
    ).first()
    if period is None:
        raise MessageError(
            [f"Период {month:%m.%Y} не закрыт: платёжные документы отправляют за закрытый."]
        )
    penalty_nsi, errors = _penalty_elements(organization)
    if errors:
        raise MessageError(errors)
    payee = payee_of(organization)
    nsi = {
        item.service_id: (item.registry, item.code, str(item.guid))
        for item in ServiceNsiItem.objects.filter(service__organization=organization)
    }
    issued = {}  # the newest version of each account's issued document
    for account_id, data in (
        IssuedDocument.objects.filter(period=period)
        .order_by("account_id", "version")
        .values_list("account_id", "data")
    ):
        issued[account_id] = data
    accounts = (
        PersonalAccount.objects.filter(organization=organization, charges__period=period)
        .distinct()
        .select_related("premise__house", "organization", "gis")
        .order_by("number")
    )
    shared: dict = {}
    documents = []
    for account in accounts:
        if account.pk in issued:
            receipt = receipt_from_json(issued[account.pk])
        else:
            receipt = receipt_data(account, period, payee, shared, frozen=True)
            receipt = replace(receipt, number=document_number(account, period))
        gis = getattr(account, "gis", None)
        documents.append(
            document_from_receipt(
                receipt,
                account_guid=str(gis.account_guid) if gis else None,
                nsi=nsi,
                penalty_nsi=penalty_nsi,
            )
        )
    return payee, documents
