"""The monthly billing run, penalties, recalculations and closing a period.

The run reads an organisation's data set-wise (a few queries, whatever the number of
accounts), computes every line in memory with ``calculation`` and writes them in one go; it
replaces the open period's lines in one transaction, so running it again gives the same lines
and a failure leaves the previous ones.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import added, deleted, plain, record
from kabinet.billing import calculation as calc
from kabinet.billing.bulk import insert_period_rows
from kabinet.billing.law import penalty_law
from kabinet.billing.models import (
    AccountBalance,
    CalculationMethod,
    Charge,
    ChargeBasis,
    Penalty,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
    Service,
    Tariff,
    refuse_closed,
)
from kabinet.billing.signals import period_closed
from kabinet.billing.volumes import VolumeLaw, normative_persons
from kabinet.formats import month_name
from kabinet.housing.models import PersonalAccount
from kabinet.metering.checks import consumption
from kabinet.metering.models import Meter, Reading, Resource
from kabinet.money import KOPECK, ZERO, round_money
from kabinet.months import add_months
from kabinet.payments.models import Payment

PROGRESS_EVERY = 2000  # accounts between two progress reports
READINGS_LOOKBACK = 12  # months of readings a meter's volume may need
PENALTY_LOOKBACK = 37  # months of debt that earn penalties (three years' limitation and a bit)
WATER = (str(Resource.COLD_WATER), str(Resource.HOT_WATER))
ONE = Decimal(1)
CHARGE_FIELDS = [
    "period", "account", "service", "tariff", "volume", "basis", "common_volume", "charged",
    "common_charged", "recalculation", "total",
]  # fmt: skip
# What the run writes besides (the other writers — imports, benchmarks — leave the database's
# defaults: no coefficient).
RUN_CHARGE_FIELDS = [*CHARGE_FIELDS, "coefficient", "coefficient_charged", "tariff_spans"]
PENALTY_FIELDS = [
    "period", "account", "debt_month", "due_date", "date_from", "date_to", "debt", "rate",
    "fraction", "rule", "amount",
]  # fmt: skip


class BillingError(Exception):
    """Staff asked for something the period's state does not allow; the message says why."""


@dataclass(slots=True)
class Line:
    account: int
    service: int
    tariff: Decimal
    volume: Decimal
    basis: str
    common_volume: Decimal = ZERO
    common_charged: Decimal = ZERO
    charged: Decimal = ZERO
    recalculation: Decimal = ZERO
    coefficient: Decimal | None = None
    coefficient_charged: Decimal = ZERO  # part of ``charged``
    split: tuple[calc.SplitLine, ...] = ()  # by tariff where one changed within the month
    days: int = 0  # the line's days, where split

    @property
    def total(self) -> Decimal:
        return self.charged + self.recalculation


