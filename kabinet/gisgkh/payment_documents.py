"""``importPaymentDocumentRequest`` (version 11.2.0.16): the payment documents of a closed
period as the residents' receipts show them, ``DOCUMENTS_PER_MESSAGE`` a message (the
schema's ``maxOccurs``).

A document carries its charge lines by НСИ service (with their recalculations and reasons,
the executor's fines, the increasing coefficient, the volumes, the meter's current reading and
the instalment plan where the schema has a place), the readings of its meters, the penalties
(``PenaltiesAndCourtCosts``: ЖК РФ ст. 155 ч. 14 and, for the capital repair contribution,
ч. 14.1), the capital repair contribution (``CapitalRepairCharge``) — payable to the fund's own
bank account where the house has one, so the document then details each payee
(``DetailsPaymentInformation``) — the debt or advance and the totals. docs/gis-gkh.md maps
each element to the receipt's figure.

Built from plain values (``payment_document_data`` feeds them from the receipts), like
``kabinet.gisgkh.messages``: checked in the domain's words first — an account without its ГИС
GUID, a service without its НСИ element, a sum that is not a number with a point, a negative
where the schema forbids one, a total that does not reconcile — each error naming the account,
then against the schema."""

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

from kabinet.gisgkh.document_checks import document_errors, document_totals
from kabinet.gisgkh.messages import (
    ACCOUNT_BASE,
    BASE,
    SIGNED_ID,
    Message,
    batches,
    checked_message,
    sub_element,
)
from kabinet.gisgkh.schemas import MessageError
from kabinet.money import ZERO

BILLS = "http://dom.gosuslugi.ru/schema/integration/bills/"
BILLS_BASE = "http://dom.gosuslugi.ru/schema/integration/bills-base/"
PAYMENTS_BASE = "http://dom.gosuslugi.ru/schema/integration/payments-base/"
NSI_BASE = "http://dom.gosuslugi.ru/schema/integration/nsi-base/"
for _prefix, _uri in {"bl": BILLS, "bb": BILLS_BASE, "pb": PAYMENTS_BASE}.items():
    ET.register_namespace(_prefix, _uri)

PAYMENT_DOCUMENT_VERSION = "11.2.0.16"
DOCUMENTS_PER_MESSAGE = 500  # PaymentDocument maxOccurs
# The НСИ registry of a service tells which ChargeInfo element carries it.
CHARGE_ELEMENTS = {50: "HousingService", 51: "MunicipalService", 1: "AdditionalService"}
KOPECK = Decimal("0.01")


@dataclass(frozen=True)
class Instalment:
    """``PiecemealPayment`` of a utility (Приказ № 43/пр, раздел 5): this month's shares of
    the plans spreading its charge, with the interest."""

    this_period: Decimal  # shares of the document's own month's charge
    earlier_periods: Decimal  # shares of earlier months' charges
    interest: Decimal  # piecemealPaymentPercentRub
    rate: Decimal  # % a year, piecemealPaymentPercent

    @property
    def to_pay(self) -> Decimal:
        return self.this_period + self.earlier_periods + self.interest


@dataclass(frozen=True)
class HouseFigures:
    """A utility's «Справочная информация» of the house (Приказ № 43/пр, раздел 4)."""

    meter_reading: Decimal | None  # the house meter's current reading
    premises_volume: Decimal  # the volume of all its premises
    common_volume: Decimal  # the volume on common-house needs
    common_normative: Decimal | None  # the normative of common-house needs


@dataclass(frozen=True)
class ChargeLine:
    service: str  # the service's name, for messages
    nsi: tuple[int, str, str] | None  # (registry, code, GUID) of its НСИ element
    rate: Decimal
    charged: Decimal  # for the period, before recalculations (AccountingPeriodTotal)
    total: Decimal  # to pay for it (TotalPayable) = charged + recalculation − executor_fine
    recalculation: Decimal = ZERO  # MoneyRecalculation: recalculations, reductions for quality
    executor_fine: Decimal = ZERO  # ServiceProviderPenalties: what the fine takes off (≥ 0)
    recalculation_reason: str = ""  # PaymentRecalculation (with recalculation − fine as sum)
    volume: Decimal | None = None  # the individual volume of a utility (Consumption type I)
    common_volume: Decimal | None = None  # its common-house volume (type O)
    coefficient: Decimal | None = None  # MultiplyingFactor/Ratio (Правила № 354 п. 42)
    coefficient_charged: Decimal = ZERO  # MultiplyingFactor/AmountOfExcessFees
    current_reading: Decimal | None = None  # individualConsumptionCurrentValue
    normative: Decimal | None = None  # individualConsumptionNorm
    instalment: Instalment | None = None
    house: HouseFigures | None = None


