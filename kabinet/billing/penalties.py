"""Penalties of the monthly run: ЖК РФ ст. 155 ч. 14 on the principal debt and ч. 14.1 on
capital repair contributions, each on its own service and stream of lines."""

import datetime
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from django.db.models import F, Q, Sum

from kabinet.billing import calculation as calc
from kabinet.billing import penalty_calculation as pcalc
from kabinet.billing.billed import ids_read
from kabinet.billing.debts import (
    capital_repair_recalculations,
    monthly_debts,
    principal_charges,
    principal_recalculations,
)
from kabinet.billing.law import capital_repair_due_days, penalty_law
from kabinet.billing.lines import Line
from kabinet.billing.models import (
    AccountBalance,
    CalculationMethod,
    CapitalRepairFund,
    CapitalRepairFundKind,
    Charge,
    PeriodStatus,
)
from kabinet.housing.models import PersonalAccount
from kabinet.money import ZERO, round_money
from kabinet.months import add_months
from kabinet.payments.models import Payment

# How many months back the run charges penalties on debt: the limitation of a month's charge,
# and with it of the penalty on it, ends three years after its due date. ГК РФ ст. 196 п. 1
# (общий срок исковой давности — три года), ст. 200 п. 2 (an obligation with a term: from the
# end of the term), for monthly housing payments each month on its own (Постановление Пленума
# ВС РФ от 29.09.2015 № 43 п. 24, 25; от 27.06.2017 № 22 п. 41), and ст. 207 (the limitation of
# the penalty ends with the principal's; Пленум № 43 п. 26). A month's charge falls due in the
# next month (ЖК РФ ст. 155 ч. 1): 1 + 36 = 37 months after the billed month its limitation
# ends, so the run for month M reads the debts of M − 37 and later — every debt whose
# limitation still runs on some day of M — and stops charging a debt's penalty in the month
# after its limitation ran out. Older debt is not written off: limitation is the debtor's
# defence, applied only on the debtor's application (ГК РФ ст. 199 п. 2), so the court
# statement (``penalty_statement``) reaches back to the first debt. A constant, not a dated
# row: the three years have not changed since the Code's first part took effect (1995).
PENALTY_LOOKBACK = 37


def add_penalties(period, accounts, services, result, scope=None) -> None:
    """The ч. 14 penalty of ``accounts`` on its service's line; ``scope``: the accounts the
    database is asked about (ids, or a subquery of them), None — the organisation's."""
    penalty_service = next((s for s in services if s.method == CalculationMethod.PENALTY), None)
    if penalty_service is None:
        return
    law = penalty_law(period.organization)
    if not law.key_rates:
        result.problems.append("Нет ключевой ставки: пени не начислены.")
        return
    wanted = [account.pk for account in accounts]
    for account, lines in penalty_lines_for(period, wanted, law, scope).items():
        amount = sum((line.amount for line in lines), ZERO)
        if amount:
            result.penalties[account] = lines
            result.lines[account, penalty_service.pk] = Line(
                account, penalty_service.pk, ZERO, ZERO, "", charged=amount
            )


