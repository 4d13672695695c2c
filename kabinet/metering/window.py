"""The days of the month on which an organisation accepts readings from residents."""

import calendar
import datetime
from dataclasses import dataclass

from kabinet.months import add_months, first_of_month


@dataclass(frozen=True)
class ReadingWindow:
    from_day: int  # as the organisation set them; 31 means the last day of any month
    to_day: int
    today: datetime.date

    @property
    def month(self) -> datetime.date:
        """The month the readings are for (its first day)."""
        return first_of_month(self.today)

    @property
    def opens(self) -> datetime.date:
        return self._day(self.month, self.from_day)

    @property
    def closes(self) -> datetime.date:
        """The last day readings are accepted (inclusive)."""
        return self._day(self.month, self.to_day)

    @property
    def is_open(self) -> bool:
        return self.opens <= self.today <= self.closes

    @property
    def next_opening(self) -> datetime.date:
        """The first day readings are accepted from ``today`` on (``today`` when open)."""
        if self.today <= self.closes:
            return max(self.opens, self.today)
        return self._day(add_months(self.month, 1), self.from_day)

    @staticmethod
    def _day(month: datetime.date, day: int) -> datetime.date:
        return month.replace(day=min(day, calendar.monthrange(month.year, month.month)[1]))


def reading_window(organization, today: datetime.date) -> ReadingWindow:
    """``organization``'s window in the month of ``today``."""
    return ReadingWindow(organization.readings_from_day, organization.readings_to_day, today)