@dataclass(frozen=True)
class MeterReading:
    """``IndividualMDReadings`` (Приказ № 43/пр, раздел 2): a meter of the account."""

    device: str  # «ХВС № 123»
    previous: Decimal | None  # the previous month's reading (MDPreviousPeriodReadings)
    unit: str  # ОКЕИ code (MDUnit)
    services: tuple[int, ...]  # MDServiceCode: 1 ХВС, 2 ГВС, 3 водоотведение, 4, 5, 6


@dataclass(frozen=True)
class PenaltyCharge:
    """A ``PenaltiesAndCourtCosts``: the month's penalties of one kind."""

    nsi: tuple[int, str, str] | None  # its element of НСИ 329
    cause: str
    amount: Decimal
    capital_repair: bool = False  # ч. 14.1: payable to the capital repair payee


@dataclass(frozen=True)
class CapitalRepair:
    """``CapitalRepairCharge``; ``own_payee``: payable to the fund's ``bik`` and
    ``bank_account`` (else to the document's payee, with the other lines)."""

    rate: Decimal  # Contribution, ₽ per m²
    charged: Decimal
    recalculation: Decimal
    debt: Decimal  # of previous periods (negative — an advance); 0 with no payee of its own
    recalculation_reason: str = ""
    bik: str = ""
    bank_account: str = ""
    account_number: str = ""  # the payer's number with that payee
    own_payee: bool = False

    @property
    def total(self) -> Decimal:
        return self.charged + self.recalculation


@dataclass(frozen=True)
class PaymentDocumentData:
    account: str  # «ЛС 154», for messages
    account_guid: str | None
    number: str
    lines: tuple[ChargeLine, ...]
    debt: Decimal  # of previous periods (negative — an advance), the capital repair's apart
    total: Decimal  # to pay with the debts, as the receipt says: checked against the parts
    account_number: str = ""
    readings: tuple[MeterReading, ...] = ()
    penalties: tuple[PenaltyCharge, ...] = ()
    capital_repair: CapitalRepair | None = None


def money(value) -> str:
    return str(Decimal(value).quantize(KOPECK))


def number(value) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _nsi(parent, name: str, nsi) -> None:
    kind = sub_element(parent, BILLS, name)
    sub_element(kind, NSI_BASE, "Code", nsi[1])
    sub_element(kind, NSI_BASE, "GUID", nsi[2])


def _optional(parent, name: str, value) -> None:
    """A sum the schema lets out, written when it is not zero."""
    if value:
        sub_element(parent, BILLS, name, money(value))


def _recalculation(parent, reason: str, amount: Decimal) -> None:
    if reason and amount:
        element = sub_element(parent, BILLS, "PaymentRecalculation")
        sub_element(element, BILLS, "recalculationReason", reason[:500])
        sub_element(element, BILLS, "sum", money(amount))


def _charge(parent, line: ChargeLine, key: str | None) -> None:
    kind = CHARGE_ELEMENTS[line.nsi[0]]
    service = sub_element(sub_element(parent, BILLS, "ChargeInfo"), BILLS, kind)
    _nsi(service, "ServiceType", line.nsi)
    sub_element(service, BILLS, "Rate", number(line.rate))
    sub_element(service, BILLS, "TotalPayable", money(line.total))
    sub_element(service, BILLS, "AccountingPeriodTotal", money(line.charged))
    if key:
        sub_element(service, BILLS, "PaymentInformationKey", key)
    _optional(service, "ServiceProviderPenalties", line.executor_fine)
    if line.recalculation:
        charge = sub_element(service, BILLS, "ServiceCharge")
        sub_element(charge, BILLS, "MoneyRecalculation", money(line.recalculation))
    if kind == "MunicipalService" and line.instalment:
        _instalment(service, line.instalment)
    if kind == "AdditionalService" and line.volume:
        consumption = sub_element(service, BILLS, "Consumption")
        sub_element(consumption, BILLS, "Volume", number(line.volume)).set("type", "I")
    _recalculation(service, line.recalculation_reason, line.recalculation - line.executor_fine)
    if kind == "MunicipalService":
        _utility(service, line)


