"""The month a resident's page shows, chosen by ``?period=YYYY-MM`` among the months it has."""

from django.http import Http404

from kabinet.months import parse_month


def chosen_period(periods, value: str | None):
    """The period named by ``value`` (the first of ``periods``, newest first, without one);
    404 for a month that is not among them or is not a month at all."""
    if not value:
        return periods[0] if periods else None
    try:
        month = parse_month(value)
    except ValueError:
        raise Http404("Нет такого периода.") from None
    for period in periods:
        if period.month == month:
            return period
    raise Http404("Нет данных за этот период.")
