"""The year's correction of heating paid evenly by the house heat meter (Правила № 354 п. 42(1),
приложение № 2; docs/billing-law.md, «Heating»): staff preview it for a house and a year
(``heating_corrections``) and record it (``add_heating_corrections``) as ``Recalculation``
rows of kind «корректировка платы за отопление» in the open period, audited like every
recalculation."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from kabinet.billing import calculation as calc
from kabinet.billing import heating_meters as hm
from kabinet.billing.heating import (
    heating_services,
    house_heat_volumes,
    house_total_areas,
    settings_in_force,
)
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    Charge,
    HeatingMethod,
    HeatingPayment,
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
from kabinet.housing.models import PersonalAccount
from kabinet.money import ZERO, round_money

BY_METER = (HeatingMethod.HOUSE_METER, HeatingMethod.HOUSE_AND_PREMISE_METERS)
ALREADY_RECORDED = (
    "Корректировка платы за отопление за {year} год по этому дому уже внесена: с тех пор "
    "показания и начисления не изменились, вносить нечего."
)


@dataclass(frozen=True)
class HeatingCorrection:
    """One account's correction of a year's heating (``metered``: the year's heat by the
    house meter for the premise at the months' tariffs, rounded; ``charged``: what the year's
    lines charged, with earlier corrections of the year)."""

    account: PersonalAccount
    service: Service
    metered: Decimal
    charged: Decimal

    @property
    def amount(self) -> Decimal:
        return self.metered - self.charged


def _cost(pieces, volume: Decimal, days: int) -> Decimal:
    """What ``volume`` of the days ``days`` costs at the approved tariffs, each for its days
    (unrounded), as the run's line charges it."""
    return sum((piece.value * volume * piece.days / days for piece in pieces), ZERO)


def heating_corrections(house, year: int) -> list[HeatingCorrection]:
    """The correction of ``year``'s heating of ``house`` for each account, for the months in
    which the house paid heating evenly by its meter: each month's heat by the meter × the
    premise's area ÷ the house's total area (formula 3(1)'s year, as formula 3), or the
    premise's own heat meter plus its area's share of the rest (formula 3(4)'s year, as formula
    3(3)), × the month's tariffs, for the days the account was open, summed and rounded, less
    what was charged (``BillingError`` when it cannot be made: a month not closed, or without
    the house meter's readings)."""
    organization = house.organization
    settings = {
        month: found
        for month in (datetime.date(year, number, 1) for number in range(1, 13))
        if (found := settings_in_force([house.pk], month).get(house.pk))
        and found.method in BY_METER
        and found.payment == HeatingPayment.EVENLY
    }
    months = list(settings)
    if not months:
        raise BillingError(
            f"В {year} году отопление дома не оплачивалось равномерно по общедомовому прибору "
            "учёта: корректировать нечего."
        )
    periods = {
        period.month: period
        for period in Period.objects.filter(
            organization=organization, month__in=months, status=PeriodStatus.CLOSED
        )
    }
    december = Period.objects.filter(
        organization=organization, month=datetime.date(year, 12, 1), status=PeriodStatus.CLOSED
    ).first()
    not_closed = [month for month in months if month not in periods]
    if not_closed or december is None:
        raise BillingError(f"Корректировка за {year} год — после закрытия декабря {year} года.")
    volumes = house_heat_volumes([house.pk], months)
    unread = [month for month in months if (house.pk, month) not in volumes]
    if unread:
        names = ", ".join(f"{month:%m.%Y}" for month in unread)
        raise BillingError(f"Нет показаний общедомового прибора учёта тепла за месяцы: {names}.")
    total_area = house_total_areas([house.pk]).get(house.pk, ZERO)
    if total_area <= 0:
        raise BillingError("У помещений дома не указана площадь.")
    services = {service.pk: service for service in heating_services(organization)}
    spans = defaultdict(list)
    for tariff in Tariff.objects.filter(service__in=services).filter(
        Q(house=house) | Q(house__isnull=True)
    ):
        spans[tariff.service_id, tariff.house_id].append(
            calc.TariffSpan(tariff.value, tariff.valid_from, tariff.valid_to)
        )
    lines = defaultdict(dict)
    for account, service, month, charged in Charge.objects.filter(
        period__in=periods.values(), service__in=services, account__premise__house=house
    ).values_list("account", "service", "period__month", "charged"):
        lines[account, service][month] = charged
    accounts = PersonalAccount.objects.select_related("premise").in_bulk(
        {account for account, _ in lines}
    )
    earlier = defaultdict(Decimal)
    for account, service, amount in Recalculation.objects.filter(
        kind=RecalculationKind.HEATING,
        corrected_period=december,
        account__in=accounts,
        service__in=services,
    ).values_list("account", "service", "amount"):
        earlier[account, service] += amount
    premises = {
        month: hm.premise_heat_volumes([house.pk], month).get(house.pk, {})
        for month, setting in settings.items()
        if setting.method == HeatingMethod.HOUSE_AND_PREMISE_METERS
    }
    corrections = []
    for (account_id, service_id), charged_months in sorted(lines.items()):
        account = accounts[account_id]
        service_spans = spans.get((service_id, house.pk)) or spans.get((service_id, None), [])
        area = account.premise.area * account.share
        metered = []
        for month, _ in sorted(charged_months.items()):
            first, last = calc.active_days(month, account.opened_on, account.closed_on)
            days = (last - first).days + 1
            if month in premises:  # formula 3(4)'s year: each month as formula 3(3)
                k = calc.periodicity_coefficient(len(settings[month].months), True)
                own = _own_volumes(premises[month], services[service_id].normative, k)
                per_m2 = hm.common_heat_per_m2(
                    volumes[house.pk, month], sum(own.values(), ZERO), total_area
                )
                volume = own.get(account_id, ZERO) + area * per_m2
            else:  # formula 3(1)'s year: each month as formula 3
                volume = area * calc.heat_per_m2(volumes[house.pk, month], total_area)
            if days != calc.days_in_month(month):
                volume *= Decimal(days) / calc.days_in_month(month)
            pieces = calc.tariff_pieces(service_spans, first, last)
            metered.append(_cost(pieces, calc.volume(volume), days))
        charged = sum(charged_months.values(), ZERO) + earlier[account_id, service_id]
        metered_cost = round_money(sum(metered, ZERO))
        corrections.append(HeatingCorrection(account, services[service_id], metered_cost, charged))
    return [correction for correction in corrections if correction.amount != 0]


