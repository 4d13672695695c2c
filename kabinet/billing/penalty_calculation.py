"""The arithmetic of penalties, apart from the database (ЖК РФ ст. 155 ч. 14; ч. 14.1 for
capital repair): the dated law (key rates, their caps, moratoria, due days), due dates, and
the penalty of each range of days with the same debt, rate and rule.

``penalties`` and ``run.run_billing`` gather the data and call these; ``penalty_file`` and
``penalty_statement`` build the court calculation with them; tests call them directly with
hand-checked figures.
"""

import calendar
import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from kabinet.billing.calculation import last_day
from kabinet.billing.penalty_rules import KEY_RATE, MORATORIUM, ONE_DAY, DueDay, PenaltyLaw
from kabinet.money import ZERO, round_money
from kabinet.months import add_months


@dataclass(frozen=True)
class Debt:
    month: datetime.date  # the month charged
    due: datetime.date  # the last day to pay without delay
    amount: Decimal
    # A recalculation that raised ``month``'s charge, presented in the payment document of the
    # billed month ``presented``: due with that document (``due`` is that month's due date),
    # not with ``month``'s own (docs/billing-law.md, «Recalculations and penalties»). None:
    # the month's own charge, with what reduced it.
    presented: datetime.date | None = None

    @property
    def key(self) -> tuple[datetime.date, datetime.date | None]:
        """The debt among a month's parts: its own charge, or a raise presented later."""
        return self.month, self.presented

    @property
    def arisen(self) -> datetime.date:
        """The billed month whose document presented the debt (a moratorium's «arisen
        before» looks at it)."""
        return self.presented or self.month


def oldest_first(debts: Iterable[Debt]) -> list[Debt]:
    """ГК РФ ст. 319.1 п. 3: the debt whose term came first is settled first — in the order of
    the documents that presented them (a raise of an old month presented this month is due with
    this month's bill), then of the months they charge."""
    return sorted(debts, key=_arisen_then_month)


def _arisen_then_month(debt: Debt) -> tuple:
    return debt.presented or debt.month, debt.month  # ``Debt.arisen`` without a property call


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
        day += ONE_DAY
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


def capital_repair_fraction(days_late: int, day: datetime.date | None = None) -> int | None:
    """ЖК РФ ст. 155 ч. 14.1 (capital repair contributions): 1/300 of the rate for every day
    of delay from the day after the due date, with no free days and no 1/130 step (in every
    edition since the contributions began, so ``day`` does not matter)."""
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
    fraction_of: Callable[[int, datetime.date], int | None] | None = None,
) -> list[PenaltyLine]:
    """The penalty for the days ``first``–``last`` (``last`` is the day of the calculation),
    as lines of days on which one month's unpaid debt, the rate, its fraction and the rule
    stayed the same. ``fraction_of(days_late, day)`` gives the share of the rate for a day of
    delay: ч. 14's by the edition in force on the day (``law.fraction``, the default) or
    ч. 14.1's ``capital_repair_fraction``.

    What was paid settles ``debts`` as ``allocate_payments`` says
    (``paid_before`` the first day without a named month and ``named_before`` naming one, then
    ``payments`` by date: ``(day, amount)`` or ``(day, amount, named month or None)``). A
    payment counts from the day after it: the day of payment is still a day of delay ("по день
    оплаты включительно"). Each part of a debt bears the rate of the day it was paid; what is
    unpaid, the rate of ``last``."""
    fraction_of = fraction_of or law.fraction
    debts = oldest_first(debts)
    payments = [p for p in payments if p[0] <= last]
    owed = {debt.month for debt in debts}
    named = any(month in owed for month in named_before or ()) or any(
        len(p) > 2 and p[2] in owed for p in payments
    )  # a payment naming a month without a debt here settles the oldest, as if unnamed
    # A debt bearing a penalty on some day of the range bears one on the range's last day, or on
    # the last day of an edition of ч. 14 that ends within it (an edition may have fewer free
    # days than the next one: 0 before 2016, 30 since).
    ends = [last, *(s.last for s in law.scales if s.last is not None and first <= s.last < last)]
    overdue_at_end = [d for d in debts if any(fraction_of((end - d.due).days, end) for end in ends)]
    if not named and sum((d.amount for d in overdue_at_end), ZERO) <= paid_before:
        return []  # even the oldest debts are paid: the fast way out for most accounts
    parts = allocate_payments(debts, paid_before, payments, last, named_before=named_before)
    if not any(parts[debt.key] for debt in overdue_at_end):
        return []  # what is late was paid before the first day
    lateness = _lateness_changes(fraction_of, law)
    if lateness is None or len({(debt.month, debt.due) for debt in debts}) < len(debts):
        found = _lines_day_by_day(debts, parts, first, last, law, fraction_of)
    else:
        bearing = [debt for debt in debts
                   if _may_bear(debt, parts[debt.key], first, ends, fraction_of)]  # fmt: skip
        if not bearing:
            return []
        found = _lines_by_spans(bearing, parts, first, last, law, fraction_of, lateness)
    return [PenaltyLine(month, due, start, end, debt, rate, fraction,
                        _amount(debt, (end - start).days + 1, rate, fraction), rule)
            for month, due, start, end, debt, rate, fraction, rule in found]  # fmt: skip


