"""The debts by month that penalties are counted on: each month's principal (charges and
recalculations, without penalties), the months' debts of an organisation's accounts for the run,
and one account's history of debts and payments for «Расчёт пени» (ЖК РФ ст. 155 ч. 14, 14.1;
docs/billing-law.md)."""

import datetime
from decimal import Decimal

from django.db.models import Q, Sum

from kabinet.billing import penalty_calculation as pcalc
from kabinet.billing import penalty_rules
from kabinet.billing.models import (
    CAPITAL_REPAIR_METHODS,
    PENALTY_METHODS,
    CalculationMethod,
    Charge,
    PeriodStatus,
    Recalculation,
)
from kabinet.money import ZERO, round_money
from kabinet.payments.models import Payment


def principal_charges(organization):
    """The charges of ``organization``'s closed months that bear the penalty of ЖК РФ ст. 155
    ч. 14: without penalties (they bear none) and without capital repair contributions (their
    penalty is ч. 14.1's, counted apart: penalties.capital_repair_penalty_lines_for)."""
    return Charge.objects.filter(
        period__organization=organization, period__status=PeriodStatus.CLOSED
    ).exclude(service__method__in=(*PENALTY_METHODS, *CAPITAL_REPAIR_METHODS))


def principal_recalculations(organization, period=None):
    """The recalculations of those lines (``monthly_debts``' ``recalculations``): presented in
    a closed month of ``organization``, or in ``period`` (the month a billing run computes:
    its document presents them)."""
    presented = Q(period__status=PeriodStatus.CLOSED)
    if period is not None:
        presented |= Q(period=period)
    return Recalculation.objects.filter(presented, period__organization=organization).exclude(
        service__method__in=(*PENALTY_METHODS, *CAPITAL_REPAIR_METHODS)
    )


def capital_repair_recalculations(organization, period=None):
    """The same for the contributions to capital repair (ЖК РФ ст. 155 ч. 14.1's debt)."""
    presented = Q(period__status=PeriodStatus.CLOSED)
    if period is not None:
        presented |= Q(period=period)
    return Recalculation.objects.filter(
        presented,
        period__organization=organization,
        service__method=CalculationMethod.CAPITAL_REPAIR,
    )


def monthly_debts(
    charges, organization, law: penalty_rules.PenaltyLaw, recalculations=None
) -> dict[int, list[pcalc.Debt]]:
    """Each account's debt per billed month of ``charges``, oldest first, with the month's due
    date under ``law`` — for the billing run and the «Расчёт пени» alike, so that both count
    from the same debts and dates.

    A month's debt is its charges and the recalculations **of** it (``recalculations``: the
    ``Recalculation`` rows that may count, ``recalculated_debts``); without them, a line's
    recalculations stay in the month that presented them."""
    totals: dict[int, dict[datetime.date, Decimal]] = {}
    for account, charged_month, total in (
        charges.values("account", "period__month")
        .annotate(total=Sum("total"))
        .values_list("account", "period__month", "total")
        .order_by("account", "period__month")
    ):
        totals.setdefault(account, {})[charged_month] = total
    raises = recalculated_debts(totals, recalculations) if recalculations is not None else {}
    monthly: dict[int, list[pcalc.Debt]] = {}
    dues: dict[datetime.date, datetime.date] = {}

    def due(month):
        if month not in dues:
            dues[month] = pcalc.due_date(month, organization.payment_due_day, law)
        return dues[month]

    for account, months in totals.items():
        debts = monthly.setdefault(account, [])
        for month, total in sorted(months.items()):
            debts.append(pcalc.Debt(month, due(month), round_money(total)))
            for presented, amount in sorted(raises.get((account, month), {}).items()):
                debts.append(pcalc.Debt(month, due(presented), round_money(amount), presented))
    return monthly


def recalculated_debts(totals, recalculations) -> dict[tuple, dict[datetime.date, Decimal]]:
    """Move each recalculation from the month whose line presents it to the month it corrects
    (``totals``: account → month → sum of the lines, changed in place), and return the raises:
    (account, corrected month) → presenting month → amount still raised.

    What a recalculation **reduces** was never owed: it lowers the corrected month's debt from
    that month's own due date. What it **raises** is due with the payment document that
    presents it (ЖК РФ ст. 155 ч. 1–2: paid on the basis of payment documents, by the due date
    after the month billed; docs/billing-law.md, «Recalculations and penalties»): a debt of the
    corrected month due on the presenting month's due date. A later reduction of the same month
    takes back its latest raises first, then its own charge. A recalculation of a month outside
    ``totals`` (not read, or without charges) stays in the month that presented it."""
    raises: dict[tuple, dict[datetime.date, Decimal]] = {}
    for account, presented, corrected, amount in recalculations.values_list(
        "account", "period__month", "corrected_period__month", "amount"
    ).order_by("account", "period__month", "pk"):
        months = totals.get(account)
        if months is None or corrected not in months or corrected >= presented:
            continue
        if presented in months:
            months[presented] -= amount
        raised = raises.setdefault((account, corrected), {})
        if amount > 0:
            raised[presented] = raised.get(presented, ZERO) + amount
            continue
        reduction = -amount
        for month in sorted(raised, reverse=True):
            taken = min(raised[month], reduction)
            raised[month] -= taken
            reduction -= taken
        months[corrected] -= reduction
    return {key: {m: a for m, a in raised.items() if a} for key, raised in raises.items()}


def penalty_history(account, *, to: datetime.date, law: penalty_rules.PenaltyLaw):
    """What a penalty calculation of ``account`` up to ``to`` needs: its debts by billed month
    (closed months up to ``to``) and its payments by date up to ``to``."""
    organization = account.organization
    charges = principal_charges(organization).filter(account=account, period__month__lte=to)
    recalculations = principal_recalculations(organization).filter(
        account=account, period__month__lte=to
    )
    debts = monthly_debts(charges, organization, law, recalculations).get(account.pk, [])
    return debts, _payments_by_date(account, to, capital_repair=False)


def capital_repair_history(account, *, to: datetime.date, law: penalty_rules.PenaltyLaw):
    """The same for ЖК РФ ст. 155 ч. 14.1: the contributions of closed months up to ``to`` with
    the federal due dates (a region's own date is ``penalties.regional_due_dates``') and the
    payments to the capital repair payee up to ``to``."""
    charges = Charge.objects.filter(
        account=account,
        period__status=PeriodStatus.CLOSED,
        period__month__lte=to,
        service__method=CalculationMethod.CAPITAL_REPAIR,
    )
    recalculations = capital_repair_recalculations(account.organization).filter(
        account=account, period__month__lte=to
    )
    debts = monthly_debts(charges, account.organization, law, recalculations)
    return debts.get(account.pk, []), _payments_by_date(account, to, capital_repair=True)


def _payments_by_date(account, to: datetime.date, *, capital_repair: bool) -> list[tuple]:
    return [
        (paid_on, amount, named and named.replace(day=1))  # a named month is settled first
        for paid_on, amount, named in Payment.objects.filter(
            account=account, paid_on__lte=to, capital_repair=capital_repair
        )
        .order_by("paid_on", "pk")
        .values_list("paid_on", "amount", "period")
    ]