def _own_volumes(premises, normative, k: Decimal) -> dict[int, Decimal]:
    """account → V_i^п of a month of formula 3(3): by its own heat meters, or by the normative
    (× K of the year's even payment) where it has none or no reading nor average (п. 59, 60),
    as the run charged it."""
    return {
        account: heat.area * (normative or ZERO) * k if heat.volume is None else heat.volume
        for account, heat in premises.items()
    }


def add_heating_corrections(house, year: int, *, user=None, ip: str | None = None,
                            expected: Decimal | None = None) -> list[Recalculation]:  # fmt: skip
    """Record ``year``'s heating correction of ``house``: a ``Recalculation`` per account and
    heating service that changes, in the organisation's open period (after the year), naming
    December of the year; each goes into the audit log. ``expected``: the total the staff
    member was shown (``BillingError`` if the figures changed since).

    The open period is locked first and the corrections are computed under the lock, less
    what is recorded already: a second save of the same correction — at once or later —
    records nothing and says the correction is in (``ALREADY_RECORDED``)."""
    later = f"Корректировка за {year} год вносится в открытом периоде после него."
    with locked_open_period(house.organization, missing=later) as period:
        if period.month.year <= year:
            raise BillingError(later)
        corrections = heating_corrections(house, year)
        december = Period.objects.get(
            organization=house.organization, month=datetime.date(year, 12, 1)
        )
        if not corrections:
            recorded = Recalculation.objects.filter(
                kind=RecalculationKind.HEATING, corrected_period=december,
                account__premise__house=house,
            )  # fmt: skip
            if recorded.exists():
                raise BillingError(ALREADY_RECORDED.format(year=year))
            raise BillingError(
                "Корректировка ничего не меняет: начислено столько, сколько по прибору."
            )
        reason = (
            f"Корректировка платы за отопление за {year} год по показаниям общедомового прибора "
            "учёта (Правила № 354, п. 42(1), приложение № 2)"
        )
        return record_recalculations(
            period,
            [NewRecalculation(c.account, c.service, december, c.amount, reason)
             for c in corrections],
            kind=RecalculationKind.HEATING,
            user=user,
            ip=ip,
            expected=expected,
        )  # fmt: skip
