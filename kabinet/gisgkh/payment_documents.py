"""``importPaymentDocumentRequest`` (version 11.2.0.16): the payment documents of a closed
period, their charge lines by НСИ service, the debt or advance of previous periods and the
total, ``DOCUMENTS_PER_MESSAGE`` documents a message (the schema's ``maxOccurs``).

Built from plain values, like ``kabinet.gisgkh.messages``: checked in the domain's words first
(an account without its ГИС GUID, a service without its НСИ element), then against the schema.
Not yet sent with them: penalties (``PenaltiesAndCourtCosts``), capital repair
(``CapitalRepairCharge``), meter readings on the document and recalculation details; the
database feed from the receipts' data is the next step (docs/gis-gkh.md)."""

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

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
class ChargeLine:
    service: str  # the service's name, for messages
    nsi: tuple[int, str, str] | None  # (registry, code, GUID) of its НСИ element
    rate: Decimal
    charged: Decimal  # for the period (AccountingPeriodTotal)
    total: Decimal  # to pay for it, recalculations included (TotalPayable)


@dataclass(frozen=True)
class PaymentDocumentData:
    account: str  # «ЛС 154», for messages
    account_guid: str | None
    number: str
    lines: tuple[ChargeLine, ...]
    debt: Decimal  # of previous periods; negative — an advance
    total: Decimal  # to pay by the document


def _money(value: Decimal) -> str:
    return str(value.quantize(KOPECK))


def _rate(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _document_errors(document: PaymentDocumentData) -> list[str]:
    errors = []
    if not document.account_guid:
        errors.append(f"{document.account}: нет идентификатора ЛС в ГИС ЖКХ — загрузите его")
    for line in document.lines:
        if not line.nsi:
            errors.append(f"{document.account}: услуга «{line.service}» не сопоставлена НСИ")
        elif line.nsi[0] not in CHARGE_ELEMENTS:
            errors.append(
                f"{document.account}: услуга «{line.service}» сопоставлена справочнику НСИ "
                f"{line.nsi[0]}, а в платёжном документе — только НСИ 50, 51 и 1"
            )
    return errors


def _document(parent, document: PaymentDocumentData, key: str) -> None:
    element = sub_element(parent, BILLS, "PaymentDocument")
    sub_element(element, ACCOUNT_BASE, "AccountGuid", document.account_guid)
    sub_element(element, BILLS_BASE, "PaymentDocumentNumber", document.number)
    for line in document.lines:
        service = sub_element(
            sub_element(element, BILLS, "ChargeInfo"), BILLS, CHARGE_ELEMENTS[line.nsi[0]]
        )
        kind = sub_element(service, BILLS, "ServiceType")
        sub_element(kind, NSI_BASE, "Code", line.nsi[1])
        sub_element(kind, NSI_BASE, "GUID", line.nsi[2])
        sub_element(service, BILLS, "Rate", _rate(line.rate))
        sub_element(service, BILLS, "TotalPayable", _money(line.total))
        sub_element(service, BILLS, "AccountingPeriodTotal", _money(line.charged))
    sub_element(element, BILLS, "Expose", "true")
    if document.debt > 0:
        sub_element(element, BILLS, "DebtPreviousPeriods", _money(document.debt))
    elif document.debt < 0:
        sub_element(element, BILLS, "AdvanceBllingPeriod", _money(-document.debt))
    sub_element(element, BILLS, "TotalPayableByPD", _money(document.total))
    sub_element(element, BASE, "TransportGUID", str(uuid.uuid4()))
    sub_element(element, BILLS, "PaymentInformationKey", key)


def payment_document_messages(
    org_ppa_guid, month, *, bik: str, account_number: str, documents, now=None
) -> list[Message]:
    """The messages posting ``documents`` of ``month`` payable to the account ``account_number``
    at the bank ``bik``; ``MessageError`` naming every document that cannot go."""
    errors = [error for document in documents for error in _document_errors(document)]
    if errors:
        raise MessageError(errors)
    messages = []
    for batch in batches(list(documents), DOCUMENTS_PER_MESSAGE):
        body = ET.Element(f"{{{BILLS}}}importPaymentDocumentRequest")
        body.set("Id", SIGNED_ID)
        body.set(f"{{{BASE}}}version", PAYMENT_DOCUMENT_VERSION)
        sub_element(body, BASE, "Month", month.month)
        sub_element(body, BASE, "Year", month.year)
        information = sub_element(body, BILLS, "PaymentInformation")
        sub_element(information, PAYMENTS_BASE, "BankBIK", bik)
        sub_element(information, PAYMENTS_BASE, "operatingAccountNumber", account_number)
        key = str(uuid.uuid4())
        sub_element(information, BASE, "TransportGUID", key)
        for document in batch:
            _document(body, document, key)
        messages.append(
            checked_message("importPaymentDocumentData", org_ppa_guid, body, "bills", now)
        )
    return messages
