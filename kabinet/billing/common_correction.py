"""The yearly correction of the common-house share (ОДН, КР на СОИ) by the house meter.

ЖК РФ ст. 156 ч. 9.2: with a house meter, the upkeep charge's common-needs resources are charged
by the normative for common needs «с проведением перерасчета размера таких расходов исходя из
показаний коллективного (общедомового) прибора учета в порядке, установленном Правительством».
That order is Правила содержания общего имущества № 491 (Постановление Правительства РФ от
13.08.2006 № 491) п. 29(2), 29(3) as amended by **Постановление Правительства РФ от 03.02.2022
№ 92** (in force 01.09.2022): «по истечении каждого календарного года» (п. 29(3) «а»), the
correction counted in the charge «в течение I квартала года, следующего за расчетным годом»
(Письмо Минстроя России от 12.12.2022 № 66745-МС/00). docs/billing-law.md, «The yearly
correction of ОДН», gives the sources and what could not be read in the primary text.

For a house charged by the normative (``House.common_by_meter`` off), a resource and a year:

- charged by the normative: Σ over the year's months of the normative × the common-property
  area (the house's volume of ``common_share``), at each month's tariffs;
- by the house meter: Σ over the months of the house meter's volume less the premises'
  volumes (the lines' individual volumes: by meter, average or normative), at each month's
  tariffs — **never below zero for the year**: a year whose premises used more than the house
  meter counted has no common volume, and the correction at most returns what was charged;
- the house's correction = by the meter − by the normative (rounded to the kopeck), shared
  among the accounts by area (× the account's share of the premise × its months of the year)
  over the total area of all premises × the year's months (``distribute``: parts in whole
  kopecks that add up exactly), recorded as recalculations of kind «корректировка платы за
  КР на СОИ» in the open period, naming December of the year, each in the audit log.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

from django.db.models import Q, Sum

from kabinet.billing import calculation as calc
from kabinet.billing.common_share import COMMON_RESOURCES, house_meter_volumes
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    COMMON_NEEDS_RESOURCES,
    CalculationMethod,
    Charge,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
    Service,
    Tariff,
)
from kabinet.billing.recalculations import (
    NewRecalculation,
    locked_open_period,
    record_recalculations,
)
from kabinet.billing.selectors import common_needs_normatives
from kabinet.housing.models import PersonalAccount
from kabinet.housing.selectors import premises_areas
from kabinet.money import KOPECK, ZERO, round_money

# Постановление № 92 of 03.02.2022, п. 2: the new order applies from 01.09.2022.
IN_FORCE = datetime.date(2022, 9, 1)
ALREADY_RECORDED = (
    "Корректировка ОДН за {year} год по этому дому и услуге уже внесена: с тех пор показания и "
    "начисления не изменились, вносить нечего."
)


# Pure arithmetic --------------------------------------------------------------------------


def year_common_volume(house_volumes, individual_volumes) -> Decimal:
    """The year's common volume by the house meter: Σ (house − premises) over the months,
    **never below zero** (a negative year charges no one and is not carried on)."""
    return max(sum(house_volumes, ZERO) - sum(individual_volumes, ZERO), ZERO)


def distribute(amount: Decimal, weights: dict, total: Decimal) -> dict:
    """``amount`` (kopecks) shared by ``weights`` over ``total``: each part ``amount × weight /
    total`` in whole kopecks, the kopecks that rounding leaves given to the largest remainders
    (ties: the order of ``weights``), so that the parts add up to exactly ``amount × Σ weights
    / total`` rounded half-up — to ``amount`` itself when the weights make up the total."""
    if total <= 0 or not weights:
        return {}
    sign = -1 if amount < 0 else 1
    exact = {key: abs(amount) * weight / total for key, weight in weights.items()}
    parts = {key: value.quantize(KOPECK, ROUND_DOWN) for key, value in exact.items()}
    target = round_money(sum(exact.values(), ZERO))
    left = int((target - sum(parts.values(), ZERO)) / KOPECK)
    by_remainder = sorted(exact, key=lambda key: exact[key] - parts[key], reverse=True)
    for key in by_remainder[:left]:
        parts[key] += KOPECK
    return {key: sign * part for key, part in parts.items()}


# The house's year -------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    """One month of the year: the house meter's volume, the premises' volumes, the common
    volume charged by the normative, and what each costs at the month's tariffs (unrounded)."""

    month: datetime.date
    house_volume: Decimal
    individual: Decimal
    normative_volume: Decimal
    metered_cost: Decimal  # (house − premises) at the tariffs; negative when they used more
    normative_cost: Decimal

    @property
    def metered_volume(self) -> Decimal:
        return self.house_volume - self.individual


