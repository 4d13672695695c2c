"""Section 3 of the payment document (Приказ Минстроя России от 26.01.2018 № 43/пр): the
capital repair contribution of a house that collects it through the organisation
(``CapitalRepairFund``), with its own payee, money summary and QR code; the rest of the
document is then the rest of the bill."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import Q

from kabinet.billing.law import capital_repair_due_date
from kabinet.billing.models import (
    CAPITAL_REPAIR_METHODS,
    CalculationMethod,
    CapitalRepairFund,
    Charge,
)
from kabinet.formats import month_name
from kabinet.money import ZERO, money_sum
from kabinet.months import add_months
from kabinet.payments.models import Payment
from kabinet.receipts.lines import ReceiptLine
from kabinet.receipts.payees import Payee, payee_of_fund, payment_code


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
        return payment_code(self.payee, self.account_number, self.to_pay, self.purpose, self.month)


def _fund(house_id, shared: dict | None) -> CapitalRepairFund | None:
    key = ("capital_repair_fund", house_id)
    if shared is not None and key in shared:
        return shared[key]
    fund = CapitalRepairFund.objects.filter(house=house_id).first()
    if shared is not None:
        shared[key] = fund
    return fund


def capital_repair_part(account, period, lines, shared) -> CapitalRepairPart | None:
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
