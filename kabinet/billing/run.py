"""The monthly billing run: a period's charges — by area, normative, meter (with the volumes
by Правила № 354) and the common share — with its recalculations and penalties.

The run goes by parts of whole houses (``billed.plan_parts``): each part's data read set-wise
(a dozen queries, whatever the number of its accounts), its lines computed in memory with
``calculation`` and written before the next part; it replaces the open period's lines in one
transaction, so running it again gives the same lines and a failure leaves the previous ones.
On PostgreSQL the charge lines are written to a stage and switched in as the period's partition
at the end (``billing.partitions``).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import plain, record
from kabinet.billing import calculation as calc
from kabinet.billing.billed import accounts_of, house_accounts, ids_in, plan_parts
from kabinet.billing.bulk import without_cycle_collection
from kabinet.billing.common_share import WATER, add_common_share
from kabinet.billing.heating import HeatingMonth
from kabinet.billing.instalments import add_instalments
from kabinet.billing.lines import (
    AccountRow,
    BillingError,
    Calculation,
    Line,
    RunSummary,
    at_tariffs,
    capital_repair_houses,
)
from kabinet.billing.meter_volumes import READINGS_LOOKBACK as READINGS_LOOKBACK  # recalculations
from kabinet.billing.meter_volumes import meter_volumes
from kabinet.billing.models import (
    INSTALMENT_METHODS,
    PENALTY_METHODS,
    CalculationMethod,
    Charge,
    ChargeBasis,
    Period,
    PeriodStatus,
    Recalculation,
    Service,
    Tariff,
)
from kabinet.billing.partitions import own_stage, partitioned
from kabinet.billing.penalties import add_capital_repair_penalties, add_penalties
from kabinet.billing.volumes import VolumeLaw, normative_persons
from kabinet.billing.writing import finish_lines, start_lines, write_lines
from kabinet.formats import month_name
from kabinet.metering.models import Resource
from kabinet.money import KOPECK, ZERO, round_money

NOT_BY_METHOD = (*PENALTY_METHODS, *INSTALMENT_METHODS)
ONE = Decimal(1)
VOLUME = calc.VOLUME  # a volume's places


def open_period(organization) -> Period | None:
    """The organisation's period being calculated: the earliest open one."""
    return (
        Period.objects.filter(organization=organization, status=PeriodStatus.OPEN)
        .order_by("month")
        .first()
    )


def run_billing(
    period: Period,
    progress: Callable[[int, int], None] | None = None,
    *,
    user=None,
    ip: str | None = None,
) -> RunSummary:
    """Compute and store ``period``'s charges and penalties for all its organisation's open
    accounts, replacing what an earlier run stored for the period; the audit log keeps the
    run (``user`` started it from ``ip``; None — the system).

    In this process and one transaction, part after part (whole houses of about
    ``billed.PART_ACCOUNTS`` accounts each, written before the next is computed: the memory is one
    part's). Staff's runs are shared by the task workers (``billing.parts``), with the same
    lines."""
    progress = progress or (lambda done, total: None)
    with without_cycle_collection(), transaction.atomic():
        period = locked_open(period)
        parts = plan_parts(period)
        before = charged_in(period)
        stage = own_stage(period.pk) if partitioned() else None
        start_lines(period, stage)
        summary, done, accounts = RunSummary(), 0, sum(part.accounts for part in parts)
        progress(done, accounts)
        for part in parts:
            result = calculate(period, houses=part.houses)
            write_lines(period, result, stage)
            summary.add(result)
            done += part.accounts
            progress(done, accounts)
        finish_run(period, summary, before, user=user, ip=ip)
        finish_lines(period, stage)  # last: it locks the lines of every period until the commit
    return summary


def finish_run(period: Period, summary: RunSummary, before, *, user, ip) -> None:
    """The end of a run, in its transaction: the period marked calculated, the audit entry."""
    period.calculated_at = timezone.now()
    period.save(update_fields=["calculated_at"])
    record_replaced_lines(
        AuditAction.BILLING_RUN, period, before, (summary.lines, summary.total), user=user, ip=ip
    )


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


def locked_open(period: Period) -> Period:
    """``period`` locked for a change (the run, closing, a recalculation); ``BillingError``
    when it is closed."""
    period = Period.objects.select_for_update().select_related("organization").get(pk=period.pk)
    if period.is_closed:
        raise BillingError(f"Период {month_name(period.month)} закрыт: он не меняется.")
    return period


