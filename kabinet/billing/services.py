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
    PENALTY_METHODS,
    AccountBalance,
    CalculationMethod,
    CapitalRepairFund,
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
from kabinet.billing.selectors import monthly_debts, principal_charges
from kabinet.billing.signals import period_closed
from kabinet.billing.volumes import VolumeLaw, normative_persons
from kabinet.formats import month_name
from kabinet.housing.models import PersonalAccount
from kabinet.metering.checks import consumption, months_between
from kabinet.metering.models import Meter, Reading, Resource
from kabinet.money import KOPECK, MONEY_FIELD, ZERO, fits, round_money
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
    "fraction", "rule", "capital_repair", "amount",
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
    # ЖК РФ ст. 155 ч. 14.1: the penalty on capital repair contributions, a stream of its own
    capital_repair_penalties: dict[int, list[calc.PenaltyLine]] = field(default_factory=dict)
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
                capital_repair,
                line.amount,
            )
            for stream, capital_repair in (
                (result.penalties, False),
                (result.capital_repair_penalties, True),
            )
            for account, lines in stream.items()
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
    corrected_volumes: dict | None = None,
) -> Calculation:
    """``period``'s lines for the organisation's accounts (or only ``account_ids``), computed
    from today's data; with adjustments: the period's recalculations and penalties.
    ``corrected_volumes`` ((account, resource, month) → (volume, basis)) stands for the stored
    lines of earlier months that a correction being computed changes (``_estimated_volumes``)."""
    progress = progress or (lambda done, total: None)
    organization, month = period.organization, period.month
    first, last = month, calc.last_day(month)
    accounts = _accounts(organization, first, last, account_ids)
    services = list(Service.objects.filter(organization=organization).order_by("position", "pk"))
    result = Calculation(accounts=len(accounts))
    spans = _tariff_spans(services, first, last)
    tariffs = _TariffCache(spans, last)
    meters = _meter_volumes(period, accounts, corrected_volumes)
    volume_law = VolumeLaw.of(organization, first, last)
    plans = [_Plan.of(service) for service in services if service.method not in PENALTY_METHODS]
    # Capital repair only for the houses that collect it (a CapitalRepairFund): elsewhere the
    # owners pay the regional operator on its own documents, or nothing.
    funded = capital_repair_houses(organization)
    plain_plans = [
        plan for plan, service in zip(plans, _charged(services), strict=True)
        if service.method != CalculationMethod.CAPITAL_REPAIR
    ]  # fmt: skip
    progress(0, len(accounts))
    for done, account in enumerate(accounts, start=1):
        account_plans = plans if account.house in funded else plain_plans
        _account_lines(account, account_plans, tariffs, meters, volume_law, period, result)
        if done % PROGRESS_EVERY == 0:
            progress(done, len(accounts))
    _add_common_share(period, accounts, services, result)
    if with_adjustments:
        _add_recalculations(period, result, account_ids)
        _add_penalties(period, accounts, services, result)
        _add_capital_repair_penalties(period, accounts, services, funded, result)
    _note_missing_tariffs(spans, services, accounts, result, funded)
    progress(len(accounts), len(accounts))
    return result


def _charged(services) -> list[Service]:
    """The services the run charges by a method (not the penalties it computes)."""
    return [service for service in services if service.method not in PENALTY_METHODS]


