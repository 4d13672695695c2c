"""The consumption chart's geometry: bars in proportion, estimates told apart, gaps named."""

import datetime
from decimal import Decimal

from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.metering.selectors import HistoryLine, MeterCard
from kabinet.portal.charts import CONSUMPTION_WIDTH, FIGURE_WIDTH, LABEL_WIDTH, consumption_chart

TODAY = datetime.date(2026, 11, 26)


def card(consumptions):
    """A cold-water meter whose months before November used ``consumptions`` (newest first);
    ``None`` is a month without a reading, a tuple (value, source) an estimate."""
    lines = []
    for offset, used in enumerate(consumptions, start=1):
        if used is None:
            continue
        value, source = used if isinstance(used, tuple) else (used, ReadingSource.RESIDENT)
        month = datetime.date(2026, 11 - offset, 1)
        lines.append(HistoryLine(Reading(period=month, value=0, source=source), Decimal(value)))
    return MeterCard(meter=Meter(resource=Resource.COLD_WATER), today=TODAY, history=lines)


def test_the_largest_month_fills_the_width_and_the_others_are_in_proportion():
    chart = consumption_chart(card(["4", "2", "1"]))
    widths = [bar.width for bar in chart.bars[1:4]]
    assert widths[0] == CONSUMPTION_WIDTH - LABEL_WIDTH - FIGURE_WIDTH
    assert widths[1] == widths[0] / 2
    assert widths[2] == widths[0] / 4


def test_months_without_a_reading_say_so_and_estimates_are_marked():
    chart = consumption_chart(card([None, ("3", ReadingSource.AVERAGE)]))
    november, october, september = chart.bars[:3]
    assert (november.label, november.figure, november.width) == ("ноя 2026", "нет данных", 0)
    assert october.figure == "нет данных"
    assert september.estimated
    assert chart.has_estimates
    assert september.title == "сентябрь 2026: 3,000 м³"


def test_a_negative_consumption_draws_no_bar_but_shows_its_figure():
    september = consumption_chart(card(["-2", "1"])).bars[1]
    assert (september.width, september.figure) == (0, "-2,000")


def test_nothing_used_at_all_draws_no_bars():
    chart = consumption_chart(card(["0", "0"]))
    assert {bar.width for bar in chart.bars} == {0}
    assert chart.height == 12 * 22