def calculate(
    period: Period,
    *,
    account_ids: list[int] | None = None,
    houses: list[int] | None = None,
    with_adjustments: bool = True,
    corrected_volumes: dict | None = None,
) -> Calculation:
    """``period``'s lines for the organisation's accounts (or only ``account_ids``, or only
    those of ``houses`` — whole houses, as a part of a run: ``billing.parts``), computed from
    today's data, every read limited to those accounts; with adjustments: the period's
    recalculations and penalties. ``corrected_volumes`` ((account, resource, month) →
    (volume, basis)) stands for the stored lines of earlier months that a correction being
    computed changes (``meter_volumes.estimated_volumes``)."""
    organization, month = period.organization, period.month
    first, last = month, calc.last_day(month)
    if houses is None:
        accounts, scope = accounts_of(organization, first, last, account_ids), account_ids
    else:
        # Every read below asks the database about the part's houses' accounts (``scope``),
        # the closed ones too, as a whole organisation's reads have them (a recalculation of
        # a closed account still shows); what needs only the billed ones filters by them.
        accounts, everyone = house_accounts(organization, houses, first, last)
        scope = ids_in(everyone)
    services = list(Service.objects.filter(organization=organization).order_by("position", "pk"))
    result = Calculation(accounts=len(accounts))
    spans = _tariff_spans(services, first, last)
    tariffs = _TariffCache(spans, last)
    sources = {}  # (account, resource) → the meters' readings, for ``Charge.inputs``
    meters = meter_volumes(period, accounts, corrected_volumes, sources, scope)
    volume_law = VolumeLaw.of(organization, first, last, houses)
    heating = HeatingMonth.of(organization, month, houses)
    result.problems.extend(heating.problems)
    plans = [_Plan.of(service) for service in _charged(services)]
    # Capital repair only for the houses that collect it (a CapitalRepairFund): elsewhere the
    # owners pay the regional operator on its own documents, or nothing.
    funded = capital_repair_houses(organization, houses)
    plain_plans = [
        plan for plan, service in zip(plans, _charged(services), strict=True)
        if service.method != CalculationMethod.CAPITAL_REPAIR
    ]  # fmt: skip
    for account in accounts:
        account_plans = plans if account.house in funded else plain_plans
        _account_lines(account, account_plans, tariffs, meters, volume_law, heating, period,
                       result, sources)  # fmt: skip
    add_common_share(period, accounts, services, result)
    if with_adjustments:
        add_instalments(period, result, scope)  # Правила № 354 п. 72
        _add_recalculations(period, result, scope)
        add_penalties(period, accounts, services, result, scope)
        add_capital_repair_penalties(period, accounts, services, funded, result, scope)
    _note_missing_tariffs(spans, services, accounts, result, funded)
    return result


def _charged(services) -> list[Service]:
    """The services the run charges by a method (not the penalties it computes, nor the lines
    of instalment plans)."""
    return [service for service in services if service.method not in NOT_BY_METHOD]


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
        self.services = {service for service, _ in spans}
        self.houses = {}

    def of_house(self, house: int, first, last) -> dict[int, "MonthTariff | None"]:
        """service → its tariff of the days ``first``–``last`` in ``house``, for every service
        with a tariff (missing: none): a dictionary per house and days, so that the per-account
        loop looks a line's tariff up once, by the service."""
        key = (house, first, last)
        found = self.houses.get(key)
        if found is None:
            found = self.houses[key] = {
                service: self.tariff(service, house, first, last) for service in self.services
            }
        return found

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
    normative_text: str  # as ``Charge.inputs`` quotes it
    heating: bool  # follows the house's HeatingSetting (by the normative per m², resource heat)

    @classmethod
    def of(cls, service: Service) -> "_Plan":
        # A capital repair contribution is billed per m² of the premise × the account's share,
        # as a by-area service is (ЖК РФ ст. 158 ч. 1, ст. 169 ч. 1).
        method = AREA if service.method == CalculationMethod.CAPITAL_REPAIR else service.method
        heating = method == CalculationMethod.AREA_NORMATIVE and service.resource == Resource.HEAT
        normative = service.normative or ZERO
        return cls(service.pk, str(method), service.resource, service.ownership, normative,
                   str(normative), heating)  # fmt: skip


AREA, AREA_NORMATIVE, NORMATIVE, FIXED, METER, WASTEWATER = (
    str(method) for method in (
        CalculationMethod.AREA, CalculationMethod.AREA_NORMATIVE, CalculationMethod.NORMATIVE,
        CalculationMethod.FIXED, CalculationMethod.METER, CalculationMethod.WASTEWATER,
    )
)  # fmt: skip


