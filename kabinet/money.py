"""Money: Decimal rubles with kopecks, rounded half up, never float; and the one way a number
typed by a person or read from a file becomes a Decimal that fits its column."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")

# ASCII digits only: «١٥» or «１２３» are digits to Python's ``\d`` and ``Decimal``, not to a bank.
_NUMBER_TEXT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]{1,3}))?", re.ASCII)
# parse_money's fast path: at most the 12 digits a money column holds before the point.
_PLAIN_MONEY = re.compile(r"[0-9]{1,12}(?:[.,][0-9]{1,2})?", re.ASCII)
_SHOWN = 30  # characters of a refused text quoted back in a message

# Keyword arguments for every money column (DESIGN: max_digits=14, decimal_places=2).
MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


class TooLarge(ValueError):
    """A number that is a number but longer than its column holds: said so, not «не число»."""


def round_money(value) -> Decimal:
    """Round to kopecks, half up, as Russian accounting does."""
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def summed(value) -> Decimal:
    """A sum the database returned, in kopecks: SQLite adds decimals as floats, and a sum over
    no rows is ``None`` (zero). Every sum of money read from a query passes here."""
    return round_money(value or ZERO)


def money_sum(queryset, field: str) -> Decimal:
    """The sum of the money column ``field`` over ``queryset`` (``summed``)."""
    return summed(queryset.aggregate(total=Sum(field))["total"])


def to_kopecks(value: Decimal) -> int:
    return int(round_money(value) * 100)


def shown(text: str) -> str:
    """A refused text as a message quotes it: «…», cut short if it is long."""
    text = text.strip()
    return f"«{text if len(text) <= _SHOWN else text[: _SHOWN - 1] + '…'}»"


def parse_amount(
    text: str, *, max_digits: int, decimal_places: int, signed: bool = False,
    exponent: bool = False,
) -> Decimal:  # fmt: skip
    """A number as people and spreadsheets write it — ``1 234,56``, ``1234.56`` (with any
    spaces between the digits), ``-12,5`` if ``signed``, ``1E+3`` if ``exponent`` (how XLSX
    cells may come) — that fits a ``DecimalField(max_digits, decimal_places)``, quantized to its
    places. Raises ``ValueError`` with a Russian message quoting the text; the caller names the
    field or the row. The column's limit is checked here because SQLite stores any number and
    a bulk insert skips the model's validation."""
    cleaned = "".join(text.split()).replace("\u2212", "-").replace(",", ".")
    match = _NUMBER_TEXT.fullmatch(cleaned)
    if not match or (match[4] is not None and not exponent) or (match[1] and not signed):
        reason = "меньше нуля" if match and match[1] and not signed else "— не число"
        raise ValueError(f"{shown(text)} {reason}")
    value = Decimal(cleaned)
    if value == 0:
        value = abs(value)  # «-0» is zero
    if max(0, -value.as_tuple().exponent) > decimal_places:
        raise ValueError(f"{shown(text)} — больше {decimal_places} знаков после запятой")
    if not fits(value, max_digits=max_digits, decimal_places=decimal_places):
        raise TooLarge(
            f"{shown(text)} — слишком большое число: до запятой не больше "
            f"{max_digits - decimal_places} цифр"
        )
    return value.quantize(Decimal(1).scaleb(-decimal_places))


def fits(value: Decimal, *, max_digits: int, decimal_places: int) -> bool:
    """Whether ``value``'s integer part fits a ``DecimalField(max_digits, decimal_places)``
    (a sum of amounts that each fit may not)."""
    return value.adjusted() < max_digits - decimal_places


def parse_money(text: str) -> Decimal:
    """An amount for a money column, zero or more: ``123,45``, ``1 234,56``. The form banks
    and files mostly write (``1234.56``, ``1234,5``, ``1234``: ASCII digits, no sign, no
    spaces, at most the column's places) is read without ``parse_amount``'s cleaning: the
    same ``Decimal`` (tests/test_money_fast_path.py), a third of the time — a million-row
    registry reads two amounts a row."""
    if _PLAIN_MONEY.fullmatch(text):
        return Decimal(text.replace(",", ".")).quantize(KOPECK)
    return parse_amount(text, **MONEY_FIELD)