@dataclass(frozen=True)
class AccountCorrection:
    """An account's part of the house's correction (``part``), less what an earlier
    correction of the year already recorded (``earlier``)."""

    account: PersonalAccount
    weight: Decimal  # area × share × months with a line
    part: Decimal
    earlier: Decimal

    @property
    def amount(self) -> Decimal:
        return self.part - self.earlier


@dataclass(frozen=True)
class CommonCorrection:
    """The year's correction of one house and resource (``service``)."""

    house: object
    service: Service
    year: int
    months: list[MonthFigures]
    common_area: Decimal
    premises_area: Decimal
    normative_cost: Decimal  # rounded
    metered_cost: Decimal  # rounded; zero for a year without a common volume
    accounts: list[AccountCorrection]

    @property
    def normative_volume(self) -> Decimal:
        return sum((month.normative_volume for month in self.months), ZERO)

    @property
    def metered_volume(self) -> Decimal:
        return year_common_volume(
            (m.house_volume for m in self.months), (m.individual for m in self.months)
        )

    @property
    def amount(self) -> Decimal:
        """The house's correction: by the meter less by the normative."""
        return self.metered_cost - self.normative_cost

    @property
    def to_record(self) -> list[AccountCorrection]:
        return [part for part in self.accounts if part.amount != 0]

    @property
    def total(self) -> Decimal:
        """What recording changes now (the parts less earlier corrections)."""
        return sum((part.amount for part in self.to_record), ZERO)


def common_services(organization):
    """The organisation's services whose lines carry ОДН (by meter; cold and hot water,
    electricity): the ones a correction applies to."""
    return Service.objects.filter(
        organization=organization, method=CalculationMethod.METER, resource__in=COMMON_RESOURCES
    )


def _cost(spans, month: datetime.date, volume: Decimal) -> Decimal:
    """``volume`` of ``month`` at the approved tariffs, each for its days (unrounded)."""
    days = calc.days_in_month(month)
    pieces = calc.tariff_pieces(spans, month, calc.last_day(month))
    return sum((piece.value * volume * piece.days / days for piece in pieces), ZERO)


def _year_periods(house, year: int) -> list[Period]:
    """The organisation's periods of ``year`` (from 01.09.2022), all closed, December too."""
    if year < IN_FORCE.year:
        raise BillingError("Годовая корректировка ОДН проводится с 2022 года (Постановление № 92).")
    periods = list(
        Period.objects.filter(
            organization=house.organization, month__year=year, month__gte=IN_FORCE
        ).order_by("month")
    )
    closed = [period for period in periods if period.status == PeriodStatus.CLOSED]
    if len(closed) != len(periods) or not periods or periods[-1].month.month != 12:
        raise BillingError(f"Корректировка за {year} год — после закрытия декабря {year} года.")
    return periods


def common_correction(house, service: Service, year: int) -> CommonCorrection:
    """The correction of ``year``'s ОДН of ``house`` for ``service`` (its resource), with each
    account's part (``BillingError`` when it cannot be made: the house is charged monthly by
    its meter, a month is not closed or has no house meter reading or normative)."""
    if service.resource not in COMMON_RESOURCES or service.method != CalculationMethod.METER:
        raise BillingError("Корректировка ОДН — для холодной и горячей воды и электроэнергии.")
    if house.common_by_meter:
        raise BillingError(
            "ОДН дома начисляется ежемесячно по общедомовому прибору учёта: годовая корректировка "
            "проводится для домов, где ОДН начисляется по нормативу (ЖК РФ ст. 156 ч. 9.2)."
        )
    if not house.common_property_area:
        raise BillingError("У дома не указана площадь общего имущества.")
    premises_area = premises_areas([house.pk]).get(house.pk) or ZERO
    if premises_area <= 0:
        raise BillingError("У помещений дома не указана площадь.")
    periods = _year_periods(house, year)
    resource = service.resource
    unread, without_normative, figures = [], [], []
    spans = _tariff_spans(house, service)
    individual = dict(
        Charge.objects.filter(period__in=periods, service=service, account__premise__house=house)
        .values("period__month")
        .annotate(total=Sum("volume"))
        .values_list("period__month", "total")
    )
    for period in periods:
        month = period.month
        used = house_meter_volumes(house.organization, month, [resource], [house.pk])
        normatives = common_needs_normatives(house.organization, month, calc.last_day(month))
        normative = normatives.get((house.pk, resource), normatives.get((None, resource)))
        if (house.pk, resource) not in used:
            unread.append(month)
        if normative is None:
            without_normative.append(month)
        if (house.pk, resource) not in used or normative is None:
            continue
        house_volume, premises = used[house.pk, resource], individual.get(month) or ZERO
        charged = calc.volume(normative * house.common_property_area)
        figures.append(MonthFigures(
            month, house_volume, premises, charged,
            _cost(spans, month, house_volume - premises), _cost(spans, month, charged),
        ))  # fmt: skip
    if unread:
        names = ", ".join(f"{month:%m.%Y}" for month in unread)
        raise BillingError(f"Нет показаний общедомового прибора учёта за месяцы: {names}.")
    if without_normative:
        names = ", ".join(f"{month:%m.%Y}" for month in without_normative)
        raise BillingError(f"Нет норматива потребления на ОДН за месяцы: {names}.")
    normative_cost = round_money(sum((m.normative_cost for m in figures), ZERO))
    if year_common_volume((m.house_volume for m in figures), (m.individual for m in figures)):
        metered_cost = max(round_money(sum((m.metered_cost for m in figures), ZERO)), ZERO)
    else:
        metered_cost = ZERO
    return _with_parts(
        CommonCorrection(house, service, year, figures, house.common_property_area,
                         premises_area, normative_cost, metered_cost, []),
        periods,
    )  # fmt: skip


