"""Who the payment document asks to be paid (Приказ Минстроя России от 26.01.2018 № 43/пр,
«платёжные реквизиты»): the organisation, or the capital repair fund's own payee, with the
ГОСТ Р 56042-2014 string of each one's QR code."""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from kabinet.money import to_kopecks
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


def payee_of_fund(fund, organization) -> Payee:
    """The capital repair payee (a ``CapitalRepairFund``); the address and contacts are the
    organisation's (it issues the document and answers about it)."""
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


def payment_code(
    payee: Payee,
    account_number: str,
    to_pay: Decimal,
    purpose: str,
    month: datetime.date,
    document_id: str | None = None,
) -> str | None:
    """The ГОСТ Р 56042-2014 string of a payee's QR code; ``None`` if its requisites cannot
    make one (the document goes without the code).

    ``document_id``, the ИПД ГИС ЖКХ gave this document, goes in ``DocIdx``, the standard's
    optional «Индекс платёжного документа» (one of its additional requisites). The other ГИС
    identifiers have no field there: ЕЛС and идентификатор ЖКУ are not payment requisites,
    and ``PersAcc`` keeps the account number the payee credits by. No requirement of ГИС ЖКХ
    naming a QR field for the ИПД was found. Left out when none was imported."""
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
            DocIdx=document_id,
        )
    except PaymentCodeError as error:
        logger.warning("No payment code for ЛС %s: %s", account_number, error)
        return None