def penalty_lines_for(period, account_ids, law, scope=None) -> dict[int, list[pcalc.PenaltyLine]]:
    """Each account's penalty lines for the days of ``period`` on the principal debt (charges
    of closed months without penalties) not paid in time; payments settle the month they name,
    the rest the oldest debt first (``penalty_calculation.allocate_payments``, ГК РФ ст. 319.1).

    Only the debt of the months before the previous one can be 31 days late in this month (the
    previous month's is due in it), so later months are not read — but for accounts with a
    payment naming the previous month, which takes that payment. Only accounts that had not
    paid it off by the end of the previous month can owe penalties: their stored balances say
    which (opening above the month's payments; a payment recorded since can only lower a
    debt). ``scope``: the accounts the database is asked about (ids, or a subquery of them: a
    part of a run), None — the organisation's."""
    organization, month = period.organization, period.month
    first, last = month, calc.last_day(month)
    since, previous = add_months(month, -PENALTY_LOOKBACK), add_months(month, -1)
    # Only the accounts asked about are read: the scope's, or once the balances have been read,
    # the debtors among them alone (the scope's 5 000 accounts drove the charges' index ten
    # times as often as their 500 debtors: 150 ms of a part's 0.5 s in the database).
    asked = None if scope is None else Q(account__in=scope)
    balances = AccountBalance.objects.filter(
        period__organization=organization, period__month=previous
    )
    if asked is not None:
        balances = balances.filter(asked)
    balanced = balances.exists()
    if balanced:
        # The stored balance mixes both payees: an overpaid contribution could hide a debt
        # of the rest, so the accounts of houses collecting contributions are always read.
        owing = Q(opening__gt=F("paid"))
        if CapitalRepairFund.objects.filter(house__organization=organization).exists():
            owing |= Q(account__premise__house__capital_repair_fund__isnull=False)
        asked = Q(account__in=ids_read(balances.filter(owing), "account"))
    # Capital repair contributions, their penalty and the payments to their payee are the
    # ч. 14.1 stream (capital_repair_penalty_lines_for), never this one.
    payments = Payment.objects.filter(paid_on__lte=last, capital_repair=False).filter(
        Q(account__organization=organization) if asked is None else asked
    )
    naming_previous = payments.filter(period__gte=previous, period__lt=month).values("account")
    published = principal_charges(organization).filter(
        Q(period__month__lt=previous) | Q(period__month=previous, account__in=naming_previous)
    )
    recalculations = principal_recalculations(organization, period).filter(
        corrected_period__month__gte=since
    )
    if asked is not None:
        published, recalculations = published.filter(asked), recalculations.filter(asked)
    older = dict(
        published.filter(period__month__lt=since)
        .values("account")
        .annotate(total=Sum("total"))
        .values_list("account", "total")
    )
    monthly = monthly_debts(
        published.filter(period__month__gte=since), organization, law, recalculations
    )
    paid_before, named_before = _paid_before(payments.filter(paid_on__lt=first), since)
    in_month = defaultdict(list)
    for account, paid_on, amount, named in payments.filter(paid_on__gte=first).values_list(
        "account", "paid_on", "amount", "period"
    ):
        in_month[account].append((paid_on, amount, named and named.replace(day=1)))
    found = {}
    wanted = set(account_ids)
    for account, debts in monthly.items():
        if account not in wanted:
            continue
        paid = paid_before.get(account, ZERO) - round_money(older.get(account) or ZERO)
        lines = pcalc.penalty_lines(
            debts, paid, in_month.get(account, []), first, last, law,
            named_before=named_before.get(account),
        )  # fmt: skip
        if lines:
            found[account] = lines
    return found


def _paid_before(payments, since) -> tuple[dict[int, Decimal], dict[int, dict]]:
    """What ``payments`` brought per account: the sum naming no month (or a month before
    ``since``, whose debt is taken as a whole), and month → sum for the months they name."""
    unnamed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    named: dict[int, dict[datetime.date, Decimal]] = defaultdict(dict)
    for account, month, total in (
        payments.values("account", "period")
        .annotate(total=Sum("amount"))
        .values_list("account", "period", "total")
    ):
        total = round_money(total)
        if month is None or month < since:
            unnamed[account] += total
        else:
            month = month.replace(day=1)
            named[account][month] = named[account].get(month, ZERO) + total
    return unnamed, named


def add_capital_repair_penalties(period, accounts, services, funded, result, scope=None) -> None:
    """The penalty on capital repair contributions (ЖК РФ ст. 155 ч. 14.1), charged on its
    own service so that the card and the receipt show it apart from the ч. 14 penalty."""
    if not funded:
        return
    service = next(
        (s for s in services if s.method == CalculationMethod.CAPITAL_REPAIR_PENALTY), None
    )
    if service is None:
        result.problems.append(
            "Нет услуги «пени на взносы на капитальный ремонт»: пени по ЖК РФ ст. 155 ч. 14.1 "
            "не начислены."
        )
        return
    law = penalty_law(period.organization)
    if not law.key_rates:
        return  # add_penalties has said so
    ids = [account.pk for account in accounts if account.house in funded]
    for account, lines in capital_repair_penalty_lines_for(period, ids, law, scope).items():
        amount = sum((line.amount for line in lines), ZERO)
        if amount:
            result.capital_repair_penalties[account] = lines
            result.lines[account, service.pk] = Line(
                account, service.pk, ZERO, ZERO, "", charged=amount
            )