def _tariff_spans(house, service) -> list[calc.TariffSpan]:
    """The service's tariffs for the house: the house's own rows, else the organisation's."""
    spans = defaultdict(list)
    for tariff in Tariff.objects.filter(service=service).filter(
        Q(house=house) | Q(house__isnull=True)
    ):
        spans[tariff.house_id].append(
            calc.TariffSpan(tariff.value, tariff.valid_from, tariff.valid_to)
        )
    return spans.get(house.pk) or spans.get(None, [])


def _with_parts(correction: CommonCorrection, periods) -> CommonCorrection:
    """The accounts' parts: area × share × the months of the year with a line, over the
    total area × the year's months."""
    service, house = correction.service, correction.house
    months = defaultdict(int)
    for account_id in Charge.objects.filter(
        period__in=periods, service=service, account__premise__house=house
    ).values_list("account", flat=True):
        months[account_id] += 1
    accounts = PersonalAccount.objects.select_related("premise").in_bulk(months)
    weights = {
        pk: accounts[pk].premise.area * accounts[pk].share * months[pk] for pk in sorted(accounts)
    }
    parts = distribute(correction.amount, weights, correction.premises_area * len(periods))
    earlier = defaultdict(Decimal)
    for account_id, amount in Recalculation.objects.filter(
        kind=RecalculationKind.COMMON,
        corrected_period=periods[-1],
        service=service,
        account__in=accounts,
    ).values_list("account", "amount"):
        earlier[account_id] += amount
    rows = [
        AccountCorrection(accounts[pk], weights[pk], parts.get(pk, ZERO), earlier[pk])
        for pk in weights
    ]
    return replace(correction, accounts=rows)


def in_first_quarter(period: Period, year: int) -> bool:
    """Whether ``period`` is within the first quarter after ``year`` — when п. 29(3) «а» of
    Правила № 491 has the correction counted in the charge."""
    return period.month.year == year + 1 and period.month.month <= 3


def add_common_corrections(house, service: Service, year: int, *, user=None,
                           ip: str | None = None,
                           expected: Decimal | None = None) -> list[Recalculation]:  # fmt: skip
    """Record ``year``'s ОДН correction of ``house`` for ``service``: a ``Recalculation`` per
    account whose part changes, in the organisation's open period (after the year), naming
    December of the year, each in the audit log. ``expected``: the total the staff member was
    shown (``BillingError`` if the figures changed since).

    The open period is locked first and the parts are computed under the lock, less what is
    recorded already: a second save of the same correction — at once or later — records
    nothing and says the correction is in (``ALREADY_RECORDED``); a later one after the
    figures changed (a corrected reading) records the difference."""
    later = f"Корректировка за {year} год вносится в открытом периоде после него."
    with locked_open_period(house.organization, missing=later) as period:
        if period.month.year <= year:
            raise BillingError(later)
        correction = common_correction(house, service, year)
        parts = correction.to_record
        december = Period.objects.get(
            organization=house.organization, month=datetime.date(year, 12, 1)
        )
        if not parts:
            recorded = Recalculation.objects.filter(
                kind=RecalculationKind.COMMON, corrected_period=december, service=service,
                account__premise__house=house,
            )  # fmt: skip
            if recorded.exists():
                raise BillingError(ALREADY_RECORDED.format(year=year))
            raise BillingError(
                "Корректировка ничего не меняет: начислено столько, сколько по прибору."
            )
        if expected is not None and correction.total != expected:
            raise BillingError("Сумма корректировки изменилась: проверьте её и сохраните снова.")
        label = dict(COMMON_NEEDS_RESOURCES)[service.resource]
        reason = (
            f"Корректировка платы за КР на СОИ ({label}) за {year} год по показаниям "
            "общедомового прибора учёта (Правила № 491, п. 29(3); Постановление Правительства "
            "РФ № 92)"
        )[:255]
        return record_recalculations(
            period,
            [NewRecalculation(part.account, service, december, part.amount, reason)
             for part in parts],
            kind=RecalculationKind.COMMON,
            user=user,
            ip=ip,
        )  # fmt: skip
