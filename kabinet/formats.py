"""How numbers, money and months are written for people, in Russian. One place, used by the
template filters and by anything that writes text (e-mails, PDF)."""

import datetime
from decimal import Decimal

from kabinet.money import round_money

NBSP = "\u00a0"  # no-break space: groups thousands and never wraps a figure

MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip


def format_number(value, places: int | None = None) -> str:
    """``6889.37`` → ``6 889,37``; ``places=None`` keeps the value's own places, trimming zeros."""
    value = Decimal(value)
    value = value.normalize() if places is None else value.quantize(Decimal(1).scaleb(-places))
    grouped = format(abs(value), ",f").translate(_GROUPED)  # «6,889.37» → «6 889,37»
    return "-" + grouped if value < 0 else grouped


_GROUPED = str.maketrans({",": NBSP, ".": ","})


def format_quantity(value) -> str:
    """Tariffs and volumes: at least two places, more only where they matter:
    ``13.1000`` → ``13,10``, ``5.273000`` → ``5,273``."""
    value = Decimal(value).normalize()
    places = max(2, -value.as_tuple().exponent)
    return format_number(value, places)


READING_PLACES = (
    3  # a meter's dial to the litre (м³) or the watt-hour (кВт·ч): Reading.value's places
)


def format_reading(value) -> str:
    """Readings, volumes and consumption: always three places, as the reading is stored —
    ``815.27`` → ``815,270``, ``0.633283`` → ``0,633`` (the billing keeps more places for its
    arithmetic; people read the meter's)."""
    return format_number(Decimal(value), READING_PLACES)


# Units as people write them (and as they come from imports) → the one way the portal shows them.
_UNITS = {
    "куб м": "м³", "куб. м": "м³", "куб.м": "м³", "куб.м.": "м³", "м3": "м³", "м.куб": "м³",
    "кубометр": "м³", "кбм": "м³",
    "квтч": "кВт·ч", "квт.ч": "кВт·ч", "квт*ч": "кВт·ч", "квт/ч": "кВт·ч", "квт ч": "кВт·ч",
    "квт·ч": "кВт·ч",
    "кв м": "м²", "кв. м": "м²", "кв.м": "м²", "кв.м.": "м²", "м2": "м²",
    "гкал": "Гкал",
}  # fmt: skip


def unit_name(text: str) -> str:
    """``куб м`` → ``м³``, ``кВтч`` → ``кВт·ч``, ``кв.м`` → ``м²``; other units as written."""
    text = " ".join((text or "").split())
    return _UNITS.get(text.lower(), text)


def format_money(value) -> str:
    """``Decimal("6889.37")`` → ``6 889,37`` (kopecks always shown)."""
    return format_number(round_money(value), 2)


def format_for_input(value: Decimal, places: int = 2) -> str:
    """A number as a form shows it for editing: ``Decimal("6889.3")`` → ``6889,30`` (a comma,
    no group spaces, so that the form's parser reads it back as it was)."""
    return format(Decimal(value).quantize(Decimal(1).scaleb(-places)), "f").replace(".", ",")


def format_rubles(value) -> str:
    """``Decimal("6889.37")`` → ``6 889,37 ₽``."""
    return f"{format_money(value)}{NBSP}₽"


def month_name(month: datetime.date) -> str:
    """``date(2026, 10, 1)`` → ``октябрь 2026``."""
    return f"{MONTHS[month.month - 1]} {month.year}"


def month_abbreviation(month: datetime.date) -> str:
    """``date(2026, 11, 1)`` → ``ноя`` (the first three letters: «май» stays whole)."""
    return MONTHS[month.month - 1][:3]


def short_month_name(month: datetime.date) -> str:
    """``date(2026, 11, 1)`` → ``ноя 2026``: a chart's row label."""
    return f"{month_abbreviation(month)} {month.year}"


def cut_at_word(text: str, limit: int) -> str:
    """``text`` of at most ``limit`` characters, cut after the last whole word that fits
    (a single word longer than the limit is cut inside it): «Отделение «Банк Татарстан»
    № 8610 ПАО Сбербанк» at 45 → «Отделение «Банк Татарстан» № 8610 ПАО»."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if not text[limit].isspace() and any(char.isspace() for char in cut):
        cut = cut[: max(index for index, char in enumerate(cut) if char.isspace())]
    return cut.rstrip(" \t,;:–—-") or text[:limit]
