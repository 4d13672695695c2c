"""The arithmetic of a month's charges, apart from the database: tariffs by days, volumes by
method, meter consumption with its estimates (Постановление Правительства РФ № 354), the
common-house share (ОДН) and penalties (ЖК РФ ст. 155 ч. 14; ч. 14.1 for capital repair).

``run.run_billing`` gathers the data set-wise and calls these for every account; tests
call them directly with hand-checked figures.
"""

import bisect
import calendar
import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple

from kabinet.metering.checks import months_between
from kabinet.money import ZERO, round_money
from kabinet.months import add_months

VOLUME = Decimal("0.000001")
TARIFF = Decimal("0.0001")
# Постановление Правительства РФ от 06.05.2011 № 354 (Правила № 354), п. 59: the average
# monthly consumption by the meter's readings over at least 6 months (over the months it has
# worked if fewer, but at least 3), for at most 3 billing periods in a row; then п. 60.
ESTIMATE_MONTHS = 3
AVERAGE_MONTHS = 6
MIN_AVERAGE_MONTHS = 3
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
    spans: Iterable[TariffSpan], first: datetime.date, last: datetime.date, places=TARIFF
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
    return (weighted / ((last - first).days + 1)).quantize(places)


READING, AVERAGE, NORMATIVE, FAILED = "reading", "average", "normative", "failed"


@dataclass(frozen=True)
class TariffPiece:
    """A tariff and the days ``first``–``last`` of a month it was in force."""

    value: Decimal
    first: datetime.date
    last: datetime.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def tariff_pieces(
    spans: Iterable[TariffSpan], first: datetime.date, last: datetime.date
) -> tuple[TariffPiece, ...]:
    """The approved tariffs of the days ``first``–``last``, in date order, each with its days
    (days without a tariff are in none)."""
    pieces = []
    for span in spans:
        start, end = max(first, span.first), min(last, span.last or last)
        if start <= end:
            pieces.append(TariffPiece(span.value, start, end))
    return tuple(sorted(pieces, key=lambda piece: piece.first))


class SplitLine(NamedTuple):
    """A line's part at one approved tariff: its days, volume and amount (Правила № 354
    п. 69 «в»: the payment document names the tariffs approved, not a blend of them)."""

    tariff: Decimal
    first: datetime.date
    last: datetime.date
    days: int
    volume: Decimal
    amount: Decimal


def split_by_tariffs(
    pieces: tuple[TariffPiece, ...], volume_: Decimal, days: int
) -> tuple[SplitLine, ...]:
    """``volume_`` of ``days`` days shared among the tariffs by their days, each part charged at
    its tariff and rounded to the kopeck; the line's amount is the sum of the parts."""
    parts = []
    for piece in pieces:
        share = volume_ * piece.days / days
        parts.append(SplitLine(piece.value, piece.first, piece.last, piece.days, volume(share),
                               round_money(piece.value * share)))  # fmt: skip
    return tuple(parts)


@dataclass(frozen=True)
class MeterVolume:
    volume: Decimal | None  # None: the meter says nothing usable; charge by the normative
    # "reading", "average"; "normative" — no readings for longer than п. 59 «б» allows (п. 60:
    # the normative); "failed" — a meter failed or past its verification for longer than
    # п. 59 «а» allows (п. 60: the normative with the increasing coefficient, п. 42)
    how: str


def average_consumption(
    readings: dict[datetime.date, Decimal],
    consumption: Callable[[Decimal, Decimal], Decimal],
) -> Decimal | None:
    """Правила № 354 п. 59: the average monthly consumption by the last actual readings (month
    → value) over the last 6 months before the last reading, or over the months the meter has
    worked if fewer; ``None`` when they cover fewer than 3 months."""
    if not readings:
        return None
    months = sorted(readings)
    last = months[-1]
    first = next(m for m in months if months_between(m, last) <= AVERAGE_MONTHS)
    span = months_between(first, last)
    if span < MIN_AVERAGE_MONTHS:
        return None
    return volume(max(consumption(readings[first], readings[last]) / span, ZERO))


