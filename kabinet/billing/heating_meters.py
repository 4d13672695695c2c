"""The meters behind heating by Правила № 354 (Постановление Правительства РФ от 06.05.2011
№ 354), приложение № 2: the house heat meter's average after a failure or a missing reading
(п. 59(1), п. 60(1)) and the premises' own heat meters of formulas 3(3) and 3(4) (a house meter
and individual meters in all premises). docs/billing-law.md, «Heating», cites each rule and
says what could not be read in the primary text.

The pure rules come first (no database); ``premise_heat_volumes`` and
``premise_year_volumes`` read the premises' meters of some houses in one query each.
"""

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q

from kabinet.billing import calculation as calc
from kabinet.billing.billed import ids_in
from kabinet.housing.models import PersonalAccount
from kabinet.metering.checks import consumption
from kabinet.metering.models import Meter, Reading, Resource
from kabinet.money import ZERO
from kabinet.months import add_months


class AverageLimit(NamedTuple):
    """How many billing periods in a row the house meter's average stands for its readings
    (п. 59(1) «а», «б»), from ``valid_from`` on."""

    valid_from: datetime.date
    months: int
    source: str


# Dated: the limit changed with Постановление Правительства РФ от 29.08.2024 № 1176, in force
# 01.03.2025 (ГЖИ Сахалинской области: «изменено количество расчетных периодов … с 3-х месяцев
# до 6-ти месяцев»; portal.roskvartal.ru news 16423). Before it: 3 (п. 59(1) as of ПП № 344 of
# 16.04.2013).
AVERAGE_LIMITS = (
    AverageLimit(datetime.date(2013, 6, 1), 3, "Правила № 354 п. 59(1) (ред. ПП № 344)"),
    AverageLimit(datetime.date(2025, 3, 1), 6, "Правила № 354 п. 59(1) (ред. ПП № 1176)"),
)
MIN_SEASON_MONTHS = 3  # п. 59(1): «не менее 3 месяцев отопительного периода»
LOOKBACK = 30  # months of house readings read for the average: the gap plus a year before it


def average_limit(month: datetime.date) -> int:
    """The limit of п. 59(1) in force in ``month``."""
    found = [limit.months for limit in AVERAGE_LIMITS if limit.valid_from <= month]
    return found[-1] if found else AVERAGE_LIMITS[0].months


class HouseVolume(NamedTuple):
    """The house meter's heat of a month for formulas 3 and 3(3): ``volume`` None means the
    normative (п. 60(1)); ``how`` is ``calc.READING``, ``calc.AVERAGE`` or ``calc.NORMATIVE``."""

    volume: Decimal | None
    how: str


def house_meter_volume(
    volumes: dict[datetime.date, Decimal],
    month: datetime.date,
    season: tuple[int, ...],
    limit: int,
) -> HouseVolume:
    """The house meter's heat of ``month`` (``volumes``: month → the meter's heat, for the
    months it has both readings). Without it (failed, past verification, or not read — п. 59(1)
    «а», «б»): «для отопления — исходя из среднемесячного за отопительный период объема
    потребления», over the heating-season months (``season``) of the year before the gap began,
    at least 3 of them, for at most ``limit`` heating-season months in a row; then — or without
    such an average — the normative (п. 60(1))."""
    if month in volumes:
        return HouseVolume(volumes[month], calc.READING)
    start, missing, step = month, 0, month
    for _ in range(LOOKBACK):
        if step in volumes:
            break
        if step.month in season:
            missing, start = missing + 1, step
        step = add_months(step, -1)
    if missing > limit:
        return HouseVolume(None, calc.NORMATIVE)
    year_before = add_months(start, -12)
    found = [
        value
        for when, value in volumes.items()
        if year_before <= when < start and when.month in season
    ]
    if len(found) < MIN_SEASON_MONTHS:
        return HouseVolume(None, calc.NORMATIVE)
    return HouseVolume(sum(found, ZERO) / len(found), calc.AVERAGE)


def common_heat_per_m2(house: Decimal, premises: Decimal, total_area: Decimal) -> Decimal:
    """Formulas 3(3) and 3(4): the heat the house meter counted beyond the premises' own meters
    (V_D − ΣV_п, or the previous year's averages), per m² of all premises (S_об); a premise's
    volume is its own meter's plus its area × this. Never below zero: premises' meters that
    counted more than the house's are not charged back through the others (our reading; the
    text on a negative difference was not found)."""
    if total_area <= 0:
        return ZERO
    return max(house - premises, ZERO) / total_area


