"""Recalculations: corrections of a closed period (a reading, an absence, poor quality or an
amount staff give), charged in the open period."""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from kabinet.audit.models import AuditAction
from kabinet.audit.services import added, deleted, record
from kabinet.billing import calculation as calc
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    CalculationMethod,
    Charge,
    ChargeBasis,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
    Service,
)
from kabinet.billing.run import READINGS_LOOKBACK, WATER, calculate, locked_open, open_period
from kabinet.housing.models import PersonalAccount
from kabinet.money import MONEY_FIELD, ZERO, fits, round_money
from kabinet.months import add_months

# The executor's fine for an overcharge: half the excess of the charged amount over what the
# rules gave (ЖК РФ ст. 157 ч. 6, in force since 28.12.2015 by Федеральный закон от 29.06.2015
# № 176-ФЗ; Правила № 354 п. 155(1)); the resident gets it as a reduction of the payment, and
# the payment document shows it in its own column (docs/billing-law.md, «Штраф исполнителя»).
EXECUTOR_FINE_SHARE = Decimal("0.5")
NO_OPEN_PERIOD = "Нет открытого периода."
CHANGED_SINCE_PREVIEW = "Сумма перерасчёта изменилась: проверьте её и сохраните снова."


@dataclass(frozen=True)
class MonthCorrection:
    """What a correction changes in one closed month (``volume``: for a reading correction,
    the change of the month's individual volume). ``service``: the service it corrects when
    it is not the one corrected — wastewater, whose volume is the water's (``None``: that one)."""

    period: Period
    amount: Decimal
    volume: Decimal | None = None
    service: Service | None = None
    inputs: str | None = None  # the recomputed line's ``Charge.inputs``, as JSON text


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
    # Wastewater is charged on the water's volume (ХВС + ГВС): a water reading's correction
    # changes it as well, month by month with the water (Правила № 354 п. 61 — the payment
    # charged on the wrong figures), as its own recalculations of its own service.
    followers = (
        list(
            Service.objects.filter(
                organization=service.organization_id, method=CalculationMethod.WASTEWATER
            ).order_by("position", "pk")
        )
        if service.resource in WATER
        else []
    )
    stored = {(item.pk, *key): value for item in [service, *followers]
              for key, value in _stored(account, item, periods).items()}  # fmt: skip
    months, corrected_volumes = [], {}
    for period in periods:
        fresh = calculate(period, account_ids=[account.pk], with_adjustments=False,
                          corrected_volumes=corrected_volumes)  # fmt: skip
        for item in [service, *followers]:
            line = fresh.lines.get((account.pk, item.pk))
            new_volume, new_amount = (
                (line.volume, line.charged - line.common_charged) if line else (ZERO, ZERO)
            )
            if line and item is service:
                corrected_volumes[account.pk, service.resource, period.month] = (
                    line.volume,
                    line.basis,
                )
            old_volume, old_amount = stored.get((item.pk, "charged", period.pk), (ZERO, ZERO))
            volume_before, amount_before = stored.get((item.pk, "before", period.pk), (ZERO, ZERO))
            months.append(
                MonthCorrection(
                    period,
                    new_amount - old_amount - round_money(amount_before),
                    calc.volume(new_volume - old_volume - volume_before),
                    None if item is service else item,
                    line.inputs if line else None,
                )
            )
    return months


def _stored(account, service, periods) -> dict[tuple[str, int], tuple[Decimal, Decimal]]:
    """What the closed ``periods`` charged ``account`` for ``service`` (volume, individual
    amount), and what reading recalculations already corrected in each (volume, amount)."""
    found = {
        ("charged", period): (volume, charged - common)
        for period, volume, charged, common in Charge.objects.filter(
            period__in=periods, account=account, service=service
        ).values_list("period", "volume", "charged", "common_charged")
    }
    found.update(
        (("before", period), (volume or ZERO, amount))
        for period, volume, amount in Recalculation.objects.filter(
            account=account, service=service, kind=RecalculationKind.READING,
            corrected_period__in=periods,
        )
        .values("corrected_period")
        .annotate(volume=Sum("volume"), amount=Sum("amount"))
        .values_list("corrected_period", "volume", "amount")
    )  # fmt: skip
    return found


