"""The common-house share (ОДН) of the monthly run: Правила № 354 п. 44, ЖК РФ ст. 156 ч. 9.2
(docs/billing-law.md). Per house and resource, set-wise: a few queries per organisation."""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from kabinet.billing import calculation as calc
from kabinet.billing.lines import (
    AccountRow,
    Line,
    at_tariffs,
)
from kabinet.billing.models import (
    COMMON_NEEDS_RESOURCES,
    CalculationMethod,
    HouseFigures,
)
from kabinet.billing.models import WASTEWATER as DRAINED  # the resource of wastewater
from kabinet.billing.selectors import common_needs_normatives
from kabinet.formats import format_quantity
from kabinet.housing.models import House
from kabinet.housing.selectors import premises_areas
from kabinet.metering.checks import consumption
from kabinet.metering.models import RESOURCE_UNITS, Meter, Reading, Resource
from kabinet.money import KOPECK, ZERO, round_money
from kabinet.months import add_months

WATER = (str(Resource.COLD_WATER), str(Resource.HOT_WATER))
COMMON_RESOURCES = (*WATER, str(Resource.ELECTRICITY))  # ОДН by Правила № 354 п. 44


class _HouseAreas(NamedTuple):
    address: str
    premises_area: Decimal  # residential + non-residential (formula's total area)
    common_area: Decimal | None  # the common-property area
    distribute_excess: bool  # the general meeting decided to distribute the whole excess
    by_meter: bool  # monthly by the house meter; else by the normative (ЖК ст. 156 ч. 9.2)


def _house_areas(houses) -> dict[int, _HouseAreas]:
    """The houses' areas and settings for the common share; the total area of their premises
    from ``housing.selectors.premises_areas`` (the one reading heating uses too)."""
    totals = premises_areas(houses)
    rows = House.objects.filter(pk__in=houses).values_list(
        "pk", "address", "common_property_area", "common_excess_distributed", "common_by_meter"
    )
    return {
        pk: _HouseAreas(address, totals.get(pk) or ZERO, common, distribute, by_meter)
        for pk, address, common, distribute, by_meter in rows
    }


def add_common_share(period, accounts, services, result) -> None:
    """ОДН (Правила № 354 п. 44; ЖК РФ ст. 156 ч. 9.2), per house and resource: the house
    meter's volume above the premises' (capped by the normative for common needs × the
    common-property area unless the general meeting decided otherwise), or without a reading
    the normative × that area; each account's part by its area over the total area of all
    premises (``calculation.common_house_volume``, ``common_shares``). Wastewater's is what
    the water's common needs drained, capped by its own normative. A few queries per
    organisation, whatever the number of accounts."""
    shared = {
        s.resource: s
        for s in services
        if s.method == CalculationMethod.METER and s.resource in COMMON_RESOURCES
    }
    wastewater = [s for s in services if s.method == CalculationMethod.WASTEWATER]
    if not shared and not wastewater:
        return
    houses = defaultdict(list)
    for account in accounts:
        houses[account.house].append(account)
    if not houses:
        return
    first, last = period.month, calc.last_day(period.month)
    areas = _house_areas(houses)
    normatives = common_needs_normatives(period.organization, first, last)
    house_volumes = house_meter_volumes(period.organization, first, set(shared), list(houses))
    for house, members in houses.items():
        area = areas[house]
        account_areas = {account.pk: account.area * account.share for account in members}
        drained = None  # the water's common volume, wastewater's house volume
        for resource, service in shared.items():
            lines = _service_lines(members, service, result)
            normative = normatives.get((house, resource), normatives.get((None, resource)))
            house_volume = house_volumes.get((house, resource)) if area.by_meter else None
            individual = sum((line.volume for _, line in lines), ZERO)
            common = calc.common_house_volume(
                house_volume=house_volume,
                individual=individual,
                normative=normative,
                common_area=area.common_area,
                distribute_excess=area.distribute_excess,
            )
            if resource in WATER and (house_volume is not None or normative is not None):
                drained = (drained or ZERO) + common.charged + common.excess
            _charge_common(lines, common, area, account_areas)
            _note_excess(house, resource, common, area, result)
            _keep_figures(house, resource, house_volume, individual, normative, area, common,
                          result)  # fmt: skip
        for service in wastewater:
            normative = normatives.get((house, DRAINED), normatives.get((None, DRAINED)))
            common = calc.common_house_volume(
                house_volume=drained,
                individual=ZERO,
                normative=normative,
                common_area=area.common_area,
                distribute_excess=area.distribute_excess,
            )
            lines = _service_lines(members, service, result)
            _charge_common(lines, common, area, account_areas)
            _note_excess(house, DRAINED, common, area, result)
            _keep_figures(house, DRAINED, drained, ZERO, normative, area, common, result)