def _instalment(parent, plan: Instalment) -> None:
    element = sub_element(parent, BILLS, "PiecemealPayment")
    _optional(element, "paymentPeriodPiecemealPaymentSum", plan.this_period)
    _optional(element, "pastPaymentPeriodPiecemealPaymentSum", plan.earlier_periods)
    sub_element(element, BILLS, "piecemealPaymentPercentRub", money(plan.interest))
    sub_element(element, BILLS, "piecemealPaymentPercent", money(plan.rate))
    sub_element(element, BILLS, "piecemealPaymentSum", money(plan.to_pay))


def _utility(service, line: ChargeLine) -> None:
    """A utility's reference figures, volumes and coefficient (MunicipalService)."""
    house = line.house
    figures = [  # in the schema's order
        ("individualConsumptionCurrentValue", line.current_reading),
        ("houseOverallNeedsCurrentValue", house and house.meter_reading),
        ("houseTotalIndividualConsumption", house and house.premises_volume),
        ("houseTotalHouseOverallNeeds", house and house.common_volume),
        ("houseOverallNeedsNorm", house and house.common_normative),
        ("individualConsumptionNorm", line.normative),
    ]
    if any(value is not None for _, value in figures):
        information = sub_element(service, BILLS, "ServiceInformation")
        for name, value in figures:
            if value is not None:
                sub_element(information, BILLS, name, number(value))
    volumes = [(kind, value) for kind, value in (("I", line.volume), ("O", line.common_volume))
               if value]  # fmt: skip
    if volumes:
        consumption = sub_element(service, BILLS, "Consumption")
        for kind, value in volumes:
            sub_element(consumption, BILLS, "Volume", number(value)).set("type", kind)
    if line.coefficient:
        factor = sub_element(service, BILLS, "MultiplyingFactor")
        sub_element(factor, BILLS, "Ratio", money(line.coefficient))
        _optional(factor, "AmountOfExcessFees", line.coefficient_charged)


def _capital_repair(parent, repair: CapitalRepair, key: str | None) -> None:
    element = sub_element(parent, BILLS, "CapitalRepairCharge")
    sub_element(element, BILLS, "Contribution", money(repair.rate))
    sub_element(element, BILLS, "AccountingPeriodTotal", money(repair.charged))
    _optional(element, "MoneyRecalculation", repair.recalculation)
    sub_element(element, BILLS, "TotalPayable", money(repair.total))
    _optional(element, "DebtPreviousPeriodsOrAdvanceBillingPeriod", repair.debt)
    _recalculation(element, repair.recalculation_reason, repair.recalculation)
    if key:
        sub_element(element, BILLS, "PaymentInformationKey", key)


def _reading(parent, reading: MeterReading) -> None:
    element = sub_element(parent, BILLS, "IndividualMDReadings")
    sub_element(element, BILLS, "MeteringDevice", reading.device[:100])
    if reading.previous is not None:
        sub_element(element, BILLS, "MDPreviousPeriodReadings", number(reading.previous))
        sub_element(element, BILLS, "MDUnit", reading.unit)
    for code in reading.services:
        sub_element(element, BILLS, "MDServiceCode", code)


def _details(parent, key: str, total, account_number: str, debt) -> None:
    details = sub_element(parent, BILLS, "DetailsPaymentInformation")
    sub_element(details, BILLS, "PaymentInformationKey", key)
    sub_element(details, BILLS, "TotalPayableByPaymentInformation", money(total))
    if account_number:
        sub_element(details, BILLS, "AccountNumber", account_number[:30])
    sub_element(details, BILLS, "DebtPreviousPeriodsOrAdvanceBillingPeriod", money(debt))
    sub_element(details, BILLS, "TotalPayableWithDebtAndAdvance", money(total + debt))