def meter_volume(
    readings: dict[datetime.date, Decimal],
    month: datetime.date,
    consumption: Callable[[Decimal, Decimal], Decimal],
    estimated: dict[datetime.date, Decimal] | None = None,
    failed_from: datetime.date | None = None,
) -> MeterVolume:
    """A meter's volume for ``month`` from its actual readings (month → value).

    With a reading for the month: the difference to the previous reading, less what was
    charged by estimate for the months in between (``estimated``, month → volume). Without
    one (п. 59 «б»): the average monthly consumption (``average_consumption``) for at most
    three months after the last reading; then the normative (п. 60).

    A meter failed or past its verification from ``failed_from`` (a month) on (п. 59 «а»,
    п. 81(12) «д»): its readings from then on do not count; the average of its earlier readings
    for the first three months; then the normative with the coefficient (``FAILED``)."""
    if failed_from is not None and failed_from <= month:
        if months_between(failed_from, month) >= ESTIMATE_MONTHS:
            return MeterVolume(None, FAILED)
        before = {m: v for m, v in readings.items() if m < failed_from}
        average = average_consumption(before, consumption)
        return MeterVolume(None, FAILED) if average is None else MeterVolume(average, AVERAGE)
    earlier = sorted(m for m in readings if m < month)
    if month in readings:
        if not earlier:
            return MeterVolume(None, NORMATIVE)
        previous = earlier[-1]
        used = consumption(readings[previous], readings[month])
        between = (estimated or {}).items()
        used -= sum((v for m, v in between if previous < m < month), ZERO)
        return MeterVolume(volume(used), READING)
    if not earlier or months_between(earlier[-1], month) > ESTIMATE_MONTHS:
        return MeterVolume(None, NORMATIVE)
    average = average_consumption({m: readings[m] for m in earlier}, consumption)
    return MeterVolume(None, NORMATIVE) if average is None else MeterVolume(average, AVERAGE)


@dataclass(frozen=True)
class CommonVolume:
    """A house's common-house volume of a resource for the month (ОДН, КР на СОИ)."""

    charged: Decimal  # shared among all premises by area (``common_shares``)
    excess: Decimal = ZERO  # counted above the cap: charged to no one (the УК bears it)
    by_normative: bool = False  # no house meter reading: the normative × the common area


def common_house_volume(
    *,
    house_volume: Decimal | None,
    individual: Decimal,
    normative: Decimal | None,
    common_area: Decimal | None,
    distribute_excess: bool = False,
) -> CommonVolume:
    """The volume of common needs charged to a house's premises (Правила № 354 п. 44; ЖК РФ
    ст. 156 ч. 9.2; docs/billing-law.md).

    With the house meter's volume for the month: what it counted above the premises'
    ``individual`` volumes (never below zero), **at most the normative for common needs × the
    common-property area** unless the general meeting decided to distribute the whole excess
    (``distribute_excess``); what exceeds the cap is ``excess``. Without a reading
    (``house_volume`` None): the normative × the common-property area. Without a normative or
    the area there is no cap (and nothing to charge without a reading)."""
    cap = None if normative is None or common_area is None else normative * common_area
    if house_volume is None:
        return CommonVolume(volume(cap) if cap is not None else ZERO, by_normative=True)
    common = max(house_volume - individual, ZERO)
    if cap is None or distribute_excess or common <= cap:
        return CommonVolume(volume(common))
    return CommonVolume(volume(cap), volume(common - cap))


