"""Reads of meters and readings for the resident's and the staff's pages."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)

from kabinet.metering.checks import consumption
from kabinet.metering.models import ACTUAL_SOURCES, Meter, Reading, ReadingSource, Resource
from kabinet.months import add_months

HISTORY_MONTHS = 12
VERIFICATION_WARNING_DAYS = 30
# Meters in the order of the resources' list (cold water, hot water, electricity, …).
RESOURCE_ORDER = Case(
    *(When(resource=resource, then=Value(index)) for index, resource in enumerate(Resource)),
    default=Value(len(Resource)),
)


def _source_label(field_name: str) -> Case:
    """«житель», «по среднему», … for a reading's source found by a query."""
    return Case(
        *(When(**{field_name: value}, then=Value(label)) for value, label in ReadingSource.choices),
        default=Value(""),
        output_field=CharField(),
    )


@dataclass
class HistoryLine:
    reading: Reading
    consumption: Decimal | None  # since the reading before it (of any source)


@dataclass
class MeterCard:
    """A meter with its recent history, as the readings pages show it."""

    meter: Meter
    today: datetime.date
    history: list[HistoryLine] = field(default_factory=list)  # newest first

    @property
    def verification_days_left(self) -> int:
        return (self.meter.verification_due - self.today).days

    @property
    def verification_overdue(self) -> bool:
        return self.verification_days_left < 0

    @property
    def verification_soon(self) -> bool:
        return 0 <= self.verification_days_left <= VERIFICATION_WARNING_DAYS

    @property
    def current(self) -> Reading | None:
        """The reading for the current month, if there is one."""
        month = self.today.replace(day=1)
        latest = self.history[0].reading if self.history else None
        return latest if latest is not None and latest.period == month else None

    @property
    def last_actual(self) -> Reading | None:
        return next((line.reading for line in self.history if not line.reading.is_estimate), None)


def active_meters(account):
    return account.meters.filter(is_active=True).order_by(RESOURCE_ORDER, "serial_number")


def meter_cards(meters, today: datetime.date, months: int = HISTORY_MONTHS) -> list[MeterCard]:
    """``meters`` (e.g. ``active_meters(account)``) with their readings of the last ``months``
    months and the consumption of each, in two queries."""
    meters = list(meters)
    since = add_months(today.replace(day=1), -months)
    readings = defaultdict(list)
    # One month more than shown, for the consumption of the oldest line.
    for reading in Reading.objects.filter(
        meter__in=meters, period__gte=add_months(since, -1)
    ).order_by("period"):
        readings[reading.meter_id].append(reading)
    return [
        MeterCard(meter=meter, today=today, history=_history(meter, readings[meter.pk], since))
        for meter in meters
    ]


def _history(meter, readings, since) -> list[HistoryLine]:
    lines = []
    previous = None
    for reading in readings:
        used = None
        if previous is not None:
            used = consumption(meter, previous.value, reading.value)
        if reading.period >= since:
            lines.append(HistoryLine(reading=reading, consumption=used))
        previous = reading
    return lines[::-1]


def organization_readings(
    organizations, period: datetime.date, *, house=None, resource="", missing=False
):
    """The apartment meters of ``organizations`` with their reading for ``period`` (or none)
    and the last actual reading before it, annotated as ``reading_*`` and ``previous_*``.
    ``missing`` keeps the meters without an actual reading for the month."""
    previous = (
        Reading.objects.actual().filter(meter=OuterRef("pk"), period__lt=period).order_by("-period")
    )
    meters = (
        Meter.objects.for_organizations(organizations)
        .filter(account__isnull=False, is_active=True)
        .annotate(this_month=FilteredRelation("readings", condition=Q(readings__period=period)))
        .annotate(
            reading_id=F("this_month__id"),
            reading_value=F("this_month__value"),
            reading_source=F("this_month__source"),
            reading_taken_on=F("this_month__taken_on"),
            reading_source_label=_source_label("this_month__source"),
            reading_is_actual=ExpressionWrapper(
                Q(this_month__source__in=ACTUAL_SOURCES), output_field=BooleanField()
            ),
            previous_value=Subquery(previous.values("value")[:1]),
            previous_period=Subquery(previous.values("period")[:1]),
        )
        .select_related("account__premise__house")
        .order_by("account__premise__house__address", "account__number", RESOURCE_ORDER, "pk")
    )
    if house is not None:
        meters = meters.filter(account__premise__house=house)
    if resource:
        meters = meters.filter(resource=resource)
    if missing:
        meters = meters.filter(Q(reading_source__isnull=True) | ~Q(reading_is_actual=True))
    return meters


def house_meters(organizations, *, house=None):
    """The house meters (ОДПУ) of ``organizations``, each with its last reading."""
    last = Reading.objects.filter(meter=OuterRef("pk")).order_by("-period")
    meters = (
        Meter.objects.for_organizations(organizations)
        .filter(house__isnull=False)
        .annotate(
            last_value=Subquery(last.values("value")[:1]),
            last_period=Subquery(last.values("period")[:1]),
            last_source=Subquery(last.values("source")[:1]),
            last_source_label=_source_label("last_source"),
        )
        .select_related("house")
        .order_by("house__address", RESOURCE_ORDER, "serial_number")
    )
    if house is not None:
        meters = meters.filter(house=house)
    return meters
