"""The arithmetic of a month's charges, apart from the database: tariffs by days, volumes by
method, meter consumption with its estimates (Постановление Правительства РФ № 354), the
common-house share (ОДН) and penalties (ЖК РФ ст. 155 ч. 14).

``services.run_billing`` gathers the data set-wise and calls these for every account; tests
call them directly with hand-checked figures.
"""

import calendar
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from kabinet.metering.checks import months_between
from kabinet.money import ZERO, round_money
from kabinet.months import add_months

VOLUME = Decimal("0.000001")
TARIFF = Decimal("0.0001")
ESTIMATE_MONTHS = 3  # п. 59 Правил № 354: by the average for at most three months
AVERAGE_OVER = 3  # … the average of up to the last three months with readings
PENALTY_FREE_DAYS = 30  # ЖК РФ ст. 155 ч. 14: nothing for the first 30 days of delay
LOWER_FRACTION_UNTIL = 90  # 1/300 of the rate from day 31 to day 90, 1/130 from day 91


def days_in_month(month: datetime.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def last_day(month: datetime.date) -> datetime.date:
    return month.replace(day=days_in_month(month))


def volume(value: Decimal) -> Decimal:
    return value.quantize(VOLUME)


@dataclass(frozen=True)
class TariffSpan:
    value: Decimal
    first: datetime.date
    last: datetime.date | None  # None: open-ended


def active_days(
    month: datetime.date, opened: datetime.date | None, closed: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """The first and last day of ``month`` the account was open."""
    first, last = month, last_day(month)
    return max(first, opened or first), min(last, closed or last)


def month_tariff(
    spans: Iterable[TariffSpan], first: datetime.date, last: datetime.date
) -> Decimal | None:
    """The tariff of the days ``first``–``last`` weighted by days: a tariff changed on the 16th
    of a 30-day month counts 15/30 of the old and 15/30 of the new. Days without a tariff
    count as zero; ``None`` when no tariff covers any of the days."""
    weighted, covered = ZERO, False
    for span in spans:
        start = max(first, span.first)
        end = min(last, span.last or last)
        if start <= end:
            weighted += span.value * ((end - start).days + 1)
            covered = True
    if not covered:
        return None
    return (weighted / ((last - first).days + 1)).quantize(TARIFF)


@dataclass(frozen=True)
class MeterVolume:
    volume: Decimal | None  # None: the meter says nothing usable; charge by the normative
    how: str  # "reading", "average" or "normative"


def meter_volume(
    readings: dict[datetime.date, Decimal],
    month: datetime.date,
    consumption: Callable[[Decimal, Decimal], Decimal],
    estimated: dict[datetime.date, Decimal] | None = None,
) -> MeterVolume:
    """A meter's volume for ``month`` from its actual readings (month → value).

    With a reading for the month: the difference to the previous reading, less what was
    charged by estimate for the months in between (``estimated``, month → volume). Without
    one: the average monthly consumption over up to the last three months with readings, for
    at most three months after the last reading; then nothing (the normative applies)."""
    earlier = sorted(m for m in readings if m < month)
    if month in readings:
        if not earlier:
            return MeterVolume(None, "normative")
        previous = earlier[-1]
        used = consumption(readings[previous], readings[month])
        between = (estimated or {}).items()
        used -= sum((v for m, v in between if previous < m < month), ZERO)
        return MeterVolume(volume(used), "reading")
    if not earlier or months_between(earlier[-1], month) > ESTIMATE_MONTHS:
        return MeterVolume(None, "normative")
    last = earlier[-1]
    base = [m for m in earlier if months_between(m, last) <= AVERAGE_OVER and m < last]
    if not base:
        return MeterVolume(None, "normative")
    first = base[0]
    average = consumption(readings[first], readings[last]) / months_between(first, last)
    return MeterVolume(volume(max(average, ZERO)), "average")


def common_volumes(
    house_volume: Decimal, individual: Decimal, areas: dict[int, Decimal]
) -> dict[int, Decimal]:
    """ОДН: what the house meter counted above the apartments' volumes, shared by area
    (account → area × share). Nothing when the apartments used as much or more."""
    common = house_volume - individual
    total_area = sum(areas.values(), ZERO)
    if common <= 0 or total_area <= 0:
        return {}
    return {account: volume(common * area / total_area) for account, area in areas.items()}


# Penalties --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Debt:
    month: datetime.date  # the month charged
    due: datetime.date  # the last day to pay without delay
    amount: Decimal


@dataclass(frozen=True)
class PenaltyLine:
    debt_month: datetime.date
    due: datetime.date
    first: datetime.date
    last: datetime.date
    debt: Decimal
    rate: Decimal
    fraction: int
    amount: Decimal

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def due_date(month: datetime.date, due_day: int) -> datetime.date:
    """The last day to pay for ``month``: ``due_day`` of the next month."""
    return add_months(month, 1).replace(day=due_day)


def penalty_fraction(days_late: int) -> int | None:
    """1/300 from day 31 to day 90, 1/130 from day 91 (None: no penalty yet)."""
    if days_late <= PENALTY_FREE_DAYS:
        return None
    return 300 if days_late <= LOWER_FRACTION_UNTIL else 130


def penalty_lines(
    debts: list[Debt],
    paid_before: Decimal,
    payments: list[tuple[datetime.date, Decimal]],
    first: datetime.date,
    last: datetime.date,
    rate_on: Callable[[datetime.date], Decimal | None],
) -> list[PenaltyLine]:
    """The penalty for the days ``first``–``last``, as lines of days on which one month's unpaid
    debt, the rate and its fraction stayed the same.

    ``debts`` are in month order; everything paid (``paid_before`` the first day, then
    ``payments`` by date) settles the oldest debt first. A payment counts from the day after
    it: the day of payment is still a day of delay ("по день оплаты включительно")."""
    debts = sorted(debts, key=lambda debt: debt.month)
    overdue_at_end = [d for d in debts if penalty_fraction((last - d.due).days)]
    if sum((d.amount for d in overdue_at_end), ZERO) <= paid_before:
        return []  # even the oldest debts are paid: the fast way out for most accounts
    lines: list[PenaltyLine] = []
    day, paid = first, paid_before
    pending = sorted(payments)
    while day <= last:
        while pending and pending[0][0] < day:
            paid += pending.pop(0)[1]
        rate = rate_on(day)
        left, reached = paid, ZERO
        for debt in debts:
            unpaid = min(debt.amount, max(ZERO, reached + debt.amount - left))
            reached += debt.amount
            fraction = penalty_fraction((day - debt.due).days)
            if unpaid <= 0 or fraction is None or not rate:
                continue
            _add_day(lines, debt, day, unpaid, rate, fraction)
        day += datetime.timedelta(days=1)
    return [PenaltyLine(**{**line.__dict__, "amount": _penalty(line)}) for line in lines]


def _add_day(lines, debt, day, unpaid, rate, fraction):
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.last == day - datetime.timedelta(days=1) and (
            line.debt_month,
            line.debt,
            line.rate,
            line.fraction,
        ) == (debt.month, unpaid, rate, fraction):
            lines[index] = PenaltyLine(**{**line.__dict__, "last": day})
            return
    lines.append(PenaltyLine(debt.month, debt.due, day, day, unpaid, rate, fraction, ZERO))


def _penalty(line: PenaltyLine) -> Decimal:
    return round_money(line.debt * line.days * line.rate / 100 / line.fraction)
