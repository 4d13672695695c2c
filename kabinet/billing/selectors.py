"""Reads of charges and balances for one personal account (the resident's pages use these).

Residents see the charges of closed periods only (``Charge.objects.published()``); payments
count from the day they are received."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Subquery, Sum

from kabinet.billing import calculation as calc
from kabinet.billing import penalty_calculation as pcalc
from kabinet.billing.models import (
    CAPITAL_REPAIR_METHODS,
    PENALTY_METHODS,
    CalculationMethod,
    Charge,
    CommonNeedsNormative,
    Penalty,
    Period,
    PeriodStatus,
    Tariff,
)
from kabinet.money import ZERO, money_sum, round_money, summed
from kabinet.payments.models import Payment

IS_CAPITAL_REPAIR = Q(service__method__in=CAPITAL_REPAIR_METHODS)


def account_balance(account) -> Decimal:
    """What the account owes the organisation now (capital repair contributions, owed to
    their own payee, apart: ``capital_repair_balance``): positive is a debt, negative an
    overpayment. «Оплатить» pays this."""
    charged = money_sum(
        Charge.objects.published().filter(account=account).exclude(IS_CAPITAL_REPAIR), "total"
    )
    paid = money_sum(Payment.objects.filter(account=account, capital_repair=False), "amount")
    return charged - paid


def capital_repair_balance(account) -> Decimal | None:
    """What the account owes for capital repair contributions and their penalty (ЖК РФ
    ст. 155 ч. 14.1), less what was paid to their payee; ``None`` when it was never charged
    any (the card shows no such line)."""
    charges = Charge.objects.published().filter(IS_CAPITAL_REPAIR, account=account)
    if not charges.exists():
        return None
    paid = Payment.objects.filter(account=account, capital_repair=True)
    return money_sum(charges, "total") - money_sum(paid, "amount")


def card_balances(account) -> dict[str, Decimal | None]:
    """``account_balance`` as ``balance`` and ``capital_repair_balance`` as ``capital_repair``
    in two queries (the card's figures): the sums grouped by the service's method and by the
    payment's payee, split here. Grouping is the same sums, each in kopecks (``summed``), and
    costs the ORM half of what filtered aggregates cost to build (the card's largest part)."""
    charged = capital_repair = ZERO
    capital_repair_charged = False
    methods = (
        Charge.objects.published()
        .filter(account=account)
        .values_list("service__method")
        .annotate(total=Sum("total"))
        .order_by()
    )
    for method, total in methods:
        if method in CAPITAL_REPAIR_METHODS:
            capital_repair += summed(total)
            capital_repair_charged = True
        else:
            charged += summed(total)
    paid = dict(
        Payment.objects.filter(account=account)
        .values_list("capital_repair")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {
        "balance": charged - summed(paid.get(False)),
        "capital_repair": capital_repair - summed(paid.get(True))
        if capital_repair_charged
        else None,
    }


def balances(accounts) -> dict[int, Decimal]:
    """``account_balance`` for several accounts in two queries."""
    ids = [account.pk for account in accounts]
    charged = dict(
        Charge.objects.published()
        .filter(account__in=ids)
        .exclude(IS_CAPITAL_REPAIR)
        .values_list("account")
        .annotate(total=Sum("total"))
        .values_list("account", "total")
    )
    paid = dict(
        Payment.objects.filter(account__in=ids, capital_repair=False)
        .values_list("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    return {pk: summed(charged.get(pk)) - summed(paid.get(pk)) for pk in ids}


def latest_charged_period(account) -> Period | None:
    """The last month with charges for the account (the one the card shows)."""
    return (
        Period.objects.filter(charges__account=account, status=PeriodStatus.CLOSED)
        .order_by("-month")
        .distinct()
        .first()
    )


@dataclass
class ChargeTable:
    period: Period | None
    lines: list[Charge]
    charged: Decimal
    recalculation: Decimal
    total: Decimal


def charge_table(account, period: Period | None) -> ChargeTable:
    """The services table of a month: one line per service, and the «Итого» figures."""
    lines = (
        list(
            Charge.objects.published()
            .filter(account=account, period=period)
            .select_related("service")
            .order_by("service__position", "service__name")
        )
        if period
        else []
    )
    return ChargeTable(
        period=period,
        lines=lines,
        charged=sum((line.charged for line in lines), ZERO),
        recalculation=sum((line.recalculation for line in lines), ZERO),
        total=sum((line.total for line in lines), ZERO),
    )


def published_charge(account, month: datetime.date, service_id: int) -> Charge | None:
    """One line of the services table as the resident sees it (a closed period's), with its
    service and period, for «Как рассчитано» and «Оспорить»."""
    return (
        Charge.objects.published()
        .select_related("service", "period")
        .filter(account=account, period__month=month, service_id=service_id)
        .first()
    )


def latest_charge_table(account) -> ChargeTable:
    """``charge_table`` of ``latest_charged_period`` (the card's table) in one query."""
    latest = (
        Period.objects.filter(charges__account=account, status=PeriodStatus.CLOSED)
        .order_by("-month")
        .values("pk")[:1]
    )
    lines = list(
        Charge.objects.published()
        .filter(account=account, period=Subquery(latest))
        .select_related("service", "period")
        .order_by("service__position", "service__name")
    )
    return ChargeTable(
        period=lines[0].period if lines else None,
        lines=lines,
        charged=sum((line.charged for line in lines), ZERO),
        recalculation=sum((line.recalculation for line in lines), ZERO),
        total=sum((line.total for line in lines), ZERO),
    )


@dataclass
class MonthTotals:
    period: Period
    charged: Decimal
    recalculation: Decimal
    penalties: Decimal
    total: Decimal


def charge_history(account) -> list[MonthTotals]:
    """Month by month, newest first: charged, recalculations, penalties and total."""
    rows = (
        Charge.objects.published()
        .filter(account=account)
        .values("period")
        .annotate(
            charged=Sum("charged", filter=~Q(service__method__in=PENALTY_METHODS)),
            recalculation=Sum("recalculation"),
            penalties=Sum("total", filter=Q(service__method__in=PENALTY_METHODS)),
            total=Sum("total"),
        )
    )
    periods = Period.objects.in_bulk([row["period"] for row in rows])
    history = [
        MonthTotals(
            period=periods[row["period"]],
            **{key: summed(row[key]) for key in ("charged", "recalculation", "penalties", "total")},
        )
        for row in rows
    ]
    return sorted(history, key=lambda month: month.period.month, reverse=True)


def _penalty_method(capital_repair: bool) -> str:
    if capital_repair:
        return CalculationMethod.CAPITAL_REPAIR_PENALTY
    return CalculationMethod.PENALTY


def penalty_lines(account, *, capital_repair: bool = False) -> list[Charge]:
    """The penalty line of every closed month that charged the account penalties, newest first:
    ЖК РФ ст. 155 ч. 14's, or with ``capital_repair`` ч. 14.1's on the contributions."""
    return list(
        Charge.objects.published()
        .filter(account=account, service__method=_penalty_method(capital_repair))
        .select_related("period")
        .order_by("-period__month")
    )


@dataclass(frozen=True)
class PenaltyMonth:
    """A closed month that charged penalties: ч. 14's and ч. 14.1's (contributions)."""

    period: Period
    penalty: Decimal | None
    capital_repair_penalty: Decimal | None


def penalty_months(account) -> list[PenaltyMonth]:
    """Every closed month that charged the account a penalty of either kind, newest first."""
    main = {line.period_id: line for line in penalty_lines(account)}
    repair = {line.period_id: line for line in penalty_lines(account, capital_repair=True)}
    periods = {line.period_id: line.period for line in [*main.values(), *repair.values()]}
    return [
        PenaltyMonth(
            period,
            main[pk].total if pk in main else None,
            repair[pk].total if pk in repair else None,
        )
        for pk, period in sorted(periods.items(), key=lambda item: item[1].month, reverse=True)
    ]


@dataclass
class PenaltyCalculation:
    """How a closed month's penalty was computed: the days on which one month's unpaid debt,
    the key rate and its fraction stayed the same, each with its penalty."""

    period: Period
    lines: list[Penalty]
    charged: Decimal  # the month's «Пени» as charged: the sum of the lines
    recalculation: Decimal  # a correction of earlier penalties, charged with them
    total: Decimal

    @property
    def lines_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def penalty_calculation(
    account, period: Period, *, capital_repair: bool = False
) -> PenaltyCalculation:
    """The penalty of ``account`` for the closed ``period``, day range by day range, oldest
    debt first (an open period's penalty is a draft: residents see no lines of it): ч. 14's,
    or with ``capital_repair`` ч. 14.1's on the contributions — two streams, never mixed."""
    published = period.is_closed
    lines = (
        list(
            Penalty.objects.filter(
                account=account, period=period, capital_repair=capital_repair
            ).order_by("debt_month", "date_from")
        )
        if published
        else []
    )
    charge = (
        Charge.objects.published()
        .filter(account=account, period=period, service__method=_penalty_method(capital_repair))
        .first()
    )
    return PenaltyCalculation(
        period=period,
        lines=lines,
        charged=charge.charged if charge else ZERO,
        recalculation=charge.recalculation if charge else ZERO,
        total=charge.total if charge else ZERO,
    )


def tariffs_in_force(house, on: datetime.date) -> list[Tariff]:
    """The tariffs in force for ``house`` on a date: a house's own tariff wins over the
    organisation-wide one for the same service."""
    in_force = (
        Tariff.objects.filter(service__organization=house.organization, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .filter(Q(house=house) | Q(house__isnull=True))
        .select_related("service")
        .order_by("service__position", "service__name")
    )
    chosen: dict[int, Tariff] = {}
    for tariff in in_force:
        current = chosen.get(tariff.service_id)
        if current is None or (current.house_id is None and tariff.house_id is not None):
            chosen[tariff.service_id] = tariff
    return list(chosen.values())


# The debt penalties are counted on -----------------------------------------------------------


def unpaid_months(account, *, capital_repair: bool = False) -> list[tuple[datetime.date, Decimal]]:
    """The account's billed (closed) months that are not paid off, oldest first, with what each
    still owes: payments settle the month they name, the rest the oldest month first (ГК РФ
    ст. 319.1, as the penalties count it). The resident may name one of them when paying.
    With ``capital_repair``: the contributions (and their penalty) against the payments to
    their payee, else the rest of the bill against the rest of the payments."""
    charges = Charge.objects.published().filter(account=account)
    if capital_repair:
        charges = charges.filter(IS_CAPITAL_REPAIR)
    else:
        charges = charges.exclude(IS_CAPITAL_REPAIR)  # paid to their own payee
    totals = (
        charges.values("period__month")
        .annotate(total=Sum("total"))
        .values_list("period__month", "total")
        .order_by("period__month")
    )
    debts = [pcalc.Debt(month, month, round_money(total)) for month, total in totals]
    payments = [
        (paid_on, amount, named and named.replace(day=1))
        for paid_on, amount, named in Payment.objects.filter(
            account=account, capital_repair=capital_repair
        ).values_list("paid_on", "amount", "period")
    ]
    never = datetime.date.max
    parts = pcalc.allocate_payments(debts, ZERO, payments, never)
    return [
        (month, sum((amount for paid_on, amount in parts_of if paid_on == never), ZERO))
        for (month, _), parts_of in parts.items()
        if any(paid_on == never for paid_on, _ in parts_of)
    ]


def common_needs_normatives(organization, first, last) -> dict[tuple[int | None, str], Decimal]:
    """(house or None for the organisation's, resource) → the normative for common needs of the
    month ``first``–``last`` (weighted by days where it changes within it); the run's
    common-house share and the payment document's «Справочная информация» read it."""
    spans = defaultdict(list)
    for house, resource, value, valid_from, valid_to in (
        CommonNeedsNormative.objects.filter(organization=organization, valid_from__lte=last)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
        .values_list("house", "resource", "value", "valid_from", "valid_to")
    ):
        spans[house, resource].append(calc.TariffSpan(value, valid_from, valid_to))
    found = {}
    for key, values in spans.items():
        value = calc.month_tariff(values, first, last, places=calc.VOLUME)
        if value is not None:
            found[key] = value
    return found