def common_shares(
    charged: Decimal, areas: Mapping[int, Decimal], premises_area: Decimal
) -> dict[int, Decimal]:
    """Each account's part of the house's ``charged`` common volume: its area (the premise's
    area × the account's share of it) over the **total area of all residential and
    non-residential premises** of the house (Правила № 354 п. 44; формулы 10–11 приложения
    № 2, as quoted in docs/billing-law.md), each rounded half-up to the volume's 6 places — so
    the parts add up to ``charged`` × their areas' sum / ``premises_area`` within half a
    millionth per account. Premises without an account here (or not charged for the
    resource) keep their part uncharged."""
    if charged <= 0 or premises_area <= 0:
        return {}
    return {account: volume(charged * area / premises_area) for account, area in areas.items()}


# Heating (Правила № 354, приложение № 2; docs/billing-law.md, «Heating») ----------------


def periodicity_coefficient(season_months: int, evenly: bool) -> Decimal:
    """K of formula 2: 1 when heating is paid in the heating season; the months of the season
    (partial ones too) over the 12 months of the year when it is paid evenly all year."""
    return Decimal(season_months) / 12 if evenly else Decimal(1)


def heat_per_m2(house_volume: Decimal, total_area: Decimal) -> Decimal:
    """Formulas 3 and 3(1): the house's heat (Gcal of the month by its meter, or the previous
    year's average month) per m² of the house's premises, so that a premise's volume is
    ``area × this`` = V × S_i / S_об. Unrounded: the line rounds the premise's volume."""
    if total_area <= 0:
        return ZERO
    return house_volume / total_area


def annual_heating_correction(metered: Iterable[Decimal], charged: Iterable[Decimal]) -> Decimal:
    """The year's correction of heating paid evenly by the house meter: what the year's heat
    by the meter costs for the premise (each month's share at its tariffs, unrounded), rounded
    once to the kopeck, less what was charged for the year (and corrected before). Charged
    plus this is exactly the rounded metered cost."""
    return round_money(sum(metered, ZERO)) - sum(charged, ZERO)


# Penalties --------------------------------------------------------------------------------
# The rules of law that change by date come in as data (``PenaltyLaw``, read from the database
# by ``billing.law``); docs/billing-law.md cites each act.

KEY_RATE, RATE_CAP, MORATORIUM = "key_rate", "rate_cap", "moratorium"  # PenaltyBasis values


@dataclass(frozen=True)
class RateCap:
    """Постановление Правительства РФ от 26.03.2022 № 474 п. 5 (as amended; extended by
    Постановление от 18.03.2025 № 329): on penalty days ``first``–``last`` the lesser of
    ``rate`` and the key rate on the day of payment."""

    first: datetime.date
    last: datetime.date | None
    rate: Decimal


@dataclass(frozen=True)
class Moratorium:
    """No penalty accrues on days ``first``–``last`` (Постановления № 424, № 497); with
    ``arisen_before``, only on debts for months that ended before that day."""

    first: datetime.date
    last: datetime.date
    arisen_before: datetime.date | None = None

    def covers(self, day: datetime.date, debt_month: datetime.date) -> bool:
        if not self.first <= day <= self.last:
            return False
        return self.arisen_before is None or last_day(debt_month) < self.arisen_before


@dataclass(frozen=True)
class DueDay:
    """Months billed from ``first_month`` on are due on ``day`` of the next month, whatever
    the contract says (ЖК РФ ст. 155 ч. 1 as amended by Федеральный закон № 177-ФЗ)."""

    first_month: datetime.date
    day: int


def weekdays_only(day: datetime.date) -> bool:
    return day.weekday() < 5


