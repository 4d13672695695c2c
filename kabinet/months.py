"""Calendar months, as the first day of the month (how periods and readings name a month),
and the months a person may name: a month far outside the portal's years is refused when read,
so that arithmetic on it (the month before, the month after) never leaves the calendar."""

import datetime
import re

EARLIEST = datetime.date(1990, 1, 1)
LATEST = datetime.date(2099, 12, 1)
_MONTH_TEXT = re.compile(r"([0-9]{4})-([0-9]{1,2})|([0-9]{1,2})\.([0-9]{4})", re.ASCII)


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_of(year: int, month: int) -> datetime.date:
    """The month ``month`` of ``year``; ``ValueError`` with a Russian message for a month that
    is not one or lies outside the portal's years."""
    if not 1 <= month <= 12:
        raise ValueError(f"месяца с номером {month} нет")
    value = datetime.date(max(1, min(year, 9999)), month, 1)
    if not EARLIEST <= value <= LATEST or value.year != year:
        raise ValueError(f"нужен месяц с {EARLIEST.year} по {LATEST.year} год")
    return value


def parse_month(text: str) -> datetime.date:
    """``2026-11`` (as ``<input type="month">`` sends it) or ``11.2026``; ``ValueError`` with a
    Russian message otherwise. ASCII digits only."""
    match = _MONTH_TEXT.fullmatch(text.strip())
    if not match:
        raise ValueError(f"«{text.strip()[:30]}» — не месяц (нужно ММ.ГГГГ)")
    year, month = match.group(1, 2) if match[1] else match.group(4, 3)
    return month_of(int(year), int(month))
