"""The consumption chart of a meter, drawn as SVG by the server: one horizontal bar per month,
newest first like the history beside it, each with its figure at the end.

Horizontal bars keep the month names and the figures legible on a phone: the drawing is 320
units wide, about the width it gets at 360 px, so its text is as large there as the page's small
print; the stylesheet limits how much it grows on a desktop.
"""

from dataclasses import dataclass
from decimal import Decimal

from kabinet.formats import MONTHS, format_reading, month_name
from kabinet.months import add_months

WIDTH = 320
LABEL_WIDTH = 74  # «сен 2026» on the left
FIGURE_WIDTH = 66  # «2 846,15» after the longest bar
ROW_HEIGHT = 22
BAR_HEIGHT = 14


@dataclass(frozen=True)
class Bar:
    y: float  # top of the row
    width: float
    label: str  # «ноя 2026»
    figure: str  # «3,21», or «нет данных»
    title: str  # «ноябрь 2026: 3,21 м³»
    estimated: bool

    @property
    def bar_y(self) -> float:
        return self.y + (ROW_HEIGHT - BAR_HEIGHT) / 2

    @property
    def text_y(self) -> float:
        return self.y + ROW_HEIGHT / 2

    @property
    def figure_x(self) -> float:
        return LABEL_WIDTH + self.width + 4


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int = WIDTH
    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return ROW_HEIGHT * len(self.bars)

    @property
    def has_estimates(self) -> bool:
        return any(bar.estimated for bar in self.bars)

    @property
    def summary(self) -> str:
        """The figures in words, for those who do not see the drawing."""
        return "; ".join(bar.title for bar in self.bars)


def consumption_chart(card, months: int = 12) -> Chart:
    """The consumption of the last ``months`` months up to the current one, newest first (a
    month without a reading says so), for a ``metering.selectors.MeterCard``."""
    current = card.today.replace(day=1)
    used = {line.reading.period: line for line in card.history if line.consumption is not None}
    largest = max((line.consumption for line in used.values()), default=Decimal(0))
    scale = (WIDTH - LABEL_WIDTH - FIGURE_WIDTH) / float(largest) if largest > 0 else 0
    bars = []
    for index in range(months):
        month = add_months(current, -index)
        line = used.get(month)
        figure = format_reading(line.consumption) if line else "нет данных"
        bars.append(
            Bar(
                y=index * ROW_HEIGHT,
                width=round(max(float(line.consumption), 0) * scale, 1) if line else 0,
                label=f"{MONTHS[month.month - 1][:3]} {month.year}",
                figure=figure,
                title=f"{month_name(month)}: "
                + (f"{figure} {card.meter.unit}" if line else "нет данных"),
                estimated=bool(line and line.reading.is_estimate),
            )
        )
    return Chart(bars=bars)
