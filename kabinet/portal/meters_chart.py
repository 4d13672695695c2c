"""The consumption chart of a meter: bars per month, drawn as SVG by the server.

The geometry is computed here and written out by ``portal/meters/consumption_chart.svg``. The
drawing is 320 units wide, about the width it gets on a phone, so that its text is as large
there as the page's small print; on a desktop it grows up to a limit set by the stylesheet.
"""

from dataclasses import dataclass
from decimal import Decimal

from kabinet.formats import MONTHS, format_number, format_quantity, month_name
from kabinet.months import add_months

WIDTH, HEIGHT = 320, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 6, 12, 38  # margins: axis labels left, month names below
NICE_STEPS = tuple(Decimal(step) for step in ("1", "2", "2.5", "5", "10"))


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label_x: float
    month: str  # «ноя»
    year: str  # under January and the first month, so that the years are told apart
    title: str  # «ноябрь 2026: 3,21 м³»
    estimated: bool


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def has_estimates(self) -> bool:
        return any(bar.estimated for bar in self.bars)

    @property
    def summary(self) -> str:
        """The figures in words, for those who do not see the drawing."""
        return "; ".join(bar.title for bar in self.bars)


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ not below ``value``: a round top for the axis."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** value.adjusted()
    return next(power * step for step in NICE_STEPS if power * step >= value)


def consumption_chart(card, months: int = 12) -> Chart:
    """The consumption of the last ``months`` months up to the current one (a month without a
    reading is a gap), for a ``metering.selectors.MeterCard``."""
    current = card.today.replace(day=1)
    slots = [add_months(current, offset) for offset in range(1 - months, 1)]
    used = {line.reading.period: line for line in card.history if line.consumption is not None}
    top = _nice_ceiling(max((max(line.consumption, 0) for line in used.values()), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot_width = (WIDTH - LEFT - RIGHT) / months
    bars = []
    for index, month in enumerate(slots):
        line = used.get(month)
        value = max(line.consumption, 0) if line else Decimal(0)
        height = float(value / top) * plot_height
        x = LEFT + index * slot_width
        bars.append(
            Bar(
                x=round(x + slot_width * 0.15, 1),
                y=round(HEIGHT - BOTTOM - height, 1),
                width=round(slot_width * 0.7, 1),
                height=round(height, 1),
                label_x=round(x + slot_width / 2, 1),
                month=MONTHS[month.month - 1][:3],
                year=str(month.year) if index == 0 or month.month == 1 else "",
                title=f"{month_name(month)}: "
                + (
                    f"{format_quantity(line.consumption)} {card.meter.unit}"
                    if line
                    else "нет данных"
                ),
                estimated=bool(line and line.reading.is_estimate),
            )
        )
    ticks = [
        Tick(y=round(HEIGHT - BOTTOM - plot_height * share, 1), label=format_number(top * share))
        for share in (Decimal(0), Decimal("0.5"), Decimal(1))
    ]
    return Chart(bars=bars, ticks=ticks)