def formula_2_3_factor(common_area: Decimal, total_area: Decimal) -> Decimal:
    """Formulas 2(3) and 2(4): (S_i + S_ои × S_i ÷ S_об) × N_T = S_i × N_T × (1 + S_ои ÷ S_об),
    so the premise's volume is its area × the normative × this (× K of formula 2(4))."""
    if total_area <= 0:
        return Decimal(1)
    return 1 + common_area / total_area


# The premises' own heat meters (formulas 3(3), 3(4)) -------------------------------------


class PremiseHeat(NamedTuple):
    """An account's heat by its own meters for the month (``volume`` None: the normative, the
    meter missing or without an average — п. 59, 60); ``area`` is S_i (area × share)."""

    area: Decimal
    volume: Decimal | None
    how: str


def _accounts(houses, first: datetime.date, last: datetime.date):
    return list(
        PersonalAccount.objects.filter(premise__house__in=ids_in(houses))  # as house_accounts
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=last))
        .exclude(closed_on__lt=first)
        .values_list("pk", "premise__house", "premise__area", "share")
    )


def _meters(accounts) -> dict[int, list[Meter]]:
    found = defaultdict(list)
    for meter in Meter.objects.filter(
        account__in=accounts, resource=Resource.HEAT, is_active=True
    ).order_by("pk"):
        found[meter.account_id].append(meter)
    return found


def _readings(meters, first: datetime.date, last: datetime.date):
    values = defaultdict(dict)
    for meter, month, value in (
        Reading.objects.actual()
        .filter(meter__in=meters, period__gte=first, period__lte=last)
        .values_list("meter", "period", "value")
    ):
        values[meter][month] = value
    return values


def premise_heat_volumes(houses, month: datetime.date) -> dict[int, dict[int, PremiseHeat]]:
    """house → account → its heat of ``month`` by its own heat meters (formula 3(3)'s V_i^п):
    each meter's reading less the previous one; without a reading, the meter's average for at
    most 3 months, then the normative (п. 59, 60; ``calculation.meter_volume``); a meter past
    its verification counts as failed from the next month (п. 81(12))."""
    last = calc.last_day(month)
    rows = _accounts(houses, month, last)
    meters = _meters([pk for pk, *_ in rows])
    values = _readings([m.pk for ms in meters.values() for m in ms], add_months(month, -24), month)
    found = defaultdict(dict)
    for account, house, area, share in rows:
        total, hows = ZERO, set()
        for meter in meters.get(account, []):
            failed_from = add_months(meter.verification_due.replace(day=1), 1)
            got = calc.meter_volume(
                values.get(meter.pk, {}),
                month,
                lambda previous, value, meter=meter: consumption(meter, previous, value),
                failed_from=failed_from,
            )
            hows.add(got.how)
            total += got.volume or ZERO
        if not hows or hows & {calc.NORMATIVE, calc.FAILED}:
            found[house][account] = PremiseHeat(area * share, None, calc.NORMATIVE)
        else:
            how = calc.READING if hows == {calc.READING} else calc.AVERAGE
            found[house][account] = PremiseHeat(area * share, total, how)
    return found


def premise_year_volumes(
    houses, year: int, month: datetime.date
) -> dict[int, dict[int, PremiseHeat]]:
    """house → account open in ``month`` → its heat of ``year`` by its own heat meters
    (December's reading less the previous December's, summed over its meters; formula 3(4)
    takes ÷ 12). ``volume`` None where a meter lacks either December, or there is none."""
    december, before = datetime.date(year, 12, 1), datetime.date(year - 1, 12, 1)
    rows = _accounts(houses, month, calc.last_day(month))
    meters = _meters([pk for pk, *_ in rows])
    values = _readings([m.pk for ms in meters.values() for m in ms], before, december)
    found = defaultdict(dict)
    for account, house, area, share in rows:
        total, complete = ZERO, bool(meters.get(account))
        for meter in meters.get(account, []):
            marks = values.get(meter.pk, {})
            if before not in marks or december not in marks:
                complete = False
                break
            total += consumption(meter, marks[before], marks[december])
        how = calc.READING if complete else calc.NORMATIVE
        found[house][account] = PremiseHeat(area * share, total if complete else None, how)
    return found


def months_back(month: datetime.date, count: int = LOOKBACK) -> list[datetime.date]:
    """``month`` and the ``count`` months before it, oldest first."""
    return [add_months(month, -step) for step in range(count, -1, -1)]
