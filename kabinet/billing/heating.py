"""Heating by Правила № 354 (Постановление Правительства РФ от 06.05.2011 № 354, as amended by
Постановление № 603 of 29.06.2016 and later), per house as its ``HeatingSetting`` says: by the
normative (formula 2, or 2(3) and 2(4) with the common property), by the house heat meter (ОДПУ;
formulas 3, 3(1), with its average for missing months — п. 59(1)), or by it and the premises'
own heat meters (formulas 3(3), 3(4); ``heating_meters``), paid in the heating season or evenly
over the year, and the year's correction of heating paid evenly by the house meter.
docs/billing-law.md, «Heating», gives each formula and what could not be verified.

The billing run asks ``HeatingMonth.of`` once per run (a few queries for all houses); the
year's correction is ``heating_correction``.
"""

import datetime
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from kabinet.billing import calculation as calc
from kabinet.billing import heating_meters as hm
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
    by the house meter) or area × the service's normative × ``factor`` (K of formula 2, with
    the common property of formulas 2(3), 2(4)), plus ``own`` (formulas 3(3), 3(4): account →
    Gcal by the premise's own heat meters, or by the normative where it has none)."""

    factor: Decimal
    by_normative: bool
    basis: str
    own: Mapping[int, Decimal] = MappingProxyType({})


BASIS = {calc.READING: ChargeBasis.READING, calc.AVERAGE: ChargeBasis.AVERAGE}


@dataclass
class HeatingMonth:
    """What the run needs of the houses with a heating setting; a house missing here keeps
    its heating service's normative every month. ``None``: heating is not charged this month
    (paid in the heating season, and the month is outside it)."""

    houses: dict[int, HouseHeating | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, organization, month: datetime.date, houses=None) -> "HeatingMonth":
        """The organisation's houses (or only ``houses``) with their heating of ``month``."""
        result = cls()
        found = House.objects.filter(organization=organization)
        if houses is not None:
            found = found.filter(pk__in=houses)
        settings = settings_in_force(found, month)
        if not settings:
            return result
        data = _HouseData.of(organization, settings, month)
        for house, setting in settings.items():
            evenly = setting.payment == HeatingPayment.EVENLY
            if not evenly and month.month not in setting.months:
                result.houses[house] = None
                continue
            k = calc.periodicity_coefficient(len(setting.months), evenly)
            result.houses[house] = data.heating(setting, k, month, result.problems)
        return result


@dataclass
class _HouseData:
    """The houses' data a month of heating needs, read once for all of them."""

    areas: dict[int, Decimal]
    common_areas: dict[int, Decimal | None]
    house_months: dict[int, dict[datetime.date, Decimal]]
    last_year: dict[int, Decimal]
    premises: dict[int, dict]
    premises_year: dict[int, dict]
    normative: Decimal

    @classmethod
    def of(cls, organization, settings, month) -> "_HouseData":
        def having(*methods, payment=None):
            return [
                h
                for h, s in settings.items()
                if s.method in methods and (payment is None or s.payment == payment)
            ]

        by_meter = having(HeatingMethod.HOUSE_METER, HeatingMethod.HOUSE_AND_PREMISE_METERS)
        common = having(HeatingMethod.NORMATIVE_COMMON)
        premises = HeatingMethod.HOUSE_AND_PREMISE_METERS
        season = having(premises, payment=HeatingPayment.SEASON)
        evenly = having(premises, payment=HeatingPayment.EVENLY)
        house_months = defaultdict(dict)
        if by_meter:
            volumes = house_heat_volumes(by_meter, hm.months_back(month))
            for (house, when), value in volumes.items():
                house_months[house][when] = value
        service = (
            heating_services(organization).exclude(normative=None).first()
            if season or evenly
            else None
        )
        return cls(
            areas=house_total_areas(by_meter + common) if by_meter or common else {},
            common_areas=dict(
                House.objects.filter(pk__in=common).values_list("pk", "common_property_area")
            ),
            house_months=house_months,
            last_year=_year_volumes(by_meter, month.year - 1) if by_meter else {},
            premises=hm.premise_heat_volumes(season, month) if season else {},
            premises_year=(
                hm.premise_year_volumes(evenly, month.year - 1, month) if evenly else {}
            ),
            normative=service.normative if service else ZERO,
        )

    def heating(self, setting, k: Decimal, month, problems: list[str]) -> HouseHeating:
        """The house's heating of ``month`` by its ``setting`` (K of formula 2: ``k``)."""
        house, method = setting.house_id, setting.method
        by_normative = HouseHeating(k, True, ChargeBasis.NORMATIVE)
        if method == HeatingMethod.NORMATIVE:  # formula 2 (K = 1 in the season)
            return by_normative
        total = self.areas.get(house) or ZERO
        if method == HeatingMethod.NORMATIVE_COMMON:  # formulas 2(3), 2(4)
            common = self.common_areas.get(house)
            if common is None or total <= 0:
                problems.append(
                    f"Дом {setting.house}: не указаны площадь помещений или площадь "
                    "общего имущества — отопление начислено по формуле 2 без доли "
                    "общего имущества."
                )
                return by_normative
            return HouseHeating(
                k * hm.formula_2_3_factor(common, total), True, ChargeBasis.NORMATIVE
            )
        evenly = setting.payment == HeatingPayment.EVENLY
        if evenly:  # formulas 3(1), 3(4): the previous year's average month
            volume = self.last_year.get(house)
            volume = None if volume is None else volume / 12
            how, missing = calc.AVERAGE, f"за {month.year - 1} год"
        else:  # formulas 3, 3(3): the month's heat, or the house meter's average (п. 59(1))
            found = hm.house_meter_volume(
                self.house_months.get(house, {}), month, setting.months, hm.average_limit(month)
            )
            volume, how, missing = found.volume, found.how, "за месяц"
            if how == calc.AVERAGE:
                problems.append(
                    f"Дом {setting.house}: нет показаний общедомового прибора учёта "
                    "тепла за месяц — отопление начислено по среднемесячному "
                    "объёму за отопительный период (Правила № 354, п. 59(1))."
                )
        if volume is None or total <= 0:
            problems.append(
                f"Дом {setting.house}: нет показаний общедомового прибора учёта тепла "
                f"{missing} (или площади помещений) — отопление начислено по нормативу."
            )
            return by_normative
        if method == HeatingMethod.HOUSE_METER:  # formulas 3, 3(1)
            return HouseHeating(calc.heat_per_m2(volume, total), False, BASIS[how])
        # Formulas 3(3), 3(4): each premise's own meter plus its share of the rest.
        premises = (self.premises_year if evenly else self.premises).get(house, {})
        own, hows = {}, {how}
        for account, heat in premises.items():
            if heat.volume is None:  # no meter, or no reading nor average: the normative
                own[account] = heat.area * self.normative * k
                hows.add(calc.AVERAGE)
            else:
                own[account] = heat.volume / 12 if evenly else heat.volume
                hows.add(heat.how)
        factor = hm.common_heat_per_m2(volume, sum(own.values(), ZERO), total)
        basis = ChargeBasis.READING if hows == {calc.READING} else ChargeBasis.AVERAGE
        return HouseHeating(factor, False, basis, MappingProxyType(own))


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
