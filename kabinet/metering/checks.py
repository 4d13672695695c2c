"""What a new reading must satisfy: it fits the meter's dial, it is not below the previous
actual reading (unless the dial went round) nor above a later one, and an unusually large
consumption is confirmed by the person who typed it.

Only actual readings (resident, staff, import) bound a new one: the billing's estimates for
months without a reading may be above the real value, and a real reading corrects them.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from kabinet.formats import format_reading, month_name
from kabinet.metering.models import READING_FIELD, Meter, Reading
from kabinet.money import TooLarge, parse_amount, shown
from kabinet.months import add_months

ROLLOVER_SHARE = Decimal("0.1")  # through zero by less than a tenth of the dial: it rolled over
UNUSUAL_FACTOR = 3  # a month's consumption above three times the usual asks for confirmation
AVERAGE_MONTHS = 6  # «the usual»: the average over the actual readings of the last six months
VOLUME = Decimal("0.001")
INTEGER_DIGITS = READING_FIELD["max_digits"] - READING_FIELD["decimal_places"]


def parse_value(text: str) -> Decimal:
    """A reading as people type it: ``815``, ``815,27`` or ``815.270`` (also ``1 015,3``), as
    much as ``Reading.value`` holds. ``ValueError`` with a Russian message otherwise."""
    try:
        return parse_amount(text, **READING_FIELD)
    except TooLarge:
        raise ValueError(
            f"{shown(text)} — слишком большое показание: до запятой не больше {INTEGER_DIGITS} "
            "цифр. Проверьте, не лишние ли цифры."
        ) from None
    except ValueError:
        raise ValueError(
            f"{shown(text)} — не показание: нужно число, например 123,456 (не больше трёх "
            f"знаков после запятой и {INTEGER_DIGITS} цифр до неё)."
        ) from None


def months_between(earlier: datetime.date, later: datetime.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def dial_size(meter: Meter) -> Decimal:
    """The first value the dial cannot show: 100000 for five digits before the point."""
    return Decimal(10) ** meter.digits


def is_rollover(meter: Meter, previous: Decimal, value: Decimal) -> bool:
    return value < previous and value + dial_size(meter) - previous <= (
        dial_size(meter) * ROLLOVER_SHARE
    )


def consumption(meter: Meter, previous: Decimal, value: Decimal) -> Decimal:
    """Used between two readings, counting a rollover of the dial. Negative only where a real
    reading is below an earlier estimate."""
    if is_rollover(meter, previous, value):
        return value + dial_size(meter) - previous
    return value - previous


@dataclass(frozen=True)
class Neighbours:
    previous: Reading | None  # the last actual reading before the month
    following: Reading | None  # the first actual reading after it (staff may enter a past month)


def neighbours(meter: Meter, period: datetime.date) -> Neighbours:
    actual = Reading.objects.actual().filter(meter=meter)
    return Neighbours(
        previous=actual.filter(period__lt=period).order_by("-period").first(),
        following=actual.filter(period__gt=period).order_by("period").first(),
    )


def value_problem(meter: Meter, value: Decimal, previous=None, following=None) -> str:
    """Why ``value`` cannot be the meter's reading between the actual readings ``previous``
    and ``following`` (anything with ``period`` and ``value``), or ``""``."""
    shown = format_reading(value)
    if value >= dial_size(meter):
        return (
            f"Показание {shown} не помещается на счётчике: у него {meter.digits} знаков до запятой."
        )
    if (
        previous is not None
        and value < previous.value
        and not is_rollover(meter, previous.value, value)
    ):
        return (
            f"Показание {shown} меньше предыдущего ({format_reading(previous.value)} за "
            f"{month_name(previous.period)}). Проверьте цифры до запятой."
        )
    if (
        following is not None
        and value > following.value
        and not is_rollover(meter, value, following.value)
    ):
        return (
            f"Показание {shown} больше следующего ({format_reading(following.value)} за "
            f"{month_name(following.period)})."
        )
    return ""


def usual_consumption(meter: Meter, period: datetime.date) -> Decimal | None:
    """The average monthly consumption over the actual readings of the last months before
    ``period``; ``None`` without two such readings to compare."""
    readings = list(
        Reading.objects.actual()
        .filter(
            meter=meter,
            period__lt=period,
            period__gte=add_months(period, -(AVERAGE_MONTHS + 1)),
        )
        .order_by("period")
    )
    if len(readings) < 2:
        return None
    used = sum(consumption(meter, a.value, b.value) for a, b in pairwise(readings))
    return (used / months_between(readings[0].period, readings[-1].period)).quantize(VOLUME)


@dataclass
class ReadingCheck:
    """A value offered as ``meter``'s reading for a month, and what the rules say about it."""

    meter: Meter
    value: Decimal
    previous: Reading | None = None
    monthly_consumption: Decimal | None = None  # since the previous reading, per month
    usual: Decimal | None = None
    error: str = ""

    @property
    def is_unusual(self) -> bool:
        return (
            not self.error
            and self.usual is not None
            and self.usual > 0
            and self.monthly_consumption is not None
            and self.monthly_consumption > UNUSUAL_FACTOR * self.usual
        )

    @property
    def warning(self) -> str:
        if not self.is_unusual:
            return ""
        return (
            f"Расход {format_reading(self.monthly_consumption)} за месяц — больше чем в "
            f"{UNUSUAL_FACTOR} раза выше обычного ({format_reading(self.usual)} в среднем за "
            "последние месяцы). Проверьте показание; если оно верное, подтвердите его."
        )


def check_reading(meter: Meter, value: Decimal, period: datetime.date) -> ReadingCheck:
    near = neighbours(meter, period)
    check = ReadingCheck(
        meter=meter,
        value=value,
        previous=near.previous,
        error=value_problem(meter, value, near.previous, near.following),
    )
    if near.previous is not None and not check.error:
        months = max(months_between(near.previous.period, period), 1)
        used = consumption(meter, near.previous.value, value)
        check.monthly_consumption = (used / months).quantize(VOLUME)
        check.usual = usual_consumption(meter, period)
    return check
