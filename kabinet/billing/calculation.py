"""The arithmetic of a month's charges, apart from the database: tariffs by days, volumes by
method, meter consumption with its estimates (Постановление Правительства РФ № 354), the
common-house share (ОДН) and heating. Penalties are in ``penalty_calculation``.

``run.run_billing`` gathers the data set-wise and calls these for every account; tests
call them directly with hand-checked figures.
"""

import calendar
import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from kabinet.metering.checks import months_between
from kabinet.money import ZERO, round_money

VOLUME = Decimal("0.000001")
TARIFF = Decimal("0.0001")


class EstimateRule(NamedTuple):
    """Постановление Правительства РФ от 06.05.2011 № 354 (Правила № 354), п. 59 as it stands
    from ``valid_from``: a month without an actual reading (п. 59 «б») or of a meter failed or
    past its verification (п. 59 «а») is charged by the average monthly consumption by the
    meter's readings over ``average_months`` (over the months it has worked if fewer, but at
    least ``min_months``), for at most ``limit`` billing periods in a row; then the normative
    (п. 60). A change of п. 59 is a new row of ``ESTIMATE_RULES``."""

    valid_from: datetime.date
    average_months: int
    min_months: int
    limit: int
    source: str


# Dated: docs/billing-law.md, «A missing reading», names the quotations each value was read in
# and what could not be read (the primary text of the Rules was not among the sources; the
# Rules' first edition, in force 01.09.2012, read «не менее 1 года», and the act that made it
# 6 months was not identified, so this row stands for every month the run can meet).
ESTIMATE_RULES = (
    EstimateRule(
        datetime.date(2012, 9, 1), average_months=6, min_months=3, limit=3,
        source=(
            "Правила № 354 п. 59: «за период не менее 6 месяцев … а если период работы прибора "
            "учета составил меньше 6 месяцев, - то за фактический период работы прибора учета, "
            "но не менее 3 месяцев»; «а», «б» — не более 3 расчетных периодов подряд (для "
            "жилого помещения), затем п. 60 — по нормативу"
        ),
    ),
)  # fmt: skip


def estimate_rule(month: datetime.date) -> EstimateRule:
    """The п. 59 in force in ``month`` (the first row for a month before it)."""
    found = [rule for rule in ESTIMATE_RULES if rule.valid_from <= month]
    return found[-1] if found else ESTIMATE_RULES[0]


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
    # The readings the volume came from, for «Как рассчитано»: (earlier month, its value, later
    # month, its value, months between them, the consumption between them, the estimates taken
    # off it) — for a reading the previous and this month's, less what the months between were
    # charged by estimate; for an average the first and last of the months averaged.
    source: tuple = ()


def average_consumption(
    readings: dict[datetime.date, Decimal],
    consumption: Callable[[Decimal, Decimal], Decimal],
    rule: EstimateRule = ESTIMATE_RULES[-1],
) -> Decimal | None:
    """Правила № 354 п. 59 (``rule``): the average monthly consumption by the last actual
    readings (month → value) over the last 6 months before the last reading, or over the
    months the meter has worked if fewer; ``None`` when they cover fewer than 3 months."""
    found = averaged_months(readings, rule)
    if found is None:
        return None
    first, last, span = found
    return volume(max(consumption(readings[first], readings[last]) / span, ZERO))


def averaged_months(
    readings: dict[datetime.date, Decimal], rule: EstimateRule = ESTIMATE_RULES[-1]
) -> tuple[datetime.date, datetime.date, int] | None:
    """The first and last month ``average_consumption`` averages over, and the months between
    them; ``None`` when they cover fewer than ``rule.min_months``."""
    if not readings:
        return None
    months = sorted(readings)
    last = months[-1]
    first = next(m for m in months if months_between(m, last) <= rule.average_months)
    span = months_between(first, last)
    return None if span < rule.min_months else (first, last, span)


def _averaged(readings, consumption, rule) -> MeterVolume | None:
    """The average (``average_consumption``) as a meter's volume, with its months."""
    found = averaged_months(readings, rule)
    if found is None:
        return None
    first, last, span = found
    used = consumption(readings[first], readings[last])
    source = (first, readings[first], last, readings[last], span, used, ZERO)
    return MeterVolume(volume(max(used / span, ZERO)), AVERAGE, source)


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
    for the first three months; then the normative with the coefficient (``FAILED``). The
    numbers are п. 59's in force in ``month`` (``estimate_rule``)."""
    rule = estimate_rule(month)
    if failed_from is not None and failed_from <= month:
        if months_between(failed_from, month) >= rule.limit:
            return MeterVolume(None, FAILED)
        before = {m: v for m, v in readings.items() if m < failed_from}
        return _averaged(before, consumption, rule) or MeterVolume(None, FAILED)
    earlier = sorted(m for m in readings if m < month)
    if month in readings:
        if not earlier:
            return MeterVolume(None, NORMATIVE)
        previous = earlier[-1]
        used = consumption(readings[previous], readings[month])
        between = (estimated or {}).items()
        taken_off = sum((v for m, v in between if previous < m < month), ZERO)
        source = (previous, readings[previous], month, readings[month],
                  months_between(previous, month), used, taken_off)  # fmt: skip
        return MeterVolume(volume(used - taken_off), READING, source)
    if not earlier or months_between(earlier[-1], month) > rule.limit:
        return MeterVolume(None, NORMATIVE)
    earlier_readings = {m: readings[m] for m in earlier}
    return _averaged(earlier_readings, consumption, rule) or MeterVolume(None, NORMATIVE)


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
