"""Reads of charges and balances for one personal account (the resident's pages use these).

Residents see the charges of closed periods only (``Charge.objects.published()``); payments
count from the day they are received."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from kabinet.billing.models import (
    CAPITAL_REPAIR_METHODS,
    PENALTY_METHODS,
    CalculationMethod,
    Charge,
    Penalty,
    Period,
    PeriodStatus,
    Tariff,
)
from kabinet.money import ZERO, round_money
from kabinet.payments.models import Payment


def _sum(queryset, field) -> Decimal:
    # SQLite adds decimals as floats: round the sum back to kopecks.
    return round_money(queryset.aggregate(total=Sum(field))["total"] or ZERO)


IS_CAPITAL_REPAIR = Q(service__method__in=CAPITAL_REPAIR_METHODS)


def account_balance(account) -> Decimal:
    """What the account owes the organisation now (capital repair contributions, owed to
    their own payee, apart: ``capital_repair_balance``): positive is a debt, negative an
    overpayment. «Оплатить» pays this."""
    charged = _sum(
        Charge.objects.published().filter(account=account).exclude(IS_CAPITAL_REPAIR), "total"
    )
    paid = _sum(Payment.objects.filter(account=account, capital_repair=False), "amount")
    return charged - paid


def capital_repair_balance(account) -> Decimal | None:
    """What the account owes for capital repair contributions and their penalty (ЖК РФ
    ст. 155 ч. 14.1), less what was paid to their payee; ``None`` when it was never charged
    any (the card shows no such line)."""
    charges = Charge.objects.published().filter(IS_CAPITAL_REPAIR, account=account)
    if not charges.exists():
        return None
    paid = Payment.objects.filter(account=account, capital_repair=True)
    return _sum(charges, "total") - _sum(paid, "amount")


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
    return {
        pk: round_money(charged.get(pk) or ZERO) - round_money(paid.get(pk) or ZERO) for pk in ids
    }


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
            **{
                key: round_money(row[key] or ZERO)
                for key in ("charged", "recalculation", "penalties", "total")
            },
        )
        for row in rows
    ]
    return sorted(history, key=lambda month: month.period.month, reverse=True)


def penalty_lines(account) -> list[Charge]:
    """The penalty line of every closed month that charged the account penalties, newest first."""
    return list(
        Charge.objects.published()
        .filter(account=account, service__method=CalculationMethod.PENALTY)
        .select_related("period")
        .order_by("-period__month")
    )


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


def penalty_calculation(account, period: Period) -> PenaltyCalculation:
    """The penalty of ``account`` for the closed ``period``, day range by day range, oldest
    debt first (an open period's penalty is a draft: residents see no lines of it)."""
    published = period.is_closed
    lines = (
        list(
            # ч. 14 only: the ч. 14.1 lines belong to the capital repair contribution's penalty
            Penalty.objects.filter(account=account, period=period, capital_repair=False).order_by(
                "debt_month", "date_from"
            )
        )
        if published
        else []
    )
    charge = (
        Charge.objects.published()
        .filter(account=account, period=period, service__method=CalculationMethod.PENALTY)
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
