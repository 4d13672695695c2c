"""The fiscal receipt (кассовый чек, Федеральный закон от 22.05.2003 № 54-ФЗ) of an online payment.

Every online payment sends the gateway the data of its receipt in ЮKassa's ``receipt`` object
(yookassa.ru/developers/54fz/parameters-values): the payer's contact, the items, and the
organisation's tax regime (``Organization.tax_system_code``, ``vat_code``). The items are either
one per service of the month's charges or a single «Оплата ЖКУ за <месяц>»
(``Organization.receipt_items``); they always sum to the payment's amount exactly
(``split_amount``).

- ``payment_subject`` is «service» (услуга): a УК sells housing and utility services.
- ``payment_mode`` is «full_payment» (полный расчёт): the resident pays for a month already
  billed, the services rendered. A payment without a billed month (an advance) is still sent as
  «full_payment» — the cabinet does not issue a second, closing receipt for advances.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kabinet.billing.models import CAPITAL_REPAIR_METHODS, Charge
from kabinet.formats import month_name
from kabinet.money import ZERO
from kabinet.orgs.models import ReceiptItems

PAYMENT_SUBJECT = "service"
PAYMENT_MODE = "full_payment"
DESCRIPTION_LIMIT = 128  # ЮKassa's limit for an item's description
KOPECK = Decimal("0.01")


def split_amount(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split in proportion to ``weights`` (all positive), in kopecks, summing to
    ``amount`` exactly: each share is rounded down, and the kopecks left go one each to the
    shares with the largest remainders, ties to the earlier share — the same split every
    time (the method of largest remainders)."""
    total = sum(weights, ZERO)
    exact = [amount * weight / total for weight in weights]
    shares = [value.quantize(KOPECK, rounding=ROUND_DOWN) for value in exact]
    left = int((amount - sum(shares, ZERO)) / KOPECK)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[:left]:
        shares[index] += KOPECK
    return shares


def receipt_month(online_payment) -> datetime.date | None:
    """The month the receipt names: the one the resident chose, else the latest billed."""
    if online_payment.period:
        return online_payment.period.replace(day=1)
    return (
        Charge.objects.published()
        .filter(account=online_payment.account)
        .order_by("-period__month")
        .values_list("period__month", flat=True)
        .first()
    )


def receipt_items(online_payment) -> list[tuple[str, Decimal]]:
    """(description, amount) of each item of the payment's receipt."""
    amount = online_payment.amount
    parts = list(online_payment.parts.select_related("account").order_by("id"))
    if parts:  # several accounts in one payment: one item per account
        return [(f"Оплата ЖКУ, ЛС № {part.account.number}"[:DESCRIPTION_LIMIT], part.amount)
                for part in parts]  # fmt: skip
    month = receipt_month(online_payment)
    single = f"Оплата ЖКУ за {month_name(month)}" if month else "Оплата ЖКУ"
    if online_payment.capital_repair:  # paid to the capital repair payee: one item of its own
        contribution = "Взнос на капитальный ремонт"
        return [(f"{contribution} за {month_name(month)}" if month else contribution, amount)]
    if online_payment.account.organization.receipt_items == ReceiptItems.SINGLE or not month:
        return [(single, amount)]
    services = list(
        Charge.objects.published()
        .filter(account=online_payment.account, period__month=month)
        .exclude(service__method__in=CAPITAL_REPAIR_METHODS)  # paid to their own payee
        .values("service__name")
        .annotate(charged=Sum("total"))
        .filter(charged__gt=0)
        .order_by("service__name")
        .values_list("service__name", "charged")
    )
    if not services:
        return [(single, amount)]
    shares = split_amount(amount, [charged for _, charged in services])
    return [
        (name[:DESCRIPTION_LIMIT], share)
        for (name, _), share in zip(services, shares, strict=True)
        if share > 0
    ]


COMMISSION_ITEM = "Комиссия за приём платежа"


def commission_items(online_payment) -> list[tuple[str, Decimal]]:
    """The commission passed on to the payer, an item of its own (the receipt sums to what the
    gateway takes: the amount and the commission)."""
    return [(COMMISSION_ITEM, online_payment.commission)] if online_payment.commission else []


def receipt_data(online_payment) -> dict:
    """ЮKassa's ``receipt`` object for the payment (the sandbox takes the same)."""
    organization = online_payment.account.organization
    user = online_payment.user
    if online_payment.email:
        customer = {"email": online_payment.email}
    elif user is not None and getattr(user, "phone", ""):
        customer = {"phone": "".join(ch for ch in user.phone if ch.isdigit())}
    else:
        customer = {}  # no contact: the gateway's own receipt settings decide
    data = {
        "customer": customer,
        "items": [
            {
                "description": description,
                "quantity": "1.00",
                "amount": {"value": f"{amount:.2f}", "currency": "RUB"},
                "vat_code": organization.vat_code,
                "payment_subject": PAYMENT_SUBJECT,
                "payment_mode": PAYMENT_MODE,
            }
            for description, amount in receipt_items(online_payment)
            + commission_items(online_payment)
        ],
        "tax_system_code": organization.tax_system_code,
    }
    if not customer:
        del data["customer"]
    return data


def receipt_total(data: dict) -> Decimal:
    return sum((Decimal(item["amount"]["value"]) for item in data["items"]), ZERO)


@dataclass(frozen=True)
class RegisteredReceipt:
    """A paid online payment's fiscal receipt as its page shows it: the items sent, the
    attributes the gateway gave (ФН, ФД, ФП), when it was registered and its QR code's text."""

    details: dict
    registered: datetime.datetime
    items: list[tuple[str, Decimal]]
    code: str


def registered_receipt(online_payment) -> RegisteredReceipt:
    details = online_payment.fiscal_receipt_details
    registered = parse_datetime(details.get("registered_at") or "")
    registered = timezone.localtime(
        registered or online_payment.paid_at or online_payment.created_at
    )
    return RegisteredReceipt(
        details=details,
        registered=registered,
        items=[
            (item["description"], Decimal(item["amount"]["value"]))
            for item in online_payment.fiscal_receipt_data.get("items", [])
        ],
        code=receipt_code(registered, online_payment.gateway_amount, details),
    )


def receipt_code(registered: datetime.datetime, total: Decimal, details: dict) -> str:
    """The string of a cash receipt's QR code (t — time, s — sum, fn, i — ФД, fp, n=1 —
    «приход»), as every Russian cash register prints it and ФНС's «Проверка чеков» reads it."""
    return (
        f"t={registered:%Y%m%dT%H%M}&s={total:.2f}&fn={details['fn']}"
        f"&i={details['fd']}&fp={details['fp']}&n=1"
    )
