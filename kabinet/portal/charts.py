"""Geometry of the server-rendered SVG charts; the templates draw it. One module for the three
charts of the resident's pages, with the month names of ``formats``:

- the monthly totals of «Начисления» (``monthly_totals_chart``, ``portal/charges/chart.svg``),
- the consumption of a meter on «Показания» (``consumption_chart``,
  ``portal/meters/consumption_chart.svg``),
- charged against paid on «Платежи» (``ledger_chart``,
  ``portal/payments/includes/ledger_chart.html``).

The first two run their bars horizontally, one row per month: on a phone the rows stack down
the screen and the labels keep a readable size, where twelve columns side by side would shrink
to a smudge. Their drawings are about the width they get on a phone (320–360 px), so their text
is as large there as the page's small print; the stylesheet limits how much they grow on a
desktop. The ledger's chart pairs two columns a month, so it stands upright.
"""

from dataclasses import dataclass
from decimal import Decimal

from kabinet.formats import (
    format_money,
    format_reading,
    month_abbreviation,
    month_name,
    short_month_name,
)
from kabinet.months import add_months

LABEL_WIDTH = 74  # «сен 2026» on the left of a horizontal bar


def bar_length(value, top, room: float) -> float:
    """The length of ``value``'s bar when ``top`` fills ``room`` (negative values draw none)."""
    if top <= 0:
        return 0
    return round(float(max(value, 0) / top) * room, 1)


# The monthly totals of «Начисления».

TOTALS_WIDTH = 360  # viewBox units
VALUE_WIDTH = 78
TOTALS_ROW_HEIGHT = 26
TOTALS_BAR_HEIGHT = 16


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
    room = TOTALS_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = tuple(
        Bar(
            label=short_month_name(month.period.month),
            value_text=format_money(month.total),
            query=f"{month.period.month:%Y-%m}",
            y=index * TOTALS_ROW_HEIGHT + (TOTALS_ROW_HEIGHT - TOTALS_BAR_HEIGHT) / 2,
            width=bar_length(month.total, top, room),
            selected=month.period.month == selected,
        )
        for index, month in enumerate(shown)
    )
    return BarChart(
        width=TOTALS_WIDTH,
        height=len(bars) * TOTALS_ROW_HEIGHT,
        bar_x=LABEL_WIDTH,
        value_x=TOTALS_WIDTH,
        bar_height=TOTALS_BAR_HEIGHT,
        bars=bars,
    )


# The consumption of a meter: newest month first, like the history beside it, each bar with
# its figure at the end.

CONSUMPTION_WIDTH = 320
FIGURE_WIDTH = 66  # «2 846,15» after the longest bar
CONSUMPTION_ROW_HEIGHT = 22
CONSUMPTION_BAR_HEIGHT = 14
NO_DATA = "нет данных"


@dataclass(frozen=True)
class ConsumptionBar:
    y: float  # top of the row
    width: float
    label: str  # «ноя 2026»
    figure: str  # «3,21», or «нет данных»
    title: str  # «ноябрь 2026: 3,21 м³»
    estimated: bool

    @property
    def bar_y(self) -> float:
        return self.y + (CONSUMPTION_ROW_HEIGHT - CONSUMPTION_BAR_HEIGHT) / 2

    @property
    def text_y(self) -> float:
        return self.y + CONSUMPTION_ROW_HEIGHT / 2

    @property
    def figure_x(self) -> float:
        return LABEL_WIDTH + self.width + 4


@dataclass(frozen=True)
class ConsumptionChart:
    bars: list[ConsumptionBar]
    width: int = CONSUMPTION_WIDTH
    bar_x: int = LABEL_WIDTH
    bar_height: int = CONSUMPTION_BAR_HEIGHT

    @property
    def height(self) -> int:
        return CONSUMPTION_ROW_HEIGHT * len(self.bars)

    @property
    def has_estimates(self) -> bool:
        return any(bar.estimated for bar in self.bars)

    @property
    def summary(self) -> str:
        """The figures in words, for those who do not see the drawing."""
        return "; ".join(bar.title for bar in self.bars)


def consumption_chart(card, months: int = 12) -> ConsumptionChart:
    """The consumption of the last ``months`` months up to the current one, newest first (a
    month without a reading says so), for a ``metering.selectors.MeterCard``."""
    current = card.today.replace(day=1)
    used = {line.reading.period: line for line in card.history if line.consumption is not None}
    top = max((line.consumption for line in used.values()), default=Decimal(0))
    room = CONSUMPTION_WIDTH - LABEL_WIDTH - FIGURE_WIDTH
    bars = []
    for index in range(months):
        month = add_months(current, -index)
        line = used.get(month)
        figure = format_reading(line.consumption) if line else NO_DATA
        bars.append(
            ConsumptionBar(
                y=index * CONSUMPTION_ROW_HEIGHT,
                width=bar_length(line.consumption, top, room) if line else 0,
                label=short_month_name(month),
                figure=figure,
                title=f"{month_name(month)}: "
                + (f"{figure} {card.meter.unit}" if line else NO_DATA),
                estimated=bool(line and line.reading.is_estimate),
            )
        )
    return ConsumptionChart(bars=bars)


# Charged against paid, a pair of columns a month, for the ledger of «Платежи».

LEDGER_HEIGHT = Decimal(120)
SLOT = 48  # the width of one month


@dataclass(frozen=True)
class LedgerBar:
    x: int
    month: object  # billing.ledger.LedgerMonth: its titles name the month and the amounts
    label: str  # «ноя»
    accrued: Decimal
    accrued_top: Decimal
    paid: Decimal
    paid_top: Decimal


@dataclass(frozen=True)
class LedgerChart:
    months: list[LedgerBar]
    width: int
    height: Decimal = LEDGER_HEIGHT

    @property
    def view_box(self) -> str:
        return f"-4 -6 {self.width + 8} {self.height + 28}"


def ledger_chart(ledger) -> LedgerChart:
    """Charged and paid for each month of ``ledger`` (``billing.ledger.Ledger``)."""
    top = max([month.accrued for month in ledger.months]
              + [month.paid for month in ledger.months] + [Decimal(1)])  # fmt: skip

    def height(value):
        return (max(value, 0) / top * LEDGER_HEIGHT).quantize(Decimal("0.1"))

    bars = []
    for index, month in enumerate(ledger.months):
        accrued, paid = height(month.accrued), height(month.paid)
        bars.append(
            LedgerBar(
                x=index * SLOT,
                month=month,
                label=month_abbreviation(month.month),
                accrued=accrued,
                accrued_top=LEDGER_HEIGHT - accrued,
                paid=paid,
                paid_top=LEDGER_HEIGHT - paid,
            )
        )
    return LedgerChart(months=bars, width=SLOT * len(bars))
