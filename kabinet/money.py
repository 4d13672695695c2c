"""Money: Decimal rubles with kopecks, rounded half up, never float."""

import re
from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")

_MONEY_TEXT = re.compile(r"\d+(\.\d{1,2})?")

# Keyword arguments for every money column (DESIGN: max_digits=14, decimal_places=2).
MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


def round_money(value) -> Decimal:
    """Round to kopecks, half up, as Russian accounting does."""
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def to_kopecks(value: Decimal) -> int:
    return int(round_money(value) * 100)


def parse_money(text: str) -> Decimal:
    """Read an amount as people type it: ``123,45``, ``123.45``, ``1 234,56`` (also with a
    no-break or thin space). Raises ``ValueError`` for anything else, including more than two
    places after the comma."""
    cleaned = "".join(text.split()).replace("\u202f", "").replace(",", ".")
    if not _MONEY_TEXT.fullmatch(cleaned):
        raise ValueError(text)
    return Decimal(cleaned).quantize(KOPECK)