def capital_repair_penalty_lines_for(period, account_ids, law, scope=None) -> dict[int, list]:
    """Each account's ч. 14.1 penalty lines for the days of ``period``: on the contributions
    of closed months (with their recalculations, without any penalty) not paid in time, less
    the payments made to the capital repair payee (``Payment.capital_repair``): a payment
    naming a month settles it first, the rest the oldest month first (ГК РФ ст. 319.1, as for
    ч. 14). 1/300 of the rate from the day after the due date (``capital_repair_fraction``);
    the key rate, its caps and the moratoria are the same dated data as for ч. 14 (Постановления
    № 474, № 329, № 424 and № 497 name capital repair contributions too: docs/billing-law.md).
    ``scope`` (ids, or a subquery of them) is asked for in the database instead of
    ``account_ids`` when given: a part of a run."""
    if not account_ids:
        return {}
    wanted = set(account_ids)
    if scope is None:
        scope = account_ids
    organization, month = period.organization, period.month
    first, last = month, calc.last_day(month)
    since = add_months(month, -PENALTY_LOOKBACK)
    contributions = Charge.objects.filter(
        period__organization=organization,
        period__status=PeriodStatus.CLOSED,
        period__month__lt=month,  # last month's is due in this one: late from the next day
        service__method=CalculationMethod.CAPITAL_REPAIR,
        account__in=scope,
    )
    payments = Payment.objects.filter(account__in=scope, paid_on__lte=last, capital_repair=True)
    older = dict(
        contributions.filter(period__month__lt=since)
        .values("account")
        .annotate(total=Sum("total"))
        .values_list("account", "total")
    )
    recalculations = capital_repair_recalculations(organization, period).filter(
        account__in=scope, corrected_period__month__gte=since
    )
    monthly = monthly_debts(
        contributions.filter(period__month__gte=since), organization, law, recalculations
    )
    regional_due_dates(monthly, organization, law)
    paid_before, named_before = _paid_before(payments.filter(paid_on__lt=first), since)
    in_month = defaultdict(list)
    for account, paid_on, amount, named in payments.filter(paid_on__gte=first).values_list(
        "account", "paid_on", "amount", "period"
    ):
        in_month[account].append((paid_on, amount, named and named.replace(day=1)))
    found = {}
    for account, debts in monthly.items():
        if account not in wanted:
            continue
        paid = paid_before.get(account, ZERO) - round_money(older.get(account) or ZERO)
        lines = pcalc.penalty_lines(
            debts, paid, in_month.get(account, []), first, last, law,
            named_before=named_before.get(account),
            fraction_of=pcalc.capital_repair_fraction,
        )  # fmt: skip
        if lines:
            found[account] = lines
    return found


def regional_due_dates(monthly: dict[int, list[pcalc.Debt]], organization, law) -> None:
    """The contributions of houses paying the regional operator fall due on the region's own
    date where its law sets one (ЖК РФ ст. 171 ч. 1, ``CapitalRepairDueDay``); a special
    account's stay due with the rest of the bill (ч. 2)."""
    rules = capital_repair_due_days(organization)
    if not rules or not monthly:
        return
    regional = PersonalAccount.objects.filter(
        organization=organization,
        premise__house__capital_repair_fund__kind=CapitalRepairFundKind.REGIONAL_OPERATOR,
        pk__in=list(monthly),
    ).values_list("pk", flat=True)
    dues: dict[datetime.date, datetime.date | None] = {}
    for account in regional:
        debts = monthly[account]
        for index, debt in enumerate(debts):
            if debt.month not in dues:
                dues[debt.month] = pcalc.regional_due_date(debt.month, rules, law)
            if dues[debt.month] is not None:
                debts[index] = replace(debt, due=dues[debt.month])
