"""Heating by Правила № 354 (Постановление Правительства РФ от 06.05.2011 № 354, as amended by
Постановление № 603 of 29.06.2016 and later), per house as its ``HeatingSetting`` says: by the
normative or by the house heat meter (ОДПУ), paid in the heating season or evenly over the year,
and the year's correction of heating paid evenly by the house meter. docs/billing-law.md,
«Heating», gives each formula and what could not be verified.

The billing run asks ``HeatingMonth.of`` once per run (a few queries for all houses); the
year's correction is ``heating_correction``.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from kabinet.billing import calculation as calc
from kabinet.billing.models import (
    CalculationMethod,
    ChargeBasis,
    HeatingMethod,
    HeatingPayment,
    HeatingSetting,
    Service,
)
from kabinet.housing.models import House
from kabinet.housing.selectors import premises_areas
from kabinet.metering.checks import consumption
from kabinet.metering.models import Meter, Reading, Resource
from kabinet.money import ZERO
from kabinet.months import add_months


def heating_services(organization):
    """The organisation's heating services: by the normative per m², resource heat. Only these
    follow a house's ``HeatingSetting``."""
    return Service.objects.filter(
        organization=organization,
        method=CalculationMethod.AREA_NORMATIVE,
        resource=Resource.HEAT,
    )


def house_total_areas(house_ids) -> dict[int, Decimal]:
    """S_об of formulas 3, 3(1) and the correction: the total area of all residential and
    non-residential premises of each house (``housing.selectors.premises_areas``: the house's
    own figures, else the sum of its premises' areas)."""
    return {house: area or ZERO for house, area in premises_areas(house_ids).items()}


def settings_in_force(houses, month: datetime.date) -> dict[int, HeatingSetting]:
    """house → the setting in force in ``month`` (the latest that starts by then)."""
    found = {}
    settings = HeatingSetting.objects.filter(house__in=houses, valid_from__lte=month)
    for setting in settings.select_related("house").order_by("valid_from"):
        found[setting.house_id] = setting
    return found


class HouseHeating(NamedTuple):
    """A house's heating of the month: the premise's volume is area × ``factor`` (Gcal per m²
    by the house meter) or area × the service's normative × ``factor`` (K of formula 2)."""

    factor: Decimal
    by_normative: bool
    basis: str


@dataclass
class HeatingMonth:
    """What the run needs of the houses with a heating setting; a house missing here keeps
    its heating service's normative every month. ``None``: heating is not charged this month
    (paid in the heating season, and the month is outside it)."""

    houses: dict[int, HouseHeating | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, organization, month: datetime.date) -> "HeatingMonth":
        result = cls()
        settings = settings_in_force(House.objects.filter(organization=organization), month)
        if not settings:
            return result
        metered = [h for h, s in settings.items() if s.method == HeatingMethod.HOUSE_METER]
        areas = house_total_areas(metered) if metered else {}
        this_month = house_heat_volumes(metered, [month]) if metered else {}
        last_year = _year_volumes(metered, month.year - 1) if metered else {}
        for house, setting in settings.items():
            evenly = setting.payment == HeatingPayment.EVENLY
            months = setting.months
            if not evenly and month.month not in months:
                result.houses[house] = None
                continue
            by_normative = HouseHeating(
                calc.periodicity_coefficient(len(months), evenly), True, ChargeBasis.NORMATIVE
            )
            if setting.method == HeatingMethod.NORMATIVE:
                result.houses[house] = by_normative
                continue
            if evenly:  # formula 3(1): the previous year's average month
                volume = last_year.get(house)
                volume = None if volume is None else volume / 12
                basis, missing = ChargeBasis.AVERAGE, f"за {month.year - 1} год"
            else:  # formula 3: the month's heat
                volume = this_month.get((house, month))
                basis, missing = ChargeBasis.READING, "за месяц"
            if volume is None or not areas.get(house):
                result.problems.append(
                    f"Дом {setting.house}: нет показаний общедомового прибора учёта тепла "
                    f"{missing} (или площади помещений) — отопление начислено по нормативу."
                )
                result.houses[house] = by_normative
                continue
            result.houses[house] = HouseHeating(calc.heat_per_m2(volume, areas[house]), False,
                                                basis)  # fmt: skip
        return result


def _heat_meters(houses) -> list[Meter]:
    return list(
        Meter.objects.filter(house__in=houses, resource=Resource.HEAT, is_active=True).order_by(
            "pk"
        )
    )


def _readings(meters, months) -> dict[int, dict[datetime.date, Decimal]]:
    values = defaultdict(dict)
    for meter, month, value in (
        Reading.objects.actual()
        .filter(meter__in=meters, period__in=months)
        .values_list("meter", "period", "value")
    ):
        values[meter][month] = value
    return values


def house_heat_volumes(houses, months) -> dict[tuple[int, datetime.date], Decimal]:
    """(house, month) → Gcal its heat meters counted in the month: the month's reading less
    the previous month's, summed over the house's heat meters. A month is missing when one of
    the meters lacks either reading."""
    meters = _heat_meters(houses)
    wanted = set(months) | {add_months(month, -1) for month in months}
    values = _readings(meters, wanted)
    per_house = defaultdict(list)
    for meter in meters:
        per_house[meter.house_id].append(meter)
    volumes = {}
    for house, house_meters in per_house.items():
        for month in months:
            previous, used = add_months(month, -1), ZERO
            for meter in house_meters:
                marks = values.get(meter.pk, {})
                if month not in marks or previous not in marks:
                    break
                used += consumption(meter, marks[previous], marks[month])
            else:
                volumes[house, month] = used
    return volumes


def _year_volumes(houses, year: int) -> dict[int, Decimal]:
    """house → Gcal its heat meters counted in ``year``: December's reading less the previous
    December's (formula 3(1)'s «среднемесячный объём за предыдущий год» is this ÷ 12)."""
    december = datetime.date(year, 12, 1)
    meters = _heat_meters(houses)
    before = datetime.date(year - 1, 12, 1)
    values = _readings(meters, [before, december])
    per_house = defaultdict(list)
    for meter in meters:
        per_house[meter.house_id].append(meter)
    found = {}
    for house, house_meters in per_house.items():
        used = ZERO
        for meter in house_meters:
            marks = values.get(meter.pk, {})
            if before not in marks or december not in marks:
                break
            used += consumption(meter, marks[before], marks[december])
        else:
            found[house] = used
    return found