@dataclass(frozen=True)
class PenaltyLaw:
    """Everything dated that a penalty depends on. ``fixed_rate`` replaces the key-rate
    history and its caps (a calculation «по ставке N %»); moratoria apply regardless."""

    key_rates: tuple[tuple[datetime.date, Decimal], ...] = ()  # (from, % per year)
    caps: tuple[RateCap, ...] = ()
    moratoria: tuple[Moratorium, ...] = ()
    due_days: tuple[DueDay, ...] = ()
    document_days: tuple[DueDay, ...] = ()  # the payment document's last day (ЖК ст. 155 ч. 2)
    working_day: Callable[[datetime.date], bool] = weekdays_only
    fixed_rate: Decimal | None = None
    _starts: tuple[datetime.date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "key_rates", tuple(sorted(self.key_rates)))
        object.__setattr__(self, "_starts", tuple(start for start, _ in self.key_rates))

    def key_rate(self, day: datetime.date) -> Decimal | None:
        """The key rate in force on ``day`` (None before the first known rate)."""
        if self.fixed_rate is not None:
            return self.fixed_rate
        index = bisect.bisect_right(self._starts, day)
        return self.key_rates[index - 1][1] if index else None

    def rate(self, day: datetime.date, paid_on: datetime.date) -> tuple[Decimal | None, str]:
        """The rate for a penalty day whose debt is paid on ``paid_on`` (for a debt still
        unpaid: the day of the calculation), and the rule that set it. ЖК РФ ст. 155 ч. 14:
        the key rate on the day of payment; capped where a cap covers the penalty day."""
        rate = self.key_rate(paid_on)
        if self.fixed_rate is not None or rate is None:
            return rate, KEY_RATE
        for cap in self.caps:
            if cap.first <= day and (cap.last is None or day <= cap.last) and cap.rate < rate:
                return cap.rate, RATE_CAP
        return rate, KEY_RATE

    def in_moratorium(self, day: datetime.date, debt_month: datetime.date) -> bool:
        return any(moratorium.covers(day, debt_month) for moratorium in self.moratoria)


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
    rule: str = KEY_RATE

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def next_working_day(day: datetime.date, working_day: Callable[[datetime.date], bool]):
    """ГК РФ ст. 193: a term ending on a non-working day ends on the next working day."""
    while not working_day(day):
        day += datetime.timedelta(days=1)
    return day


def due_date(month: datetime.date, due_day: int, law: PenaltyLaw) -> datetime.date:
    """The last day to pay for the billed ``month``: the day the law fixes for the month
    (the 15th from February 2026, ``law.due_days``), else the organisation's ``due_day`` of
    the next month; moved to the next working day."""
    fixed = _in_force(law.due_days, month)
    nominal = add_months(month, 1).replace(day=fixed.day if fixed else due_day)
    return next_working_day(nominal, law.working_day)


def document_deadline(month: datetime.date, law: PenaltyLaw) -> datetime.date | None:
    """The last day to present the payment document for the billed ``month`` (ЖК РФ ст. 155
    ч. 2 п. 1: the 5th of the next month from February 2026, ``law.document_days``), moved to
    the next working day (ГК РФ ст. 193); ``None`` for a month no such rule governs (the old
    «первое число, если иной срок не установлен договором» left it to the contract)."""
    fixed = _in_force(law.document_days, month)
    if fixed is None:
        return None
    return next_working_day(add_months(month, 1).replace(day=fixed.day), law.working_day)


def _in_force(rules: tuple[DueDay, ...], month: datetime.date) -> DueDay | None:
    """The latest of ``rules`` that governs the billed ``month``."""
    in_force = [rule for rule in rules if rule.first_month <= month]
    return max(in_force, key=lambda rule: rule.first_month) if in_force else None


@dataclass(frozen=True)
class RegionalDueDay:
    """A region's law: capital repair contributions (regional operator) of the billed months
    ``first_month``–``last_month`` are due on ``day`` of the next month (ЖК РФ ст. 171 ч. 1)."""

    first_month: datetime.date
    last_month: datetime.date | None
    day: int

    def covers(self, month: datetime.date) -> bool:
        return self.first_month <= month and (self.last_month is None or month <= self.last_month)


def regional_due_date(
    month: datetime.date, rules: Iterable[RegionalDueDay], law: PenaltyLaw
) -> datetime.date | None:
    """The last day to pay the contribution of the billed ``month`` under the region's law
    (``None``: no rule of the region covers the month, the federal date applies): ``day`` of
    the next month, its last day if it has fewer, moved to the next working day."""
    covering = [rule for rule in rules if rule.covers(month)]
    if not covering:
        return None
    rule = max(covering, key=lambda rule: rule.first_month)
    following = add_months(month, 1)
    days = calendar.monthrange(following.year, following.month)[1]
    return next_working_day(following.replace(day=min(rule.day, days)), law.working_day)


