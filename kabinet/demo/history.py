"""The demo's twelve months, produced the way staff produce them: each month the billing run
and closing (``kabinet.billing.run``, ``kabinet.billing.closing``), then the month's payments in
the next month; the stories of single accounts step in on their months (``seed``,
``instalment``, ``capital_repair``)."""

from decimal import Decimal

from django.db.models import Sum

from kabinet.billing.closing import close_period
from kabinet.billing.models import CAPITAL_REPAIR_METHODS, Charge, Period
from kabinet.billing.run import run_billing
from kabinet.data_versions import bump_organizations
from kabinet.demo.capital_repair import contribution_payment
from kabinet.demo.instalment import INSTALMENT, grant_instalment
from kabinet.demo.world import moment
from kabinet.money import summed
from kabinet.months import add_months
from kabinet.payments.models import Payment, PaymentSource

# ЛС 1000155 pays only part of the month before the last closed one.
PARTIAL_PAYMENT = ("1000155", Decimal("2345.67"))


def bill_months(organization, accounts, months, seed=None):
    """Each month in order: the billing run, closing, then the month's payments (in the next
    month; the last closed month stays unpaid). The current month stays open, not calculated."""
    period = Period.objects.create(organization=organization, month=months[0])
    for index in range(len(months)):
        if seed:
            seed.before_run(index, period)
        run_billing(period)
        if seed and index == len(months) - 1 - INSTALMENT[2]:
            grant_instalment(accounts[int(INSTALMENT[0][-3:])], period, seed.operator)
            run_billing(period)
        if seed and index == len(months) - 1:
            seed.settle(period)
        closed, period = period, close_period(period)
        Period.objects.filter(pk=closed.pk).update(
            calculated_at=moment(period.month, 1), closed_at=moment(period.month, 3)
        )
        if index < len(months) - 1:
            _pay(closed, accounts, index, len(months) - 1 - index, seed)


def _pay(period, accounts, index, before_last_closed, seed):
    """Each account pays the month's charges between the 10th and the 18th of the next month,
    the capital repair contribution apart to its payee; ЛС 1000155 pays only part of the month
    before the last (on the 10th of the last month), ЛС 1000154 as its story says.
    ``before_last_closed``: how many months before the last closed one ``period`` is."""
    before_last = before_last_closed == 1
    charges = Charge.objects.filter(period=period)
    totals, contributions = (
        dict(
            queryset.values("account").annotate(total=Sum("total")).values_list("account", "total")
        )
        for queryset in (charges, charges.filter(service__method__in=CAPITAL_REPAIR_METHODS))
    )
    paid_month = add_months(period.month, 1)
    payments = []
    for account in accounts.values():
        contribution = summed(contributions.get(account.pk))
        total = summed(totals.get(account.pk)) - contribution
        if contribution > 0:
            payments.append(contribution_payment(account, contribution, paid_month, index,
                                                 period, before_last_closed))  # fmt: skip
        payment = Payment(
            account=account, paid_on=paid_month.replace(day=10 + index % 9), amount=total,
            source=PaymentSource.BANK, external_id=f"demo-{account.number}-{index}",
            period=period.month, payer_name=account.holder_name,
        )  # fmt: skip
        if seed and account == seed.account:
            payment = seed.payment(index, total, payment)
        elif account.number == PARTIAL_PAYMENT[0] and before_last:
            payment.paid_on, payment.amount = paid_month.replace(day=10), PARTIAL_PAYMENT[1]
        if payment.amount > 0:
            payments.append(payment)
    Payment.objects.bulk_create(payments)
    bump_organizations({period.organization_id})  # bulk_create sends no signals