@dataclass
class Calculation:
    """A period's lines computed in memory (not yet written)."""

    lines: dict[tuple[int, int], Line] = field(default_factory=dict)
    penalties: dict[int, list[calc.PenaltyLine]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    accounts: int = 0


@dataclass(frozen=True)
class AccountRow:
    pk: int
    house: int
    premise: int
    area: Decimal
    ownership: str
    share: Decimal
    residents: int
    owners: int
    opened_on: datetime.date | None
    closed_on: datetime.date | None


def open_period(organization) -> Period | None:
    """The organisation's period being calculated: the earliest open one."""
    return (
        Period.objects.filter(organization=organization, status=PeriodStatus.OPEN)
        .order_by("month")
        .first()
    )


# The run -----------------------------------------------------------------------------------


def run_billing(
    period: Period,
    progress: Callable[[int, int], None] | None = None,
    *,
    user=None,
    ip: str | None = None,
) -> Calculation:
    """Compute and store ``period``'s charges and penalties for all its organisation's open
    accounts, replacing what an earlier run stored for the period; the audit log keeps the
    run (``user`` started it from ``ip``; None — the system)."""
    with transaction.atomic():
        period = _locked_open(period)
        result = calculate(period, progress=progress)
        before = charged_in(period)
        _replace_lines(period, result)
        period.calculated_at = timezone.now()
        period.save(update_fields=["calculated_at"])
        total = sum((line.charged + line.recalculation for line in result.lines.values()), ZERO)
        record_replaced_lines(
            AuditAction.BILLING_RUN, period, before, (len(result.lines), total), user=user, ip=ip
        )
    return result


def charged_in(period: Period) -> tuple[int, Decimal]:
    """The number of ``period``'s charge lines and their total."""
    figures = Charge.objects.filter(period=period).aggregate(lines=Count("pk"), total=Sum("total"))
    return figures["lines"], round_money(figures["total"] or ZERO)


def record_replaced_lines(action, period, before, after, *, user, ip) -> None:
    """The audit entry of a run or an import: the period's lines and total, before → after."""
    changes = {"lines": [before[0], after[0]], "total": [plain(before[1]), plain(after[1])]}
    record(
        action=action,
        organization=period.organization,
        actor=user,
        ip=ip,
        obj=period,
        changes=changes,
        amount=after[1],
    )


def _locked_open(period: Period) -> Period:
    period = Period.objects.select_for_update().select_related("organization").get(pk=period.pk)
    if period.is_closed:
        raise BillingError(f"Период {month_name(period.month)} закрыт: он не меняется.")
    return period


def _replace_lines(period: Period, result: Calculation) -> None:
    refuse_closed(Period.objects.filter(pk=period.pk))  # the raw deletes pass by the models
    Charge.objects.filter(period=period)._raw_delete(Charge.objects.db)
    Penalty.objects.filter(period=period)._raw_delete(Penalty.objects.db)
    insert_period_rows(
        period,
        Charge,
        RUN_CHARGE_FIELDS,
        (
            (
                period.pk,
                line.account,
                line.service,
                line.tariff,
                line.volume,
                line.basis,
                line.common_volume,
                line.charged,
                line.common_charged,
                line.recalculation,
                line.total,
                line.coefficient,
                line.coefficient_charged,
                _spans_json(line.split),
            )
            for line in result.lines.values()
        ),
    )
    insert_period_rows(
        period,
        Penalty,
        PENALTY_FIELDS,
        (
            (
                period.pk,
                account,
                line.debt_month,
                line.due,
                line.first,
                line.last,
                line.debt,
                line.rate,
                line.fraction,
                line.rule,
                line.amount,
            )
            for account, lines in result.penalties.items()
            for line in lines
        ),
    )


def _spans_json(split) -> str | None:
    """``Charge.tariff_spans``: the line's parts by tariff, as the receipt shows them (written
    by hand: a line per account of the month's run, several times faster than ``json.dumps``)."""
    if not split:
        return None
    parts = ", ".join(
        f'{{"tariff": "{part.tariff}", "from": "{part.first}", "to": "{part.last}", '
        f'"days": {part.days}, "volume": "{part.volume}", "amount": "{part.amount}"}}'
        for part in split
    )
    return f"[{parts}]"


def calculate(
    period: Period,
    *,
    account_ids: list[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    with_adjustments: bool = True,
) -> Calculation:
    """``period``'s lines for the organisation's accounts (or only ``account_ids``), computed
    from today's data; with adjustments: the period's recalculations and penalties."""
    progress = progress or (lambda done, total: None)
    organization, month = period.organization, period.month
    first, last = month, calc.last_day(month)
    accounts = _accounts(organization, first, last, account_ids)
    services = list(Service.objects.filter(organization=organization).order_by("position", "pk"))
    result = Calculation(accounts=len(accounts))
    spans = _tariff_spans(services, first, last)
    tariffs = _TariffCache(spans, last)
    meters = _meter_volumes(period, accounts)
    volume_law = VolumeLaw.of(organization, first, last)
    plans = [
        _Plan.of(service) for service in services if service.method != CalculationMethod.PENALTY
    ]
    progress(0, len(accounts))
    for done, account in enumerate(accounts, start=1):
        _account_lines(account, plans, tariffs, meters, volume_law, period, result)
        if done % PROGRESS_EVERY == 0:
            progress(done, len(accounts))
    _add_common_share(period, accounts, services, result)
    if with_adjustments:
        _add_recalculations(period, result, account_ids)
        _add_penalties(period, accounts, services, result)
    _note_missing_tariffs(spans, services, accounts, result)
    progress(len(accounts), len(accounts))
    return result


def _accounts(organization, first, last, account_ids) -> list[AccountRow]:
    queryset = (
        PersonalAccount.objects.filter(organization=organization)
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=last))
        .filter(Q(is_open=True) | Q(closed_on__gte=first))
    )
    if account_ids is not None:
        queryset = queryset.filter(pk__in=account_ids)
    rows = queryset.order_by("pk").values_list(
        "pk", "premise__house", "premise", "premise__area", "premise__ownership", "share",
        "residents", "owners", "opened_on", "closed_on",
    )  # fmt: skip
    return [AccountRow(*row) for row in rows]