def _service_lines(members, service, result) -> list[tuple[AccountRow, Line]]:
    """The house's accounts charged for ``service`` this month, with their lines."""
    pk, lines = service.pk, result.lines  # once, not per account (``Model.pk`` is a property)
    return [(account, line) for account in members if (line := lines.get((account.pk, pk)))]


def _charge_common(lines, common: calc.CommonVolume, area: _HouseAreas, areas) -> None:
    """Each line's part of the house's charged common volume, at the line's tariffs
    (``areas``: account → the premise's area × the account's share). Part of the run's hot
    path: nothing to do for a house without a common volume."""
    if common.charged <= 0:
        return
    shares = calc.common_shares(
        common.charged, {account.pk: areas[account.pk] for account, _ in lines}, area.premises_area
    )
    if not shares:  # no area to share by
        return
    for account, line in lines:
        share = shares[account.pk]
        line.common_volume = share
        if line.split:
            line.common_charged = round_money(at_tariffs(line, share))
        else:
            line.common_charged = (line.tariff * share).quantize(KOPECK, ROUND_HALF_UP)
        line.charged += line.common_charged


def _keep_figures(house, resource, house_volume, individual, normative, area: _HouseAreas,
                  common: calc.CommonVolume, result) -> None:  # fmt: skip
    """The house's figures behind its common share, for «Как рассчитано» (``HouseFigures``,
    once per house and resource): kept where there was a share or an excess."""
    if common.charged <= 0 and not common.excess:
        return
    result.house_figures.append(
        HouseFigures(
            house_id=house,
            resource=resource,
            house_volume=house_volume,
            individual=individual,
            normative=normative,
            common_area=area.common_area,
            premises_area=area.premises_area,
            distribute_excess=area.distribute_excess,
            charged=common.charged,
            excess=common.excess,
        )
    )


def _note_excess(house, resource, common: calc.CommonVolume, area: _HouseAreas, result) -> None:
    """What the house meter counted above the cap is charged to no one: the run says so."""
    if not common.excess:
        return
    result.common_excess[house, resource] = common.excess
    label, unit = dict(COMMON_NEEDS_RESOURCES)[resource], RESOURCE_UNITS.get(resource, "м³")
    result.problems.append(
        f"{area.address}, {label}: ОДН по общедомовому прибору выше норматива на "
        f"{format_quantity(common.excess)} {unit} — жителям не предъявлено, расход "
        "управляющей организации (Правила № 354, п. 44)."
    )


def house_meter_volumes(
    organization, month, resources, houses=None
) -> dict[tuple[int, str], Decimal]:
    """(house, resource) → what the house's meters counted in ``month`` (their readings of that
    month less the month before's), for houses (of ``organization``, or only ``houses``) whose
    every active meter of the resource was read. The monthly run and the yearly correction
    (``billing.common_correction``) read the house meters this one way."""
    previous = add_months(month, -1)
    found = Meter.objects.filter(
        house__organization=organization, is_active=True, resource__in=resources
    )
    if houses is not None:
        found = found.filter(house__in=houses)
    meters = {meter.pk: meter for meter in found}
    values = defaultdict(dict)
    for meter_id, read_month, value in (
        Reading.objects.actual()
        .filter(meter__in=meters, period__in=[previous, month])
        .values_list("meter", "period", "value")
    ):
        values[meter_id][read_month] = value
    volumes, unread = defaultdict(Decimal), set()
    for meter_id, meter in meters.items():
        marks = values.get(meter_id, {})
        if len(marks) == 2:
            used = consumption(meter, marks[previous], marks[month])
            volumes[meter.house_id, meter.resource] += used
        else:
            unread.add((meter.house_id, meter.resource))
    # A house meter not read this month or last leaves the house's volume unknown: the
    # normative applies (Правила № 354 п. 44, docs/billing-law.md).
    return {key: used for key, used in volumes.items() if key not in unread}