def _correction(
    account,
    service,
    corrected: Period,
    kind: str,
    *,
    days: int | None = None,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
    overcharge: Decimal | None = None,
) -> Decimal:
    """The amount of a correction of one month, by its kind (a reading correction, which may
    reach later months, is ``_reading_corrections``):

    - absence: for a volume by the normative per person, the charge for ``days`` of the month;
    - quality: ``percent`` of the charge for the service of poor quality;
    - fine: the executor's fine, ``EXECUTOR_FINE_SHARE`` of the ``overcharge`` staff found
      (the overcharge itself is corrected by a recalculation of its own);
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
    if kind == RecalculationKind.FINE:
        if overcharge is None or overcharge <= 0:
            raise BillingError("Укажите, на сколько плата была необоснованно увеличена.")
        return -round_money(overcharge * EXECUTOR_FINE_SHARE)
    if amount is None:
        raise BillingError("Укажите сумму перерасчёта.")
    return amount


def preview_figures(months: list[MonthCorrection]) -> str:
    """The figures of a preview as the page sends them back with «Сохранить»: the amount of
    one month; the month, amount (and the following service) of each of several."""
    if len(months) == 1:
        return str(months[0].amount)
    return ";".join(
        f"{month.period.month:%Y-%m}:{month.amount}"
        + (f":{month.service.pk}" if month.service else "")
        for month in months
    )


def add_recalculation(account, service, corrected: Period, kind: str, reason: str, user=None,
                      ip: str | None = None, shown: str | None = None,
                      **params) -> list[Recalculation]:  # fmt: skip
    """Record a correction of a closed period — one recalculation per month it changes, each
    naming its month — to be charged in the organisation's open period (its next run adds them
    to the line of the service); the audit log keeps who and from where. ``shown``: the
    ``preview_figures`` the staff member saw; nothing is recorded if the figures are no longer
    those (``BillingError``)."""
    with locked_open_period(account.organization) as period:
        months = recalculation_amounts(account, service, corrected, kind, **params)
        if shown is not None and preview_figures(months) != shown:
            raise BillingError(CHANGED_SINCE_PREVIEW)
        return record_recalculations(
            period,
            [
                NewRecalculation(
                    account=account,
                    service=month.service or service,
                    corrected_period=month.period,
                    amount=month.amount,
                    reason=_reason(reason, month),
                    volume=month.volume,
                    inputs=month.inputs,
                )
                for month in months
            ],
            kind=kind,
            user=user,
            ip=ip,
        )


@contextmanager
def locked_open_period(organization, *, missing: str = NO_OPEN_PERIOD) -> Iterator[Period]:
    """The organisation's open period, locked (``select_for_update``, as ``locked_open``) for a
    transaction that lasts the ``with`` block: a correction computes what is still to record
    and records it under the lock that the run, closing and every other recalculation take, so
    that two saves at once cannot both count the same correction as still to record (the
    second computes after the first has committed). ``BillingError`` (``missing``): no open
    period."""
    with transaction.atomic():
        period = open_period(organization)
        if period is None:
            raise BillingError(missing)
        yield locked_open(period)


@dataclass(frozen=True)
class NewRecalculation:
    """One recalculation to record: ``amount`` (minus is a reduction) of ``service`` for
    ``account``, correcting the closed ``corrected_period``; ``volume``: the change of the
    month's volume, where the correction has one; ``inputs``: what the recomputed line's
    volume came from (``Charge.inputs`` as JSON text), for a reading correction."""

    account: PersonalAccount
    service: Service
    corrected_period: Period
    amount: Decimal
    reason: str
    volume: Decimal | None = None
    inputs: str | None = None


def record_recalculations(period: Period, rows: Sequence[NewRecalculation], *, kind: str,
                          user=None, ip: str | None = None,
                          expected: Decimal | None = None) -> list[Recalculation]:  # fmt: skip
    """Record ``rows`` of ``kind`` in the open ``period`` — the one step of every correction
    that staff first preview and then save (``add_recalculation``,
    ``heating_correction.add_heating_corrections``, a yearly correction of the common-house
    share), which compute the rows under the same lock (``locked_open_period``): in one
    transaction the period is locked (``BillingError`` if it was closed meanwhile), each row
    must fit its line's columns, a calculated period's line shows the amount at once, and the
    audit log keeps who and from where. ``expected``: the total the
    staff member was shown; when the rows now sum to another, nothing is recorded
    (``BillingError``: the figures changed since the preview)."""
    if expected is not None and sum((row.amount for row in rows), ZERO) != expected:
        raise BillingError(CHANGED_SINCE_PREVIEW)
    made = []
    with transaction.atomic():
        period = locked_open(period)
        for row in rows:
            check_line_fits(period, row.account, row.service, row.amount)
            recalculation = Recalculation.objects.create(
                period=period, corrected_period=row.corrected_period, account=row.account,
                service=row.service, amount=row.amount, volume=row.volume, kind=kind,
                reason=row.reason, created_by=user,
                inputs=json.loads(row.inputs) if row.inputs else None,
            )  # fmt: skip
            apply_to_line(period, row.account, row.service, row.amount)
            record(
                action=AuditAction.RECALCULATION_ADDED,
                organization=period.organization,
                actor=user,
                ip=ip,
                obj=recalculation,
                changes=added(recalculation),
                amount=row.amount,
            )
            made.append(recalculation)
    return made


def _reason(reason: str, month: MonthCorrection) -> str:
    """A follower's recalculation says what it follows (the field holds 255 characters)."""
    if month.service is None:
        return reason
    return f"{month.service.name} по объёму воды: {reason}"[:255]


def check_line_fits(period, account, service, amount) -> None:
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
        period = locked_open(recalculation.period)
        apply_to_line(period, recalculation.account, recalculation.service, -recalculation.amount)
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


def apply_to_line(period, account, service, amount) -> None:
    """A calculated period shows a recalculation at once; a run would give the same line."""
    if period.calculated_at is None:
        return
    line, _ = Charge.objects.get_or_create(
        period=period, account=account, service=service,
        defaults={"tariff": ZERO, "volume": ZERO, "charged": ZERO, "total": ZERO},
    )  # fmt: skip
    line.recalculation += amount
    line.save()