def _tariff_spans(services, first, last) -> dict[tuple[int, int | None], list[calc.TariffSpan]]:
    """(service, house or None for the organisation-wide tariff) → the spans in the month."""
    spans = defaultdict(list)
    for tariff in Tariff.objects.filter(service__in=services, valid_from__lte=last).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=first)
    ):
        spans[tariff.service_id, tariff.house_id].append(
            calc.TariffSpan(tariff.value, tariff.valid_from, tariff.valid_to)
        )
    return spans


class _TariffCache:
    """Month tariffs per (service, house): a house's own tariffs win over the organisation's."""

    def __init__(self, spans, month_end):
        self.spans, self.month_end, self.cache = spans, month_end, {}

    def tariff(self, service: int, house: int, first, last) -> "MonthTariff | None":
        key = (service, house, first, last)
        if key not in self.cache:
            spans = self.spans.get((service, house)) or self.spans.get((service, None), [])
            self.cache[key] = MonthTariff.of(calc.tariff_pieces(spans, first, last), first, last)
        return self.cache[key]


class MonthTariff(NamedTuple):
    """The tariff of a line: one approved tariff for all its days (``pieces`` empty), or the
    tariffs of a month in which it changed, each with its days (``pieces``), and ``value``
    the one in force on the last of them. Days without a tariff are charged nothing."""

    value: Decimal
    pieces: tuple[calc.TariffPiece, ...]
    days: int  # the days of the line

    @classmethod
    def of(cls, pieces, first, last) -> "MonthTariff | None":
        if not pieces:
            return None
        days = (last - first).days + 1
        if len(pieces) == 1 and pieces[0].days == days:
            return cls(pieces[0].value, (), days)
        return cls(pieces[-1].value, pieces, days)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the per-account loop needs of a service, read once (not per line)."""

    pk: int
    method: str
    resource: str
    ownership: str
    normative: Decimal

    @classmethod
    def of(cls, service: Service) -> "_Plan":
        return cls(service.pk, str(service.method), service.resource, service.ownership,
                   service.normative or ZERO)  # fmt: skip


AREA, AREA_NORMATIVE, NORMATIVE, FIXED, METER, WASTEWATER = (
    str(method) for method in (
        CalculationMethod.AREA, CalculationMethod.AREA_NORMATIVE, CalculationMethod.NORMATIVE,
        CalculationMethod.FIXED, CalculationMethod.METER, CalculationMethod.WASTEWATER,
    )
)  # fmt: skip


def _account_lines(account: AccountRow, plans, tariffs, meters, volume_law, period, result):
    """The lines of one account. The hot loop of the run: plain comparisons, no lookups that
    could be done once."""
    month, month_end = period.month, tariffs.month_end
    partial = (account.opened_on is not None and account.opened_on > month) or (
        account.closed_on is not None and account.closed_on < month_end
    )
    if partial:
        first, last = calc.active_days(month, account.opened_on, account.closed_on)
        share_of_month = Decimal((last - first).days + 1) / calc.days_in_month(month)
    else:
        first, last, share_of_month = month, month_end, None
    water, water_bases = ZERO, set()
    water_with_coefficient = ZERO  # of ``water``: by the normative with the coefficient
    pending_wastewater = []
    area = account.area * account.share
    persons = normative_persons(account.residents, account.owners)
    for plan in plans:
        if plan.ownership and plan.ownership != account.ownership:
            continue
        tariff = tariffs.tariff(plan.pk, account.house, first, last)
        if tariff is None:
            continue
        method = plan.method
        metered, coefficient = False, None
        if method == AREA:
            volume, basis = area, ChargeBasis.AREA
        elif method == METER:
            found = meters.get((account.pk, plan.resource))
            if found is None or found[0] is None:
                volume, basis = plan.normative * persons, ChargeBasis.NORMATIVE
                coefficient = volume_law.coefficient(account.premise, plan.resource, found)
            else:
                (volume, basis), metered = found, True
        elif method == WASTEWATER:
            pending_wastewater.append((plan, tariff))
            continue
        elif method == AREA_NORMATIVE:
            volume, basis = area * plan.normative, ChargeBasis.NORMATIVE
        elif method == NORMATIVE:
            volume, basis = plan.normative * persons, ChargeBasis.NORMATIVE
        else:  # fixed per account
            volume, basis = ONE, ChargeBasis.FIXED
        if share_of_month is not None and not metered:
            volume *= share_of_month  # the days of the month the account was open
        volume = volume.quantize(calc.VOLUME)
        if plan.resource in WATER:
            water += volume
            water_bases.add(basis)
            if coefficient is not None:
                water_with_coefficient += volume
        line = _put_line(result, account.pk, plan.pk, tariff, volume, basis)
        if coefficient is not None:
            _add_coefficient(line, coefficient, volume)
    water_basis = water_bases.pop() if len(water_bases) == 1 else ChargeBasis.AVERAGE
    for plan, tariff in pending_wastewater:
        line = _put_line(result, account.pk, plan.pk, tariff, water, water_basis)
        coefficient = volume_law.wastewater
        if water_with_coefficient and coefficient is not None:
            _add_coefficient(line, coefficient, water_with_coefficient)


def _put_line(result, account, service, tariff: MonthTariff, volume, basis) -> Line:
    """A line of ``volume`` (already rounded to the volume's places) at ``tariff``; where the
    tariff changed within the month, a part per approved tariff by its days, each rounded, the
    line's amount their sum (Правила № 354 п. 69 «в»)."""
    if not tariff.pieces:
        charged = (tariff.value * volume).quantize(KOPECK, ROUND_HALF_UP)
        line = Line(account, service, tariff.value, volume, basis, charged=charged)
    else:
        split = calc.split_by_tariffs(tariff.pieces, volume, tariff.days)
        charged = sum((part.amount for part in split), ZERO)
        line = Line(account, service, tariff.value, volume, basis, charged=charged,
                    split=split, days=tariff.days)  # fmt: skip
    result.lines[account, service] = line
    return line


def _at_tariffs(line: Line, volume: Decimal) -> Decimal:
    """What ``volume`` costs at the line's tariffs, unrounded (each tariff for its days)."""
    if not line.split:
        return line.tariff * volume
    return sum((part.tariff * volume * part.days / line.days for part in line.split), ZERO)


def _add_coefficient(line: Line, coefficient: Decimal, volume: Decimal) -> None:
    """Правила № 354, приложение № 2, formula 4 (п. 42): the charge of ``volume`` (by the
    normative) × the coefficient. The line keeps the coefficient and the excess over the charge
    without it, tariff × volume × (K − 1) to the kopeck, apart: the payment document shows both
    (Приказ Минстроя России № 43/пр)."""
    line.coefficient = coefficient
    line.coefficient_charged = round_money(_at_tariffs(line, volume) * (coefficient - 1))
    line.charged += line.coefficient_charged


class _MeterRow(NamedTuple):
    """What the run needs of a meter: rows, not model instances (a third of the time of
    ``_meter_volumes`` at 100 000 accounts went into building instances)."""

    pk: int
    account_id: int
    resource: str
    digits: int  # ``consumption`` reads the dial's size from it
    failed_from: datetime.date  # the first month after its verification date


def _meter_volumes(period, accounts) -> dict[tuple[int, str], tuple[Decimal | None, str]]:
    """(account, resource) → (volume, basis) for accounts with meters of the resource; the
    volume is None where the normative applies: ``calc.NORMATIVE`` (no readings for longer
    than Правила № 354 п. 59 «б» allows) or ``calc.FAILED`` (a meter past its verification
    for longer than п. 59 «а» allows: the normative with the increasing coefficient). Missing:
    no meter."""
    month = period.month
    ids = {account.pk for account in accounts}
    failures: dict[datetime.date, datetime.date] = {}
    meters = []
    for pk, account, resource, digits, due in Meter.objects.filter(
        account__organization=period.organization, is_active=True
    ).values_list("pk", "account", "resource", "digits", "verification_due"):
        if account in ids:
            if due not in failures:
                failures[due] = add_months(due.replace(day=1), 1)
            meters.append(_MeterRow(pk, account, resource, digits, failures[due]))
    readings = defaultdict(dict)
    for meter_id, reading_month, value in (
        Reading.objects.actual()
        .filter(
            meter__account__organization=period.organization,
            period__gte=add_months(month, -READINGS_LOOKBACK),
            period__lte=month,
        )
        .values_list("meter", "period", "value")
    ):
        readings[meter_id][reading_month] = value
    per_account = defaultdict(list)
    for meter in meters:
        per_account[meter.account_id, meter.resource].append(meter)
    estimated = _estimated_volumes(period, per_account, readings)
    volumes = {}
    for (account, resource), account_meters in per_account.items():
        total, bases = ZERO, set()
        for meter in account_meters:
            found = calc.meter_volume(
                readings[meter.pk],
                month,
                lambda previous, value, meter=meter: consumption(meter, previous, value),
                estimated.get((account, resource)) if len(account_meters) == 1 else None,
                meter.failed_from,
            )
            bases.add(found.how)
            if found.volume is not None:
                total += found.volume
        if calc.FAILED in bases:
            volumes[account, resource] = (None, calc.FAILED)
        elif calc.NORMATIVE in bases:
            volumes[account, resource] = (None, calc.NORMATIVE)
        else:
            basis = ChargeBasis.READING if bases == {calc.READING} else ChargeBasis.AVERAGE
            volumes[account, resource] = (total, basis)
    return volumes


def _estimated_volumes(period, per_account, readings):
    """(account, resource) → {month: volume} charged by estimate in the months since the
    meter's previous reading, for meters read this month after a gap."""
    wanted = set()
    for (account, resource), account_meters in per_account.items():
        if len(account_meters) != 1:
            continue
        marks = readings[account_meters[0].pk]
        earlier = [m for m in marks if m < period.month]
        if period.month in marks and earlier and max(earlier) < add_months(period.month, -1):
            wanted.add((account, resource))
    if not wanted:
        return {}
    found = defaultdict(dict)
    rows = Charge.objects.filter(
        period__organization=period.organization,
        period__status=PeriodStatus.CLOSED,
        period__month__gte=add_months(period.month, -READINGS_LOOKBACK),
        period__month__lt=period.month,
        service__method=CalculationMethod.METER,
        account__in={account for account, _ in wanted},
    ).values_list("account", "service__resource", "period__month", "volume", "basis")
    for account, resource, month, volume, basis in rows:
        if (account, resource) in wanted and basis != ChargeBasis.READING:
            found[account, resource][month] = volume
    return found


def _add_common_share(period, accounts, services, result) -> None:
    """ОДН from the house meters read this month and last month, shared by area."""
    metered = {s.resource: s for s in services if s.method == CalculationMethod.METER}
    if not metered:
        return
    house_volumes = _house_volumes(period, set(metered))
    houses = defaultdict(list)
    for account in accounts:
        houses[account.house].append(account)
    for (house, resource), house_volume in house_volumes.items():
        service = metered[resource]
        lines = [
            (account, line)
            for account in houses.get(house, ())
            if (line := result.lines.get((account.pk, service.pk)))
        ]
        individual = sum((line.volume for _, line in lines), ZERO)
        areas = {account.pk: account.area * account.share for account, _ in lines}
        shares = calc.common_volumes(house_volume, individual, areas)
        for account, line in lines:
            common = shares.get(account.pk, ZERO)
            line.common_volume = common
            line.common_charged = round_money(_at_tariffs(line, common))
            line.charged += line.common_charged


def _house_volumes(period, resources) -> dict[tuple[int, str], Decimal]:
    previous = add_months(period.month, -1)
    meters = {
        meter.pk: meter
        for meter in Meter.objects.filter(
            house__organization=period.organization, is_active=True, resource__in=resources
        )
    }
    values = defaultdict(dict)
    for meter_id, month, value in (
        Reading.objects.actual()
        .filter(meter__in=meters, period__in=[previous, period.month])
        .values_list("meter", "period", "value")
    ):
        values[meter_id][month] = value
    volumes = defaultdict(Decimal)
    for meter_id, marks in values.items():
        if len(marks) == 2:
            meter = meters[meter_id]
            used = consumption(meter, marks[previous], marks[period.month])
            volumes[meter.house_id, meter.resource] += used
    return volumes


def _add_recalculations(period, result, account_ids) -> None:
    recalculations = Recalculation.objects.filter(period=period)
    if account_ids is not None:
        recalculations = recalculations.filter(account__in=account_ids)
    for account, service, amount in recalculations.values_list("account", "service", "amount"):
        line = result.lines.get((account, service))
        if line is None:
            line = result.lines[account, service] = Line(account, service, ZERO, ZERO, "")
        line.recalculation += amount


def _note_missing_tariffs(spans, services, accounts, result) -> None:
    houses = {account.house for account in accounts}
    for service in services:
        if service.method == CalculationMethod.PENALTY:
            continue
        if not any((service.pk, h) in spans for h in (*houses, None)):
            result.problems.append(f"У услуги «{service}» нет тарифа на этот месяц: не начислена.")


# Penalties --------------------------------------------------------------------------------


def _add_penalties(period, accounts, services, result) -> None:
    penalty_service = next((s for s in services if s.method == CalculationMethod.PENALTY), None)
    if penalty_service is None:
        return
    law = penalty_law(period.organization)
    if not law.key_rates:
        result.problems.append("Нет ключевой ставки: пени не начислены.")
        return
    for account, lines in penalty_lines_for(period, [a.pk for a in accounts], law).items():
        amount = sum((line.amount for line in lines), ZERO)
        if amount:
            result.penalties[account] = lines
            result.lines[account, penalty_service.pk] = Line(
                account, penalty_service.pk, ZERO, ZERO, "", charged=amount
            )


def penalty_lines_for(period, account_ids, law) -> dict[int, list[calc.PenaltyLine]]:
    """Each account's penalty lines for the days of ``period`` on the principal debt (charges
    of closed months without penalties) not paid in time, oldest debt paid first.

    Only the debt of the months before the previous one can be 31 days late in this month
    (the previous month's is due in it), and payments settle it before any later month's, so
    later months are not read. Only accounts that had not paid it off by the end of the previous
    month can owe penalties: their stored balances say which (opening above the month's
    payments; a payment recorded since can only lower a debt)."""
    organization, month = period.organization, period.month
    first, last = month, calc.last_day(month)
    since = add_months(month, -PENALTY_LOOKBACK)
    published = Charge.objects.filter(
        period__organization=organization,
        period__status=PeriodStatus.CLOSED,
        period__month__lt=add_months(month, -1),
    ).exclude(service__method=CalculationMethod.PENALTY)
    payments = Payment.objects.filter(account__organization=organization, paid_on__lte=last)
    balances = AccountBalance.objects.filter(
        period__organization=organization, period__month=add_months(month, -1)
    )
    if balances.exists():
        debtors = balances.filter(opening__gt=F("paid")).values("account")
        published = published.filter(account__in=debtors)
        payments = payments.filter(account__in=debtors)
    older = dict(
        published.filter(period__month__lt=since)
        .values("account")
        .annotate(total=Sum("total"))
        .values_list("account", "total")
    )
    monthly = defaultdict(list)
    dues: dict[datetime.date, datetime.date] = {}
    for account, charged_month, total in (
        published.filter(period__month__gte=since)
        .values("account", "period__month")
        .annotate(total=Sum("total"))
        .values_list("account", "period__month", "total")
        .order_by("account", "period__month")
    ):
        if charged_month not in dues:
            dues[charged_month] = calc.due_date(charged_month, organization.payment_due_day, law)
        due = dues[charged_month]
        monthly[account].append(calc.Debt(charged_month, due, round_money(total)))
    paid_before = dict(
        payments.filter(paid_on__lt=first)
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    in_month = defaultdict(list)
    for account, paid_on, amount in payments.filter(paid_on__gte=first).values_list(
        "account", "paid_on", "amount"
    ):
        in_month[account].append((paid_on, amount))
    found = {}
    wanted = set(account_ids)
    for account, debts in monthly.items():
        if account not in wanted:
            continue
        paid = round_money(paid_before.get(account) or ZERO) - round_money(
            older.get(account) or ZERO
        )
        lines = calc.penalty_lines(debts, paid, in_month.get(account, []), first, last, law)
        if lines:
            found[account] = lines
    return found


# Closing -----------------------------------------------------------------------------------


def close_period(period: Period, user=None, *, ip: str | None = None) -> Period:
    """Freeze ``period``: store each account's balances, open the next month, and (after the
    commit) send ``period_closed``, which starts the e-receipt mailing. Returns the next period.
    The audit log keeps the closing, by ``user`` from ``ip``, with the month's total."""
    asked = period
    with transaction.atomic():
        period = _locked_open(period)
        earlier_open = Period.objects.filter(
            organization=period.organization, status=PeriodStatus.OPEN, month__lt=period.month
        )
        if earlier_open.exists():
            raise BillingError("Сначала закройте более ранний открытый период.")
        if period.calculated_at is None:
            raise BillingError(
                "Период ещё не рассчитан: выполните расчёт или загрузите начисления."
            )
        if period.month > timezone.localdate():
            raise BillingError("Месяц ещё не начался: закрывать его рано.")
        total = _store_balances(period)
        period.status = PeriodStatus.CLOSED
        period.closed_at = timezone.now()
        period.save(update_fields=["status", "closed_at"])
        record(
            action=AuditAction.PERIOD_CLOSED,
            organization=period.organization,
            actor=user,
            ip=ip,
            obj=period,
            changes={"status": [PeriodStatus.OPEN, PeriodStatus.CLOSED]},
            amount=total,
        )
        asked.status, asked.closed_at = period.status, period.closed_at
        following, _ = Period.objects.get_or_create(
            organization=period.organization, month=add_months(period.month, 1)
        )
        transaction.on_commit(lambda: period_closed.send(sender=Period, period=period))
    return following


def _sums(queryset, *group, **sums) -> dict:
    named = {f"sum_{name}": expression for name, expression in sums.items()}
    rows = queryset.values(*group).annotate(**named).values_list(*group, *named)
    return {row[: len(group)] if len(group) > 1 else row[0]: row[len(group) :] for row in rows}


def _store_balances(period: Period) -> Decimal:
    """Each account's opening and closing balance (ledger.py's figures) for the period.
    Returns the month's total charged (with recalculations and penalties)."""
    organization, month = period.organization, period.month
    next_month = add_months(month, 1)
    charges = Charge.objects.filter(
        Q(period__status=PeriodStatus.CLOSED) | Q(period=period),
        period__organization=organization,
    )
    is_penalty = Q(service__method=CalculationMethod.PENALTY)
    before = _sums(charges.filter(period__month__lt=month), "account", total=Sum("total"))
    this_month = _sums(
        charges.filter(period=period),
        "account",
        charged=Sum("charged", filter=~is_penalty),
        recalculation=Sum("recalculation"),
        penalties=Sum("charged", filter=is_penalty),
    )
    payments = Payment.objects.filter(account__organization=organization, paid_on__lt=next_month)
    paid_before = _sums(payments.filter(paid_on__lt=month), "account", total=Sum("amount"))
    paid_now = _sums(payments.filter(paid_on__gte=month), "account", total=Sum("amount"))
    accounts = set(before) | set(this_month) | set(paid_before) | set(paid_now)

    def money(table, account, index=0):
        row = table.get(account)
        return round_money((row[index] if row else None) or ZERO)

    rows, total = [], ZERO
    for account in sorted(accounts):
        opening = money(before, account) - money(paid_before, account)
        charged, recalculation, penalties = (money(this_month, account, i) for i in range(3))
        paid = money(paid_now, account)
        closing = opening + charged + recalculation + penalties - paid
        total += charged + recalculation + penalties
        rows.append((period.pk, account, opening, charged, recalculation, penalties, paid, closing))
    fields = ["period", "account", "opening", "charged", "recalculation", "penalties", "paid"]
    insert_period_rows(period, AccountBalance, [*fields, "closing"], rows)
    return total


# Recalculations ----------------------------------------------------------------------------


def recalculation_amount(account, service, corrected: Period, kind: str, **params) -> Decimal:
    """What a correction of the closed period ``corrected`` changes for ``account``'s
    ``service`` (minus is a reduction); ``BillingError`` when it cannot be made or changes
    nothing."""
    amount = _correction(account, service, corrected, kind, **params)
    if amount == 0:
        raise BillingError("Перерасчёт ничего не меняет: сумма равна нулю.")
    return amount


def _correction(
    account,
    service,
    corrected: Period,
    kind: str,
    *,
    days: int | None = None,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
) -> Decimal:
    """The amount of a correction, by its kind:

    - reading: the line computed again from today's readings, less what was charged;
    - absence: for a volume by the normative per person, the charge for ``days`` of the month;
    - quality: ``percent`` of the charge for the service of poor quality;
    - other: ``amount`` as staff give it."""
    if not (account.organization_id == service.organization_id == corrected.organization_id):
        raise BillingError("Лицевой счёт, услуга и период — разных организаций.")
    if not corrected.is_closed:
        raise BillingError("Перерасчёт исправляет закрытый период.")
    charged = Charge.objects.filter(period=corrected, account=account, service=service).first()
    individual = (charged.charged - charged.common_charged) if charged else ZERO
    if kind == RecalculationKind.READING:
        if service.method != CalculationMethod.METER:
            raise BillingError("Показания исправляют только услугу по счётчику.")
        fresh = calculate(corrected, account_ids=[account.pk], with_adjustments=False)
        line = fresh.lines.get((account.pk, service.pk))
        new = (line.charged - line.common_charged) if line else ZERO
        return new - individual
    if kind == RecalculationKind.ABSENCE:
        if (
            charged is None
            or charged.basis != ChargeBasis.NORMATIVE
            or service.method in {CalculationMethod.AREA_NORMATIVE}
        ):
            raise BillingError(
                "За временное отсутствие пересчитывается только начисленное по нормативу на "
                "человека."
            )
        month_days = calc.days_in_month(corrected.month)
        if not days or not 1 <= days <= month_days:
            raise BillingError(f"Число дней отсутствия — от 1 до {month_days}.")
        return -round_money(individual * days / month_days)
    if kind == RecalculationKind.QUALITY:
        if percent is None or not 0 < percent <= 100:
            raise BillingError("Снижение платы — от 0 до 100 %.")
        return -round_money(individual * percent / 100)
    if amount is None:
        raise BillingError("Укажите сумму перерасчёта.")
    return amount


def add_recalculation(account, service, corrected: Period, kind: str, reason: str, user=None,
                      ip: str | None = None, **params) -> Recalculation:  # fmt: skip
    """Record a correction of a closed period, to be charged in the organisation's open period
    (its next run adds it to the line of the service); the audit log keeps who and from where."""
    period = open_period(account.organization)
    if period is None:
        raise BillingError("Нет открытого периода.")
    amount = recalculation_amount(account, service, corrected, kind, **params)
    with transaction.atomic():
        period = _locked_open(period)
        recalculation = Recalculation.objects.create(
            period=period, corrected_period=corrected, account=account, service=service,
            amount=amount, kind=kind, reason=reason, created_by=user,
        )  # fmt: skip
        _apply_to_line(period, account, service, amount)
        record(
            action=AuditAction.RECALCULATION_ADDED,
            organization=account.organization,
            actor=user,
            ip=ip,
            obj=recalculation,
            changes=added(recalculation),
            amount=amount,
        )
    return recalculation


def delete_recalculation(recalculation: Recalculation, *, user=None, ip: str | None = None) -> None:
    """Take back a recalculation of the open period (and its amount from the period's line)."""
    with transaction.atomic():
        period = _locked_open(recalculation.period)
        _apply_to_line(period, recalculation.account, recalculation.service, -recalculation.amount)
        record(
            action=AuditAction.RECALCULATION_DELETED,
            organization=period.organization,
            actor=user,
            ip=ip,
            obj=recalculation,
            changes=deleted(recalculation),
            amount=recalculation.amount,
        )
        recalculation.delete()


def _apply_to_line(period, account, service, amount) -> None:
    """A calculated period shows a recalculation at once; a run would give the same line."""
    if period.calculated_at is None:
        return
    line, _ = Charge.objects.get_or_create(
        period=period, account=account, service=service,
        defaults={"tariff": ZERO, "volume": ZERO, "charged": ZERO, "total": ZERO},
    )  # fmt: skip
    line.recalculation += amount
    line.save()