def penalty_fraction(days_late: int) -> int | None:
    """1/300 from day 31 to day 90, 1/130 from day 91 (None: no penalty yet)."""
    if days_late <= PENALTY_FREE_DAYS:
        return None
    return 300 if days_late <= LOWER_FRACTION_UNTIL else 130


def capital_repair_fraction(days_late: int) -> int | None:
    """ЖК РФ ст. 155 ч. 14.1 (capital repair contributions): 1/300 of the rate for every day
    of delay from the day after the due date, with no free days and no 1/130 step."""
    return 300 if days_late > 0 else None


def penalty_lines(
    debts: list[Debt],
    paid_before: Decimal,
    payments: list[tuple],
    first: datetime.date,
    last: datetime.date,
    law: PenaltyLaw,
    *,
    named_before: Mapping[datetime.date, Decimal] | None = None,
    fraction_of: Callable[[int], int | None] = penalty_fraction,
) -> list[PenaltyLine]:
    """The penalty for the days ``first``–``last`` (``last`` is the day of the calculation),
    as lines of days on which one month's unpaid debt, the rate, its fraction and the rule
    stayed the same. ``fraction_of`` gives the share of the rate for a day of delay: ч. 14's
    ``penalty_fraction`` or ч. 14.1's ``capital_repair_fraction``.

    ``debts`` are in month order; what was paid settles them as ``allocate_payments`` says
    (``paid_before`` the first day without a named month and ``named_before`` naming one, then
    ``payments`` by date: ``(day, amount)`` or ``(day, amount, named month or None)``). A
    payment counts from the day after it: the day of payment is still a day of delay ("по день
    оплаты включительно"). Each part of a debt bears the rate of the day it was paid; what is
    unpaid, the rate of ``last``."""
    debts = sorted(debts, key=lambda debt: debt.month)
    payments = [p for p in payments if p[0] <= last]
    owed = {debt.month for debt in debts}
    named = any(month in owed for month in named_before or ()) or any(
        len(p) > 2 and p[2] in owed for p in payments
    )  # a payment naming a month without a debt here settles the oldest, as if unnamed
    overdue_at_end = [d for d in debts if fraction_of((last - d.due).days)]
    if not named and sum((d.amount for d in overdue_at_end), ZERO) <= paid_before:
        return []  # even the oldest debts are paid: the fast way out for most accounts
    parts = allocate_payments(debts, paid_before, payments, last, named_before=named_before)
    if not any(parts[debt.month] for debt in overdue_at_end):
        return []  # what is late was paid before the first day
    lines: list[PenaltyLine] = []
    rates: dict[tuple[datetime.date, datetime.date], tuple[Decimal | None, str]] = {}
    day = first
    while day <= last:
        for debt in debts:
            fraction = fraction_of((day - debt.due).days)
            if fraction is None:
                continue
            # parts paid on or after ``day`` (or never) are still unpaid on ``day``
            open_parts = [(paid_on, amount) for paid_on, amount in parts[debt.month]
                          if paid_on >= day]  # fmt: skip
            if not open_parts:
                continue
            if law.in_moratorium(day, debt.month):
                unpaid = sum((amount for _, amount in open_parts), ZERO)
                _add_day(lines, debt, day, unpaid, ZERO, fraction, MORATORIUM)
                continue
            by_rate: dict[tuple[Decimal, str], Decimal] = {}
            for paid_on, amount in open_parts:
                if (day, paid_on) not in rates:
                    rates[day, paid_on] = law.rate(day, paid_on)
                rate, rule = rates[day, paid_on]
                if rate:
                    by_rate[rate, rule] = by_rate.get((rate, rule), ZERO) + amount
            for (rate, rule), unpaid in by_rate.items():
                _add_day(lines, debt, day, unpaid, rate, fraction, rule)
        day += datetime.timedelta(days=1)
    return [PenaltyLine(**{**line.__dict__, "amount": _penalty(line)}) for line in lines]


