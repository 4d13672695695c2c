"""Geometry of the server-rendered SVG charts (the templates draw it).

Bars run horizontally, one row per month: on a phone the rows stack down the screen and the
labels keep a readable size, where twelve columns side by side would shrink to a smudge."""

from dataclasses import dataclass
from decimal import Decimal

from kabinet.formats import MONTHS, format_money

WIDTH = 360  # viewBox units: about the width of a phone, so text is drawn near its real size
LABEL_WIDTH = 74
VALUE_WIDTH = 78
ROW_HEIGHT = 26
BAR_HEIGHT = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    query: str  # the period parameter of the month, for a link to it
    y: float
    width: float
    selected: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bar_x: int
    value_x: int
    bar_height: int
    bars: tuple[Bar, ...]


def monthly_totals_chart(history, selected=None, months: int = 12) -> BarChart:
    """Bars of the monthly totals (``MonthTotals`` newest first), the last ``months`` of them,
    oldest at the top; ``selected`` is the month shown on the page."""
    shown = list(reversed(history[:months]))
    top = max((month.total for month in shown), default=Decimal(0))
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = tuple(
        Bar(
            label=f"{MONTHS[month.period.month.month - 1][:3]} {month.period.month.year}",
            value_text=format_money(month.total),
            query=f"{month.period.month:%Y-%m}",
            y=index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2,
            width=round(float(max(month.total, 0) / top) * area, 1) if top > 0 else 0,
            selected=month.period.month == selected,
        )
        for index, month in enumerate(shown)
    )
    return BarChart(
        width=WIDTH,
        height=len(bars) * ROW_HEIGHT,
        bar_x=LABEL_WIDTH,
        value_x=WIDTH,
        bar_height=BAR_HEIGHT,
        bars=bars,
    )
