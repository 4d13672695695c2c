"""Money: Decimal rubles with kopecks, rounded half up, never float."""

from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")

# Keyword arguments for every money column (DESIGN: max_digits=14, decimal_places=2).
MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


def round_money(value) -> Decimal:
    """Round to kopecks, half up, as Russian accounting does."""
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def to_kopecks(value: Decimal) -> int:
    return int(round_money(value) * 100)