def capital_repair_houses(organization) -> frozenset[int]:
    """The organisation's houses that collect capital repair contributions through it."""
    return frozenset(
        CapitalRepairFund.objects.filter(house__organization=organization).values_list(
            "house", flat=True
        )
    )


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
        # A capital repair contribution is billed per m² of the premise × the account's share,
        # as a by-area service is (ЖК РФ ст. 158 ч. 1, ст. 169 ч. 1).
        method = AREA if service.method == CalculationMethod.CAPITAL_REPAIR else service.method
        return cls(service.pk, str(method), service.resource, service.ownership,
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


def _meter_volumes(
    period, accounts, corrected_volumes=None
) -> dict[tuple[int, str], tuple[Decimal | None, str]]:
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
    estimated = _estimated_volumes(period, per_account, readings, corrected_volumes)
    volumes = {}
    for (account, resource), account_meters in per_account.items():
        total, bases = ZERO, set()
        for meter in account_meters:
            found = calc.meter_volume(
                readings[meter.pk],
                month,
                lambda previous, value, meter=meter: consumption(meter, previous, value),
                estimated.get(meter.pk),
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


def _estimated_volumes(
    period, per_account, readings, corrected_volumes=None
) -> dict[int, dict[datetime.date, Decimal]]:
    """meter → {month: volume} charged by estimate for it in the months since its previous
    reading, for meters read this month after a gap: the reading's difference covers those
    months, so what they were charged is taken off (Правила № 354 п. 59–61) — as corrected
    since by reading recalculations (their ``volume``), or by ``corrected_volumes``.

    A line is per account and resource, so with several meters of a resource each meter's part
    is its own: its average (``calculation.meter_volume``) in a month charged by averages, and
    an equal share among the meters not read that month of a volume charged by the normative
    (the normative stood for all of them). With one meter, the line's volume is its own."""
    month = period.month
    gaps: dict[tuple[int, str], list] = {}  # (account, resource) → [(meter, months of its gap)]
    for key, account_meters in per_account.items():
        for meter in account_meters:
            marks = readings[meter.pk]
            earlier = [m for m in marks if m < month]
            if month in marks and earlier and max(earlier) < add_months(month, -1):
                gap = {add_months(max(earlier), step)
                       for step in range(1, months_between(max(earlier), month))}  # fmt: skip
                gaps.setdefault(key, []).append((meter, gap))
    if not gaps:
        return {}
    charged = defaultdict(dict)
    rows = Charge.objects.filter(
        period__organization=period.organization,
        period__status=PeriodStatus.CLOSED,
        period__month__gte=add_months(month, -READINGS_LOOKBACK),
        period__month__lt=month,
        service__method=CalculationMethod.METER,
        account__in={account for account, _ in gaps},
    ).values_list("account", "service__resource", "period__month", "volume", "basis")
    for account, resource, charged_month, volume, basis in rows:
        if (account, resource) in gaps and basis != ChargeBasis.READING:
            charged[account, resource][charged_month] = (volume, basis)
    for account, resource, corrected_month, change in (
        Recalculation.objects.filter(
            account__in={account for account, _ in gaps},
            kind=RecalculationKind.READING,
            volume__isnull=False,
            corrected_period__organization=period.organization,
            corrected_period__month__gte=add_months(month, -READINGS_LOOKBACK),
            corrected_period__month__lt=month,
        )
        .values("account", "service__resource", "corrected_period__month")
        .annotate(change=Sum("volume"))
        .values_list("account", "service__resource", "corrected_period__month", "change")
    ):
        if corrected_month in charged.get((account, resource), {}):
            volume, basis = charged[account, resource][corrected_month]
            charged[account, resource][corrected_month] = (calc.volume(volume + change), basis)
    for (account, resource, corrected_month), (volume, basis) in (corrected_volumes or {}).items():
        if (account, resource) not in gaps:
            continue
        if basis == ChargeBasis.READING:
            charged[account, resource].pop(corrected_month, None)
        else:
            charged[account, resource][corrected_month] = (volume, basis)
    found = defaultdict(dict)
    for key, meters_in_gap in gaps.items():
        account_meters = per_account[key]
        for meter, gap in meters_in_gap:
            for charged_month, (volume, basis) in charged[key].items():
                if charged_month not in gap:
                    continue
                if len(account_meters) == 1:
                    found[meter.pk][charged_month] = volume
                elif basis == ChargeBasis.NORMATIVE:
                    unread = [m for m in account_meters if charged_month not in readings[m.pk]]
                    found[meter.pk][charged_month] = calc.volume(volume / len(unread))
                else:
                    own = calc.meter_volume(
                        readings[meter.pk],
                        charged_month,
                        lambda previous, value, meter=meter: consumption(meter, previous, value),
                    )
                    found[meter.pk][charged_month] = own.volume or ZERO
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


def _note_missing_tariffs(spans, services, accounts, result, funded) -> None:
    houses = {account.house for account in accounts}
    for service in _charged(services):
        if service.method == CalculationMethod.CAPITAL_REPAIR and not houses & funded:
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
    of closed months without penalties) not paid in time; payments settle the month they name,
    the rest the oldest debt first (``calculation.allocate_payments``, ГК РФ ст. 319.1).

    Only the debt of the months before the previous one can be 31 days late in this month (the
    previous month's is due in it), so later months are not read — but for accounts with a
    payment naming the previous month, which takes that payment. Only accounts that had not
    paid it off by the end of the previous month can owe penalties: their stored balances say
    which (opening above the month's payments; a payment recorded since can only lower a
    debt)."""
    organization, month = period.organization, period.month
    first, last = month, calc.last_day(month)
    since, previous = add_months(month, -PENALTY_LOOKBACK), add_months(month, -1)
    # Capital repair contributions, their penalty and the payments to their payee are the
    # ч. 14.1 stream (capital_repair_penalty_lines_for), never this one.
    payments = Payment.objects.filter(
        account__organization=organization, paid_on__lte=last, capital_repair=False
    )
    naming_previous = payments.filter(period__gte=previous, period__lt=month).values("account")
    published = principal_charges(organization).filter(
        Q(period__month__lt=previous) | Q(period__month=previous, account__in=naming_previous)
    )
    balances = AccountBalance.objects.filter(
        period__organization=organization, period__month=previous
    )
    if balances.exists():
        # The stored balance mixes both payees: an overpaid contribution could hide a debt
        # of the rest, so the accounts of houses collecting contributions are always read.
        owing = Q(opening__gt=F("paid"))
        if funded := capital_repair_houses(organization):
            owing |= Q(account__premise__house__in=funded)
        debtors = balances.filter(owing).values("account")
        published = published.filter(account__in=debtors)
        payments = payments.filter(account__in=debtors)
    older = dict(
        published.filter(period__month__lt=since)
        .values("account")
        .annotate(total=Sum("total"))
        .values_list("account", "total")
    )
    monthly = monthly_debts(published.filter(period__month__gte=since), organization, law)
    paid_before, named_before = _paid_before(payments.filter(paid_on__lt=first), since)
    in_month = defaultdict(list)
    for account, paid_on, amount, named in payments.filter(paid_on__gte=first).values_list(
        "account", "paid_on", "amount", "period"
    ):
        in_month[account].append((paid_on, amount, named and named.replace(day=1)))
    found = {}
    wanted = set(account_ids)
    for account, debts in monthly.items():
        if account not in wanted:
            continue
        paid = paid_before.get(account, ZERO) - round_money(older.get(account) or ZERO)
        lines = calc.penalty_lines(
            debts, paid, in_month.get(account, []), first, last, law,
            named_before=named_before.get(account),
        )  # fmt: skip
        if lines:
            found[account] = lines
    return found


def _paid_before(payments, since) -> tuple[dict[int, Decimal], dict[int, dict]]:
    """What ``payments`` brought per account: the sum naming no month (or a month before
    ``since``, whose debt is taken as a whole), and month → sum for the months they name."""
    unnamed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    named: dict[int, dict[datetime.date, Decimal]] = defaultdict(dict)
    for account, month, total in (
        payments.values("account", "period")
        .annotate(total=Sum("amount"))
        .values_list("account", "period", "total")
    ):
        total = round_money(total)
        if month is None or month < since:
            unnamed[account] += total
        else:
            month = month.replace(day=1)
            named[account][month] = named[account].get(month, ZERO) + total
    return unnamed, named


def _add_capital_repair_penalties(period, accounts, services, funded, result) -> None:
    """The penalty on capital repair contributions (ЖК РФ ст. 155 ч. 14.1), charged on its
    own service so that the card and the receipt show it apart from the ч. 14 penalty."""
    if not funded:
        return
    service = next(
        (s for s in services if s.method == CalculationMethod.CAPITAL_REPAIR_PENALTY), None
    )
    if service is None:
        result.problems.append(
            "Нет услуги «пени на взносы на капитальный ремонт»: пени по ЖК РФ ст. 155 ч. 14.1 "
            "не начислены."
        )
        return
    law = penalty_law(period.organization)
    if not law.key_rates:
        return  # _add_penalties has said so
    ids = [account.pk for account in accounts if account.house in funded]
    for account, lines in capital_repair_penalty_lines_for(period, ids, law).items():
        amount = sum((line.amount for line in lines), ZERO)
        if amount:
            result.capital_repair_penalties[account] = lines
            result.lines[account, service.pk] = Line(
                account, service.pk, ZERO, ZERO, "", charged=amount
            )


def capital_repair_penalty_lines_for(period, account_ids, law) -> dict[int, list]:
    """Each account's ч. 14.1 penalty lines for the days of ``period``: on the contributions
    of closed months (with their recalculations, without any penalty) not paid in time, less
    the payments made to the capital repair payee (``Payment.capital_repair``), oldest month
    paid first. 1/300 of the rate from the day after the due date (``capital_repair_fraction``);
    the key rate, its caps and the moratoria are the same dated data as for ч. 14 (Постановления
    № 474, № 329, № 424 and № 497 name capital repair contributions too: docs/billing-law.md)."""
    if not account_ids:
        return {}
    organization, month = period.organization, period.month
    first, last = month, calc.last_day(month)
    since = add_months(month, -PENALTY_LOOKBACK)
    contributions = Charge.objects.filter(
        period__organization=organization,
        period__status=PeriodStatus.CLOSED,
        period__month__lt=month,  # last month's is due in this one: late from the next day
        service__method=CalculationMethod.CAPITAL_REPAIR,
        account__in=account_ids,
    )
    payments = Payment.objects.filter(
        account__in=account_ids, paid_on__lte=last, capital_repair=True
    )
    older = dict(
        contributions.filter(period__month__lt=since)
        .values("account")
        .annotate(total=Sum("total"))
        .values_list("account", "total")
    )
    monthly = monthly_debts(contributions.filter(period__month__gte=since), organization, law)
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
    for account, debts in monthly.items():
        paid = round_money(paid_before.get(account) or ZERO) - round_money(
            older.get(account) or ZERO
        )
        lines = calc.penalty_lines(
            debts, paid, in_month.get(account, []), first, last, law,
            fraction_of=calc.capital_repair_fraction,
        )  # fmt: skip
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
    is_penalty = Q(service__method__in=PENALTY_METHODS)
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


@dataclass(frozen=True)
class MonthCorrection:
    """What a correction changes in one closed month (``volume``: for a reading correction,
    the change of the month's individual volume)."""

    period: Period
    amount: Decimal
    volume: Decimal | None = None


def recalculation_amounts(account, service, corrected: Period, kind: str,
                          **params) -> list[MonthCorrection]:  # fmt: skip
    """What a correction of the closed period ``corrected`` changes for ``account``'s
    ``service``, month by month (minus is a reduction; months it does not change are left
    out); ``BillingError`` when it cannot be made or changes nothing."""
    _check_correctable(account, service, corrected)
    if kind == RecalculationKind.READING:
        months = _reading_corrections(account, service, corrected)
    else:
        months = [MonthCorrection(corrected, _correction(account, service, corrected, kind,
                                                         **params))]  # fmt: skip
    months = [month for month in months if month.amount != 0]
    if not months:
        raise BillingError("Перерасчёт ничего не меняет: сумма равна нулю.")
    return months


def _check_correctable(account, service, corrected: Period) -> None:
    if not (account.organization_id == service.organization_id == corrected.organization_id):
        raise BillingError("Лицевой счёт, услуга и период — разных организаций.")
    if not corrected.is_closed:
        raise BillingError("Перерасчёт исправляет закрытый период.")


def _reading_corrections(account, service, corrected: Period) -> list[MonthCorrection]:
    """A reading correction, for the corrected month and every later closed month its
    reading reaches: the months charged by averages it was the base of, and the next reading's
    difference, which takes off the estimates as corrected (Правила № 354 п. 59–61). Each month
    is computed again from today's readings, less what was charged and corrected before."""
    if service.method != CalculationMethod.METER:
        raise BillingError("Показания исправляют только услугу по счётчику.")
    periods = list(
        Period.objects.filter(
            organization=corrected.organization,
            status=PeriodStatus.CLOSED,
            month__gte=corrected.month,
            month__lte=add_months(corrected.month, READINGS_LOOKBACK),
        ).order_by("month")
    )
    charged = {
        period: (volume, charged - common)
        for period, volume, charged, common in Charge.objects.filter(
            period__in=periods, account=account, service=service
        ).values_list("period", "volume", "charged", "common_charged")
    }
    before = {
        period: (volume or ZERO, amount)
        for period, volume, amount in Recalculation.objects.filter(
            account=account, service=service, kind=RecalculationKind.READING,
            corrected_period__in=periods,
        )
        .values("corrected_period")
        .annotate(volume=Sum("volume"), amount=Sum("amount"))
        .values_list("corrected_period", "volume", "amount")
    }  # fmt: skip
    months, corrected_volumes = [], {}
    for period in periods:
        fresh = calculate(period, account_ids=[account.pk], with_adjustments=False,
                          corrected_volumes=corrected_volumes)  # fmt: skip
        line = fresh.lines.get((account.pk, service.pk))
        new_volume, new_amount = (
            (line.volume, line.charged - line.common_charged) if line else (ZERO, ZERO)
        )
        if line:
            corrected_volumes[account.pk, service.resource, period.month] = (
                line.volume,
                line.basis,
            )
        old_volume, old_amount = charged.get(period.pk, (ZERO, ZERO))
        volume_before, amount_before = before.get(period.pk, (ZERO, ZERO))
        months.append(
            MonthCorrection(
                period,
                new_amount - old_amount - round_money(amount_before),
                calc.volume(new_volume - old_volume - volume_before),
            )
        )
    return months


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
    """The amount of a correction of one month, by its kind (a reading correction, which may
    reach later months, is ``_reading_corrections``):

    - absence: for a volume by the normative per person, the charge for ``days`` of the month;
    - quality: ``percent`` of the charge for the service of poor quality;
    - other: ``amount`` as staff give it."""
    charged = Charge.objects.filter(period=corrected, account=account, service=service).first()
    individual = (charged.charged - charged.common_charged) if charged else ZERO
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
                      ip: str | None = None, **params) -> list[Recalculation]:  # fmt: skip
    """Record a correction of a closed period — one recalculation per month it changes, each
    naming its month — to be charged in the organisation's open period (its next run adds them
    to the line of the service); the audit log keeps who and from where."""
    period = open_period(account.organization)
    if period is None:
        raise BillingError("Нет открытого периода.")
    months = recalculation_amounts(account, service, corrected, kind, **params)
    made = []
    with transaction.atomic():
        period = _locked_open(period)
        for month in months:
            _check_line_fits(period, account, service, month.amount)
            recalculation = Recalculation.objects.create(
                period=period, corrected_period=month.period, account=account, service=service,
                amount=month.amount, volume=month.volume, kind=kind, reason=reason,
                created_by=user,
            )  # fmt: skip
            _apply_to_line(period, account, service, month.amount)
            record(
                action=AuditAction.RECALCULATION_ADDED,
                organization=account.organization,
                actor=user,
                ip=ip,
                obj=recalculation,
                changes=added(recalculation),
                amount=month.amount,
            )
            made.append(recalculation)
    return made


def _check_line_fits(period, account, service, amount) -> None:
    """The line's recalculations and total, with ``amount`` added, must fit their columns: each
    recalculation fits, their sum need not."""
    line = Recalculation.objects.filter(period=period, account=account, service=service)
    recalculated = line.aggregate(sum=Sum("amount"))["sum"] or ZERO
    total = (
        Charge.objects.filter(period=period, account=account, service=service)
        .values_list("total", flat=True)
        .first()
    ) or ZERO
    if not all(fits(value + amount, **MONEY_FIELD) for value in (recalculated, total)):
        raise BillingError("Перерасчёт не записан: сумма по этой услуге стала бы слишком большой.")


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