def _may_bear(debt: Debt, owed: list[tuple], first, ends: list, fraction_of) -> bool:
    """Whether ``debt`` can bear a penalty on a day from ``first`` to ``ends[0]`` (the range's
    last day; then the last days of the editions of ч. 14 ending within it): a day on which a
    part of it is still unpaid (up to the day its last part is paid) and its fraction is not
    None. Within an edition a fraction, once due, stays due as the delay grows, so the last
    such day, or the last day of an edition ending before it, answers for all: most debtors
    of a month paid it within its free days, and need no spans."""
    if not owed:
        return False
    until = min(max(owed)[0], ends[0])  # ``owed``: (day paid, amount)
    if until < first:
        return False
    if fraction_of((until - debt.due).days, until):
        return True
    return any(fraction_of((end - debt.due).days, end) for end in ends[1:] if end < until)


def _lateness_changes(
    fraction_of: Callable[[int, datetime.date], int | None], law: PenaltyLaw
) -> Callable[[datetime.date], tuple[datetime.date, ...]] | None:
    """The days on which ``fraction_of`` may change for a debt due on a given day, beyond the
    law's own ``changes`` (None: a rule the spans do not know, counted day by day)."""
    if fraction_of == law.fraction:
        return law.lateness_changes
    if fraction_of is capital_repair_fraction:
        return lambda due: (due + ONE_DAY,)
    return None


def _owed_on(day, debt: Debt, parts: list[tuple], law: PenaltyLaw, fraction_of) -> list[tuple]:
    """What of ``debt`` bears a penalty on ``day``: (unpaid, rate, fraction, rule) by rate.
    Parts paid on or after ``day`` (or never) are still unpaid on it; a part bears the rate of
    the day it was paid, capped as the cap covering ``day`` says."""
    fraction = fraction_of((day - debt.due).days, day)
    if fraction is None:
        return []
    open_parts = [(paid_on, amount) for paid_on, amount in parts if paid_on >= day]
    if not open_parts:
        return []
    if law.in_moratorium(day, debt.arisen):
        return [(sum((amount for _, amount in open_parts), ZERO), ZERO, fraction, MORATORIUM)]
    by_rate: dict[tuple[Decimal, str], Decimal] = {}
    for paid_on, amount in open_parts:
        rate, rule = law.rate(day, paid_on)
        if rate:
            by_rate[rate, rule] = by_rate.get((rate, rule), ZERO) + amount
    return [(unpaid, rate, fraction, rule) for (rate, rule), unpaid in by_rate.items()]


def _lines_day_by_day(debts, parts, first, last, law, fraction_of) -> list[list]:
    """The lines (PenaltyLine's fields but the amount) found by asking every day of the range
    about every debt: the reference that ``_lines_by_spans`` must equal (tests hold them
    equal), and the way for a rule of the fraction the spans do not know."""
    lines: list[list] = []
    day = first
    while day <= last:
        for debt in debts:
            for unpaid, rate, fraction, rule in _owed_on(day, debt, parts[debt.key], law,
                                                         fraction_of):  # fmt: skip
                _add_day(lines, debt, day, unpaid, rate, fraction, rule)
        day += ONE_DAY
    return lines