def allocate_payments(
    debts: list[Debt],
    paid_before: Decimal,
    payments: list[tuple],
    last: datetime.date,
    *,
    named_before: Mapping[datetime.date, Decimal] | None = None,
) -> dict[datetime.date, list[tuple[datetime.date, Decimal]]]:
    """Each debt's parts as (day paid, amount): which payment settled which month.

    ГК РФ ст. 319.1 п. 1: a payment is credited to the obligation the debtor named, so a
    payment naming a billed month settles that month first; п. 3: what names nothing, and
    what a payment brings beyond its month's debt, settles the debt due earliest — the oldest
    month. ``named_before`` (month → sum paid before the period naming it) is applied first,
    then ``paid_before`` oldest month first, then ``payments`` in order of their days. What
    ``paid_before`` settled is left out of the parts; what nothing settled is «paid» on
    ``last`` (the calculation day). A month with a negative total (a recalculation that
    reduced it) adds to what settles the later months."""
    left = {debt.month: debt.amount for debt in sorted(debts, key=lambda debt: debt.month)}
    parts: dict[datetime.date, list] = {month: [] for month in left}
    pool = max(paid_before, ZERO)
    for month, amount in sorted((named_before or {}).items()):
        taken = _settle_named(left, month, amount)
        pool += amount - taken
    for month in left:
        taken = min(left[month], pool)
        left[month] -= taken
        pool -= taken
    for payment in sorted(payments, key=lambda payment: payment[0]):
        day, amount = payment[0], payment[1]
        named = payment[2] if len(payment) > 2 else None
        if named is not None:
            taken = _settle_named(left, named, amount)
            if taken:
                parts[named].append((day, taken))
            amount -= taken
        for month in left:
            if amount <= 0:
                break
            if left[month] > 0:
                taken = min(left[month], amount)
                parts[month].append((day, taken))
                left[month] -= taken
                amount -= taken
    for month, unpaid in left.items():
        if unpaid > 0:
            parts[month].append((last, unpaid))
    return parts


def _settle_named(left: dict[datetime.date, Decimal], month, amount: Decimal) -> Decimal:
    """Take from ``amount`` what the named ``month`` still owes (nothing for a month without
    a debt); returns what was taken."""
    taken = min(max(left.get(month, ZERO), ZERO), amount)
    if taken > 0:
        left[month] -= taken
    return max(taken, ZERO)


def _add_day(lines, debt, day, unpaid, rate, fraction, rule):
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.last == day - datetime.timedelta(days=1) and (
            line.debt_month,
            line.debt,
            line.rate,
            line.fraction,
            line.rule,
        ) == (debt.month, unpaid, rate, fraction, rule):
            lines[index] = PenaltyLine(**{**line.__dict__, "last": day})
            return
    lines.append(PenaltyLine(debt.month, debt.due, day, day, unpaid, rate, fraction, ZERO, rule))


def _penalty(line: PenaltyLine) -> Decimal:
    return round_money(line.debt * line.days * line.rate / 100 / line.fraction)


def cut_at_month_ends(lines: list[PenaltyLine]) -> list[PenaltyLine]:
    """The lines cut at each month's end, each piece with its own rounded amount: the monthly
    billing run computes one month at a time and stores such pieces, so a calculation over many
    months cut this way agrees with what the runs charged to the kopeck."""
    pieces = []
    for line in lines:
        start = line.first
        while start <= line.last:
            piece = replace(line, first=start, last=min(line.last, last_day(start)))
            pieces.append(replace(piece, amount=_penalty(piece)))
            start = piece.last + datetime.timedelta(days=1)
    return pieces
