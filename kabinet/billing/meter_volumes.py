"""The meters' volumes of a billing run (Правила № 354 п. 59–61): per account and resource,
the readings' difference, the average or the normative, less what the months of a gap were
charged by estimate. Read set-wise: a few queries per organisation."""

import datetime
from collections import defaultdict
from decimal import Decimal
from json.encoder import encode_basestring
from typing import NamedTuple

from django.db.models import Sum

from kabinet.billing import calculation as calc
from kabinet.billing.billed import among
from kabinet.billing.models import (
    CalculationMethod,
    Charge,
    ChargeBasis,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
)
from kabinet.metering.checks import consumption, months_between
from kabinet.metering.models import Meter, Reading
from kabinet.money import ZERO
from kabinet.months import add_months

READINGS_LOOKBACK = 12  # months of readings a meter's volume may need


class _MeterRow(NamedTuple):
    """What the run needs of a meter: rows, not model instances (a third of the time of
    ``meter_volumes`` at 100 000 accounts went into building instances)."""

    pk: int
    account_id: int
    resource: str
    digits: int  # ``consumption`` reads the dial's size from it
    failed_from: datetime.date  # the first month after its verification date
    serial: str


def meter_volumes(
    period, accounts, corrected_volumes=None, sources=None, scope=None
) -> dict[tuple[int, str], tuple[Decimal | None, str]]:
    """(account, resource) → (volume, basis) for accounts with meters of the resource; the
    volume is None where the normative applies: ``calc.NORMATIVE`` (no readings for longer
    than Правила № 354 п. 59 «б» allows) or ``calc.FAILED`` (a meter past its verification
    for longer than п. 59 «а» allows: the normative with the increasing coefficient). Missing:
    no meter. ``sources``, when given, is filled with (account, resource) → the meters' part of
    ``Charge.inputs`` (a JSON text: each meter's two readings, ``meter_source``) where the
    volume is the meters'. With ``scope`` (the ids of a part's or a recalculation's accounts,
    ``accounts``' among them) only ``accounts``' meters and their readings are read; without it,
    the organisation's."""
    month = period.month
    ids = {account.pk for account in accounts}
    failures: dict[datetime.date, datetime.date] = {}
    meters = []
    found_meters = Meter.objects.filter(is_active=True)
    found_readings = Reading.objects.actual().filter(
        period__gte=add_months(month, -READINGS_LOOKBACK), period__lte=month
    )
    if scope is None:
        found_meters = found_meters.filter(account__organization=period.organization)
        found_readings = found_readings.filter(meter__account__organization=period.organization)
    else:
        # The accounts were read as the organisation's: their meters are asked for by them
        # alone (``among``), the readings by those meters, with no join back to the accounts.
        found_meters = found_meters.filter(among(Meter, "account", sorted(ids)))
    # Neither read in the models' order: a sort of the rows by the meters' numbers (text) was
    # a third of the meters' query; an account's meters of a resource are put in it below.
    for pk, account, resource, digits, due, serial in found_meters.order_by().values_list(
        "pk", "account", "resource", "digits", "verification_due", "serial_number"
    ):
        if account in ids:
            if due not in failures:
                failures[due] = add_months(due.replace(day=1), 1)
            meters.append(_MeterRow(pk, account, resource, digits, failures[due], serial))
    if scope is not None:
        found_readings = found_readings.filter(among(Reading, "meter", [m.pk for m in meters]))
    readings = defaultdict(dict)
    for meter_id, reading_month, value in found_readings.order_by().values_list(
        "meter", "period", "value"
    ):
        readings[meter_id][reading_month] = value
    per_account = defaultdict(list)
    for meter in meters:
        per_account[meter.account_id, meter.resource].append(meter)
    for account_meters in per_account.values():
        if len(account_meters) > 1:  # in ``Charge.inputs`` by their numbers, as Meter's Meta
            account_meters.sort(key=lambda meter: (meter.serial, meter.pk))
    estimated = estimated_volumes(period, per_account, readings, corrected_volumes)
    volumes = {}
    for (account, resource), account_meters in per_account.items():
        total, bases, found_sources = ZERO, set(), []
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
                found_sources.append(meter_source(meter.serial, found))
        if calc.FAILED in bases:
            volumes[account, resource] = (None, calc.FAILED)
        elif calc.NORMATIVE in bases:
            volumes[account, resource] = (None, calc.NORMATIVE)
        else:
            basis = ChargeBasis.READING if bases == {calc.READING} else ChargeBasis.AVERAGE
            volumes[account, resource] = (total, basis)
            if sources is not None:
                sources[account, resource] = ", ".join(found_sources)
    return volumes


def meter_source(serial: str, found: calc.MeterVolume) -> str:
    """One meter's entry of ``Charge.inputs["meters"]`` as JSON text (written by hand, as
    ``writing.spans_json``): its number, how its volume was found, the two readings (months and
    values), the months between them, the consumption, the estimates taken off and the
    volume."""
    first, first_value, last, last_value, months, used, taken_off = found.source
    return (
        f'{{"serial": {encode_basestring(serial)}, "how": "{found.how}", '
        f'"from": "{first}", "previous": "{first_value}", "to": "{last}", '
        f'"current": "{last_value}", "months": {months}, "used": "{used}", '
        f'"taken_off": "{taken_off}", "volume": "{found.volume}"}}'
    )


def estimated_volumes(
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