def _lines_by_spans(debts, parts, first, last, law, fraction_of, lateness) -> list[list]:
    """The lines of ``_lines_day_by_day``, asking each debt only about the first day of each
    span between the days its answer may change.

    Why it is exact: what a day of a debt bears (``_owed_on``) depends on the day only through
    the fraction (the edition of ч. 14 in force and the day of delay: ``law.changes`` and
    ``lateness``), the parts still unpaid (one fewer the day after each part's payment), the
    moratoria and the caps covering the day (``law.changes``); the rate itself is that of a
    part's day of payment, not of the penalty day. So every day of a span answers as its first
    day, and extends the lines of the span before it where they have the same key, as
    ``_add_day`` does day by day. Debts differ in their month and due date (the caller falls
    back to the days otherwise), so their lines never merge: each debt is spanned alone, and
    the lines are put in the order the days would have opened them (day, debt, rate)."""
    opened = []  # (first day, debt's index, order within the day, line)
    law_days = law.changes(first, last)
    for index, debt in enumerate(debts):
        owed = parts[debt.key]
        cuts = {*law_days, *lateness(debt.due), *(paid_on + ONE_DAY for paid_on, _ in owed)}
        starts = [first, *sorted(day for day in cuts if first < day <= last)]
        ends = [day - ONE_DAY for day in starts[1:]] + [last]
        running: dict[tuple, list] = {}  # the previous span's lines by their key
        for start, end in zip(starts, ends, strict=True):
            extended = {}
            for order, key in enumerate(_owed_on(start, debt, owed, law, fraction_of)):
                line = running.get(key)
                if line is None:
                    line = [debt.month, debt.due, start, end, *key]
                    opened.append((start, index, order, line))
                else:
                    line[3] = end
                extended[key] = line
            running = extended
    opened.sort(key=lambda found: found[:3])
    return [line for *_, line in opened]


def allocate_payments(
    debts: list[Debt],
    paid_before: Decimal,
    payments: list[tuple],
    last: datetime.date,
    *,
    named_before: Mapping[datetime.date, Decimal] | None = None,
) -> dict[tuple, list[tuple[datetime.date, Decimal]]]:
    """Each debt's parts as (day paid, amount), by ``Debt.key``: which payment settled which
    month.

    ГК РФ ст. 319.1 п. 1: a payment is credited to the obligation the debtor named, so a
    payment naming a billed month settles that month first; п. 3: what names nothing, and
    what a payment brings beyond its month's debt, settles the debt due earliest — the oldest
    month. ``named_before`` (month → sum paid before the period naming it) is applied first,
    then ``paid_before`` oldest month first, then ``payments`` in order of their days. What
    ``paid_before`` settled is left out of the parts; what nothing settled is «paid» on
    ``last`` (the calculation day). A month with a negative total (a recalculation that
    reduced it) adds to what settles the later months. A month's parts (its own charge and the
    raises presented later) are settled in the order of their documents, by a payment naming
    the month too."""
    left = {debt.key: debt.amount for debt in oldest_first(debts)}
    parts: dict[tuple, list] = {key: [] for key in left}
    pool = max(paid_before, ZERO)
    for month, amount in sorted((named_before or {}).items()):
        taken = sum(_settle_named(left, month, amount).values(), ZERO)
        pool += amount - taken
    for key in left:
        taken = min(left[key], pool)
        left[key] -= taken
        pool -= taken
    for payment in sorted(payments, key=lambda payment: payment[0]):
        day, amount = payment[0], payment[1]
        named = payment[2] if len(payment) > 2 else None
        if named is not None:
            for key, taken in _settle_named(left, named, amount).items():
                parts[key].append((day, taken))
                amount -= taken
        for key in left:
            if amount <= 0:
                break
            if left[key] > 0:
                taken = min(left[key], amount)
                parts[key].append((day, taken))
                left[key] -= taken
                amount -= taken
    for key, unpaid in left.items():
        if unpaid > 0:
            parts[key].append((last, unpaid))
    return parts


def _settle_named(left: dict[tuple, Decimal], month, amount: Decimal) -> dict[tuple, Decimal]:
    """Take from ``amount`` what the named ``month``'s parts still owe, in their order
    (nothing for a month without a debt); returns what was taken from each."""
    taken = {}
    for key in left:
        if key[0] != month or amount <= 0 or left[key] <= 0:
            continue
        taken[key] = min(left[key], amount)
        left[key] -= taken[key]
        amount -= taken[key]
    return taken


def _add_day(lines: list[list], debt, day, unpaid, rate, fraction, rule) -> None:
    """``day`` added to the latest range that ends the day before with the same debt, rate,
    fraction and rule, else a range of its own (``lines``: PenaltyLine's fields but the
    amount, extended in place)."""
    before = day - ONE_DAY
    key = (debt.month, debt.due, unpaid, rate, fraction, rule)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line[3] == before and (line[0], line[1], line[4], line[5], line[6], line[7]) == key:
            line[3] = day
            return
    lines.append([debt.month, debt.due, day, day, unpaid, rate, fraction, rule])


def _penalty(line: PenaltyLine) -> Decimal:
    return _amount(line.debt, line.days, line.rate, line.fraction)


def _amount(debt: Decimal, days: int, rate: Decimal, fraction: int) -> Decimal:
    return round_money(debt * days * rate / 100 / fraction)


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
            start = piece.last + ONE_DAY
    return pieces
