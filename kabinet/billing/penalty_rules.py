"""The dated law of penalties as data (ЖК РФ ст. 155 ч. 14; ч. 14.1 for capital repair): the
editions of ч. 14 (``Scale``), caps of the rate and moratoria with their validity ranges, the
statutory due day, and ``PenaltyLaw``, which answers for a day what the law in force says
(memoised: a run asks the same days for every debtor). ``billing.law`` builds it from the
database rows, ``shipped_law.penalty_law`` from the shipped data; ``penalty_calculation`` does
the arithmetic with it. docs/billing-law.md cites each act."""

import bisect
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from kabinet.billing.calculation import last_day

# The rules of law that change by date come in as data (``PenaltyLaw``, read from the database
# by ``billing.law``); docs/billing-law.md cites each act.

KEY_RATE, RATE_CAP, MORATORIUM = "key_rate", "rate_cap", "moratorium"  # PenaltyBasis values
# From this day the Bank of Russia's refinancing rate, which ЖК РФ ст. 155 ч. 14 names, equals
# its key rate (Указание Банка России от 11.12.2015 № 3894-У); the shipped rates before it are
# refinancing rates.
KEY_RATE_FROM = datetime.date(2016, 1, 1)
ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Scale:
    """ЖК РФ ст. 155 ч. 14 in one edition, for the penalty days ``first``–``last``: nothing for
    the first ``free_days`` days of delay, then 1/``fraction`` of the rate a day; from day
    ``step_day`` of delay on, 1/``step_fraction`` (no step: ``None``). The days of delay count
    from the due date whatever the edition: an edition applies to the penalty days in its
    range (docs/billing-law.md, «The scale of ч. 14 by date»)."""

    first: datetime.date
    last: datetime.date | None
    free_days: int
    fraction: int
    step_day: int | None = None
    step_fraction: int | None = None

    def covers(self, day: datetime.date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)

    def fraction_of(self, days_late: int) -> int | None:
        """The denominator of the share of the rate for day ``days_late`` of delay (None: no
        penalty on that day)."""
        if days_late <= self.free_days:
            return None
        if self.step_day is not None and days_late >= self.step_day:
            return self.step_fraction
        return self.fraction


# ЖК РФ ст. 155 ч. 14 as amended by Федеральный закон от 03.11.2015 № 307-ФЗ, in force from
# 01.01.2016: nothing for 30 days, 1/300 from day 31 to day 90, 1/130 from day 91. A
# ``PenaltyLaw`` built without dated scales (tests, what-ifs) applies it to every day; the dated
# rows are ``billing.models.PenaltyScale`` (billing/shipped_law.py, ``SCALES``).
SCALE_SINCE_2016 = Scale(KEY_RATE_FROM, None, free_days=30, fraction=300, step_day=91,
                         step_fraction=130)  # fmt: skip


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
    scales: tuple[Scale, ...] = ()  # none: SCALE_SINCE_2016 on every day
    working_day: Callable[[datetime.date], bool] = weekdays_only
    fixed_rate: Decimal | None = None
    _starts: tuple[datetime.date, ...] = field(init=False, repr=False, compare=False)
    # What ``fraction``, ``rate`` and ``in_moratorium`` answered, by their arguments: the run
    # asks the same days of every debtor (the answers depend on the law's rows alone).
    _memo: dict = field(init=False, repr=False, compare=False, default_factory=dict)

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
        key = ("rate", day, paid_on)
        if key not in self._memo:
            self._memo[key] = self._rate(day, paid_on)
        return self._memo[key]

    def _rate(self, day: datetime.date, paid_on: datetime.date) -> tuple[Decimal | None, str]:
        rate = self.key_rate(paid_on)
        if self.fixed_rate is not None or rate is None:
            return rate, KEY_RATE
        for cap in self.caps:
            if cap.first <= day and (cap.last is None or day <= cap.last) and cap.rate < rate:
                return cap.rate, RATE_CAP
        return rate, KEY_RATE

    def in_moratorium(self, day: datetime.date, debt_month: datetime.date) -> bool:
        key = ("moratorium", day, debt_month)
        if key not in self._memo:
            self._memo[key] = any(m.covers(day, debt_month) for m in self.moratoria)
        return self._memo[key]

    def scale(self, day: datetime.date) -> Scale | None:
        """The edition of ч. 14 for the penalty ``day`` (None: no dated scale covers it)."""
        if not self.scales:
            return SCALE_SINCE_2016
        return next((scale for scale in self.scales if scale.covers(day)), None)

    def changes(self, first: datetime.date, last: datetime.date) -> tuple[datetime.date, ...]:
        """The days of ``first``–``last`` on which an answer of ``in_moratorium``, of the cap in
        ``rate`` or of the edition in ``fraction`` may differ from the day before: the first
        day of each cap, moratorium and edition of ч. 14, and the day after each one's last.
        (A new key rate changes nothing from day to day: a penalty day bears the rate of the
        day its debt is paid.) The days of delay are each debt's: ``lateness_changes``."""
        key = ("changes", first, last)
        if key not in self._memo:
            rules = [*self.caps, *self.moratoria, *(self.scales or (SCALE_SINCE_2016,))]
            bounds = {rule.first for rule in rules}
            bounds.update(rule.last + ONE_DAY for rule in rules if rule.last is not None)
            self._memo[key] = tuple(sorted(day for day in bounds if first < day <= last))
        return self._memo[key]

    def lateness_changes(self, due: datetime.date) -> tuple[datetime.date, ...]:
        """The days on which ``fraction`` of a debt due on ``due`` may change with the days of
        delay: the first day past each edition's free days and the day its step begins (every
        edition's: which one is in force changes on the days of ``changes``)."""
        key = ("lateness", due)
        if key not in self._memo:
            days = set()
            for scale in self.scales or (SCALE_SINCE_2016,):
                days.add(due + datetime.timedelta(days=scale.free_days + 1))
                if scale.step_day is not None:
                    days.add(due + datetime.timedelta(days=scale.step_day))
            self._memo[key] = tuple(sorted(days))
        return self._memo[key]

    def fraction(self, days_late: int, day: datetime.date) -> int | None:
        """ЖК РФ ст. 155 ч. 14: the denominator of the share of the rate that ``day``, day
        ``days_late`` of delay, bears under the edition in force on it (None: no penalty)."""
        key = ("fraction", days_late, day)
        if key not in self._memo:
            scale = self.scale(day)
            self._memo[key] = scale.fraction_of(days_late) if scale else None
        return self._memo[key]