def _account_lines(account: AccountRow, plans, tariffs, meters, volume_law, heating, period,
                   result, sources):  # fmt: skip
    """The lines of one account. The hot loop of the run: plain comparisons, no lookups that
    could be done once. Each line keeps the figures its volume came from (``Charge.inputs``,
    keys in billing.explanation), as JSON text joined here from what the loop has at hand."""
    month, month_end = period.month, tariffs.month_end
    partial = (account.opened_on is not None and account.opened_on > month) or (
        account.closed_on is not None and account.closed_on < month_end
    )
    if partial:
        first, last = calc.active_days(month, account.opened_on, account.closed_on)
        days, month_days = (last - first).days + 1, calc.days_in_month(month)
        share_of_month = Decimal(days) / month_days
        # ``"area"`` closes every line's inputs: the premise's area and the account's share
        known = (f'"from": "{first}", "to": "{last}", "days": {days}, '
                 f'"month_days": {month_days}, ')  # fmt: skip
    else:
        first, last, share_of_month, known = month, month_end, None, ""
    known += (f'"area": "{account.area}"}}' if account.share == ONE
              else f'"area": "{account.area}", "share": "{account.share}"}}')  # fmt: skip
    persons = normative_persons(account.residents, account.owners)
    by_persons = (f'{{"persons": {persons}, ' if persons == account.residents
                  else f'{{"persons": {persons}, "registered": {account.residents}, ')  # fmt: skip
    water, water_bases = ZERO, set()
    water_with_coefficient = ZERO  # of ``water``: by the normative with the coefficient
    pending_wastewater = []
    area = account.area * account.share
    house_tariffs = tariffs.of_house(account.house, first, last)
    for plan in plans:
        if plan.ownership and plan.ownership != account.ownership:
            continue
        tariff = house_tariffs.get(plan.pk)
        if tariff is None:
            continue
        method = plan.method
        metered, coefficient = False, None
        if method == AREA:
            volume, basis, inputs = area, ChargeBasis.AREA, "{" + known
        elif method == METER:
            found = meters.get((account.pk, plan.resource))
            if found is None or found[0] is None:
                volume, basis = plan.normative * persons, ChargeBasis.NORMATIVE
                coefficient = volume_law.coefficient(account.premise, plan.resource, found)
                inputs = f'{by_persons}"normative": "{plan.normative_text}", {known}'
            else:
                (volume, basis), metered = found, True
                inputs = f'{{"meters": [{sources[account.pk, plan.resource]}], {known}'
        elif method == WASTEWATER:
            pending_wastewater.append((plan, tariff))
            continue
        elif method == AREA_NORMATIVE:
            if plan.heating and account.house in heating.houses:
                house_heating = heating.houses[account.house]
                if house_heating is None:
                    continue  # paid in the heating season, and the month is outside it
                factor, by_normative, basis, own = house_heating
                volume = area * (plan.normative * factor if by_normative else factor)
                inputs = (f'{{"heating": {{"factor": "{factor}", "by_normative": '
                          f'{"true" if by_normative else "false"}, '
                          f'"normative": "{plan.normative_text}"')  # fmt: skip
                if own:  # formulas 3(3), 3(4): the premise's own heat meters (billing.heating)
                    volume += own.get(account.pk, ZERO)
                    inputs += f', "own": "{own.get(account.pk, ZERO)}"'
                inputs += "}, " + known
            else:
                volume, basis = area * plan.normative, ChargeBasis.NORMATIVE
                inputs = f'{{"normative": "{plan.normative_text}", {known}'
        elif method == NORMATIVE:
            volume, basis = plan.normative * persons, ChargeBasis.NORMATIVE
            inputs = f'{by_persons}"normative": "{plan.normative_text}", {known}'
        else:  # fixed per account
            volume, basis, inputs = ONE, ChargeBasis.FIXED, "{" + known
        if share_of_month is not None and not metered:
            volume *= share_of_month  # the days of the month the account was open
        volume = volume.quantize(VOLUME)
        if plan.resource in WATER:
            water += volume
            water_bases.add(basis)
            if coefficient is not None:
                water_with_coefficient += volume
        line = _put_line(result, account.pk, plan.pk, tariff, volume, basis, inputs)
        if coefficient is not None:
            _add_coefficient(line, coefficient, volume)
    water_basis = water_bases.pop() if len(water_bases) == 1 else ChargeBasis.AVERAGE
    for plan, tariff in pending_wastewater:
        inputs = f'{{"water": "{water}", {known}'
        line = _put_line(result, account.pk, plan.pk, tariff, water, water_basis, inputs)
        coefficient = volume_law.wastewater
        if water_with_coefficient and coefficient is not None:
            _add_coefficient(line, coefficient, water_with_coefficient)


def _put_line(result, account, service, tariff: MonthTariff, volume, basis, inputs) -> Line:
    """A line of ``volume`` (already rounded to the volume's places) at ``tariff``; where the
    tariff changed within the month, a part per approved tariff by its days, each rounded, the
    line's amount their sum (Правила № 354 п. 69 «в»)."""
    if not tariff.pieces:
        charged = (tariff.value * volume).quantize(KOPECK, ROUND_HALF_UP)
        line = Line(account, service, tariff.value, volume, basis, charged=charged, inputs=inputs)
    else:
        split = calc.split_by_tariffs(tariff.pieces, volume, tariff.days)
        charged = sum((part.amount for part in split), ZERO)
        line = Line(account, service, tariff.value, volume, basis, charged=charged,
                    split=split, days=tariff.days, inputs=inputs)  # fmt: skip
    result.lines[account, service] = line
    return line


def _add_coefficient(line: Line, coefficient: Decimal, volume: Decimal) -> None:
    """Правила № 354, приложение № 2, formula 4 (п. 42): the charge of ``volume`` (by the
    normative) × the coefficient. The line keeps the coefficient and the excess over the charge
    without it, tariff × volume × (K − 1) to the kopeck, apart: the payment document shows both
    (Приказ Минстроя России № 43/пр)."""
    line.coefficient = coefficient
    line.coefficient_charged = round_money(at_tariffs(line, volume) * (coefficient - 1))
    line.charged += line.coefficient_charged


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