def _document(parent, document: PaymentDocumentData, keys: dict, main: tuple) -> None:
    repair = document.capital_repair
    own = repair is not None and repair.own_payee and (repair.bik, repair.bank_account) != main
    key, repair_key = keys[main], keys[(repair.bik, repair.bank_account)] if own else None
    line_key = key if own else None  # each part names its payee when there are two
    element = sub_element(parent, BILLS, "PaymentDocument")
    sub_element(element, ACCOUNT_BASE, "AccountGuid", document.account_guid)
    sub_element(element, BILLS_BASE, "PaymentDocumentNumber", document.number)
    for reading in document.readings:
        _reading(element, reading)
    for line in document.lines:
        _charge(element, line, line_key)
    if repair is not None:
        _capital_repair(element, repair, repair_key)
    for penalty in document.penalties:
        item = sub_element(element, BILLS, "PenaltiesAndCourtCosts")
        _nsi(item, "ServiceType", penalty.nsi)
        sub_element(item, BILLS, "Cause", penalty.cause[:1000])
        sub_element(item, BILLS, "TotalPayable", money(penalty.amount))
        if own:
            sub_element(item, BILLS, "PaymentInformationKey",
                        repair_key if penalty.capital_repair else key)  # fmt: skip
    totals = document_totals(document)
    sub_element(element, BILLS, "Expose", "true")
    sub_element(element, BILLS, "TotalPayableByChargeInfo", money(totals.charges))
    debt = totals.debt
    if debt > 0:
        sub_element(element, BILLS, "DebtPreviousPeriods", money(debt))
    elif debt < 0:
        sub_element(element, BILLS, "AdvanceBllingPeriod", money(-debt))
    instalments = [line.instalment.to_pay for line in document.lines
                   if line.instalment and line.nsi[0] == 51]  # fmt: skip
    if instalments:
        sub_element(element, BILLS, "totalPiecemealPaymentSum", money(sum(instalments, ZERO)))
    sub_element(element, BILLS, "TotalPayableByPDWithDebtAndAdvance", money(totals.with_debt))
    if document.penalties:
        sub_element(element, BILLS, "TotalByPenaltiesAndCourtCosts", money(totals.penalties))
    sub_element(element, BILLS, "TotalPayableByPD", money(totals.period))
    sub_element(element, BASE, "TransportGUID", str(uuid.uuid4()))
    if not own:
        sub_element(element, BILLS, "PaymentInformationKey", key)
        return
    main_part, repair_part = totals.by_payee
    _details(element, key, main_part, document.account_number, document.debt)
    _details(element, repair_key, repair_part, repair.account_number or document.account_number,
             repair.debt)  # fmt: skip


def _payees(documents, main: tuple) -> list[tuple[str, str]]:
    payees = [main]
    for document in documents:
        repair = document.capital_repair
        payee = (repair.bik, repair.bank_account) if repair and repair.own_payee else main
        if payee not in payees:
            payees.append(payee)
    return payees


def payment_document_messages(
    org_ppa_guid, month, *, bik: str, account_number: str, documents, now=None
) -> list[Message]:
    """The messages posting ``documents`` of ``month`` payable to the account ``account_number``
    at the bank ``bik`` (and the capital repair contributions to their payees' accounts);
    ``MessageError`` naming every document that cannot go and why."""
    errors = [error for document in documents for error in document_errors(document)]
    if errors:
        raise MessageError(errors)
    main = (bik, account_number)
    messages = []
    for batch in batches(list(documents), DOCUMENTS_PER_MESSAGE):
        body = ET.Element(f"{{{BILLS}}}importPaymentDocumentRequest")
        body.set("Id", SIGNED_ID)
        body.set(f"{{{BASE}}}version", PAYMENT_DOCUMENT_VERSION)
        # The figures are the issued documents': ГИС ЖКХ keeps them as the residents got them
        # rather than recomputing them (the element's documentation); document_checks has
        # checked that they add up.
        sub_element(body, BILLS, "ConfirmAmountsCorrect", "true")
        sub_element(body, BASE, "Month", month.month)
        sub_element(body, BASE, "Year", month.year)
        keys = {}
        for payee in _payees(batch, main):
            information = sub_element(body, BILLS, "PaymentInformation")
            sub_element(information, PAYMENTS_BASE, "BankBIK", payee[0])
            sub_element(information, PAYMENTS_BASE, "operatingAccountNumber", payee[1])
            keys[payee] = str(uuid.uuid4())
            sub_element(information, BASE, "TransportGUID", keys[payee])
        for document in batch:
            _document(body, document, keys, main)
        messages.append(
            checked_message("importPaymentDocumentData", org_ppa_guid, body, "bills", now)
        )
    return messages
