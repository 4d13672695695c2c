"""The rules of a meter reading: the window, the floor, the rollover, the unusual consumption,
one reading per meter and month."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from kabinet.metering import services
from kabinet.metering.checks import (
    check_reading,
    consumption,
    dial_size,
    parse_value,
    value_problem,
)
from kabinet.metering.models import Meter, Reading, ReadingSource
from kabinet.metering.window import reading_window
from kabinet.months import add_months
from kabinet.orgs.models import Organization
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 11, 20)
NOVEMBER = datetime.date(2026, 11, 1)


def history(meter, values, until=datetime.date(2026, 10, 1), source=ReadingSource.RESIDENT):
    """Readings of ``meter`` in consecutive months ending with ``until``."""
    months = [add_months(until, offset) for offset in range(1 - len(values), 1)]
    for month, value in zip(months, values, strict=True):
        ReadingFactory(
            meter=meter, period=month, value=D(value), taken_on=month.replace(day=20), source=source
        )


@pytest.fixture
def link():
    return AccountLinkFactory(
        account__premise__house__organization__readings_from_day=15,
        account__premise__house__organization__readings_to_day=25,
    )


@pytest.fixture
def meter(link):
    return MeterFactory(account=link.account, digits=5)


def submit(link, values, today=TODAY, **kwargs):
    return services.submit_resident_readings(
        link.account, {meter: D(value) for meter, value in values.items()}, link.user,
        today=today, **kwargs,
    )  # fmt: skip


# The window


def window(from_day, to_day, today):
    return reading_window(Organization(readings_from_day=from_day, readings_to_day=to_day), today)


def test_window_is_open_from_its_first_to_its_last_day_inclusive():
    assert not window(15, 25, datetime.date(2026, 11, 14)).is_open
    assert window(15, 25, datetime.date(2026, 11, 15)).is_open
    assert window(15, 25, datetime.date(2026, 11, 25)).is_open
    assert not window(15, 25, datetime.date(2026, 11, 26)).is_open


def test_window_says_when_it_opens_next():
    assert window(15, 25, datetime.date(2026, 11, 3)).next_opening == datetime.date(2026, 11, 15)
    assert window(15, 25, datetime.date(2026, 11, 26)).next_opening == datetime.date(2026, 12, 15)
    assert window(15, 25, datetime.date(2026, 12, 26)).next_opening == datetime.date(2027, 1, 15)


def test_day_31_means_the_last_day_of_a_short_month():
    february = window(1, 31, datetime.date(2027, 2, 28))
    assert february.closes == datetime.date(2027, 2, 28)
    assert february.is_open
    late = window(30, 31, datetime.date(2027, 1, 31))
    assert late.next_opening == datetime.date(2027, 1, 31)
    assert window(30, 30, datetime.date(2027, 1, 31)).next_opening == datetime.date(2027, 2, 28)


def test_outside_the_window_nothing_is_accepted(link, meter):
    with pytest.raises(services.WindowClosed) as refused:
        submit(link, {meter: "10"}, today=datetime.date(2026, 11, 26))
    assert refused.value.window.next_opening == datetime.date(2026, 12, 15)
    assert not Reading.objects.exists()


# One reading per meter and month


def test_reading_is_recorded_for_the_current_month(link, meter):
    [reading] = submit(link, {meter: "123"})
    assert (reading.period, reading.taken_on) == (NOVEMBER, TODAY)
    assert reading.source == ReadingSource.RESIDENT
    assert reading.submitted_by == link.user


def test_correction_in_the_window_replaces_the_reading(link, meter):
    history(meter, ["100"])
    submit(link, {meter: "105"})
    submit(link, {meter: "104.5"}, today=TODAY + datetime.timedelta(days=2))
    [reading] = Reading.objects.filter(meter=meter, period=NOVEMBER)
    assert reading.value == D("104.5")
    assert reading.taken_on == TODAY + datetime.timedelta(days=2)


def test_the_database_refuses_a_second_reading_for_the_same_month(meter):
    """The last guard behind the row lock: a unique constraint on (meter, period)."""
    ReadingFactory(meter=meter, period=NOVEMBER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reading.objects.create(
            meter=meter, period=NOVEMBER, value=1, taken_on=TODAY, source=ReadingSource.STAFF
        )


def test_a_blank_form_records_nothing(link, meter):
    assert submit(link, {}) == []
    assert not Reading.objects.exists()


def test_meter_of_another_account_is_refused(link):
    stranger = MeterFactory()
    with pytest.raises(ValueError, match="not the account's own"):
        submit(link, {stranger: "10"})
    assert not Reading.objects.exists()


# The floor and the rollover


def test_value_below_the_previous_reading_is_refused(link, meter):
    history(meter, ["100", "812.345"])
    with pytest.raises(services.ReadingsRefused) as refused:
        submit(link, {meter: "812.3"})
    assert refused.value.checks[0].error == (
        "Показание 812,300 меньше предыдущего (812,345 за октябрь 2026). "
        "Проверьте цифры до запятой."
    )
    assert not Reading.objects.filter(period=NOVEMBER).exists()


def test_the_same_value_as_last_month_is_accepted(link, meter):
    history(meter, ["100"])
    [reading] = submit(link, {meter: "100"})
    assert reading.value == D("100")


def test_a_meter_that_rolled_over_is_accepted(link, meter):
    history(meter, ["99990"])
    [reading] = submit(link, {meter: "5"})
    assert reading.value == D("5")
    assert consumption(meter, D("99990"), D("5")) == D("15")


def test_a_value_that_does_not_fit_the_dial_is_refused(link, meter):
    with pytest.raises(services.ReadingsRefused) as refused:
        submit(link, {meter: "100000"})
    assert "5 знаков до запятой" in refused.value.checks[0].error


def test_a_big_drop_is_not_taken_for_a_rollover(meter):
    previous = Reading(period=datetime.date(2026, 10, 1), value=D("60000"))
    assert value_problem(meter, D("10000"), previous)


@given(
    digits=st.integers(min_value=3, max_value=8),
    previous_share=st.decimals(min_value=0, max_value=1, places=3, allow_nan=False),
    used_share=st.decimals(min_value=0, max_value=D("0.1"), places=3, allow_nan=False),
)
def test_a_reading_after_a_usual_consumption_is_accepted_and_gives_it_back(
    digits, previous_share, used_share
):
    meter = Meter(digits=digits)
    dial = dial_size(meter)
    previous = min((dial * previous_share).quantize(D("0.001")), dial - D("0.001"))
    used = (dial * used_share).quantize(D("0.001"))
    value = (previous + used) % dial
    last = Reading(period=datetime.date(2026, 10, 1), value=previous)
    assert value_problem(meter, value, last) == ""
    assert consumption(meter, previous, value) == used


# Estimates of the billing (by the average, by the normative)


def test_an_estimate_is_not_a_floor(link, meter):
    history(meter, ["100"], until=datetime.date(2026, 9, 1))
    history(meter, ["150"], until=datetime.date(2026, 10, 1), source=ReadingSource.AVERAGE)
    [reading] = submit(link, {meter: "120"})
    assert reading.value == D("120")


def test_a_reading_replaces_the_estimate_of_its_month(link, meter):
    history(meter, ["100"], until=datetime.date(2026, 10, 1))
    history(meter, ["104"], until=NOVEMBER, source=ReadingSource.NORMATIVE)
    submit(link, {meter: "103"})
    [reading] = Reading.objects.filter(meter=meter, period=NOVEMBER)
    assert (reading.value, reading.source) == (D("103"), ReadingSource.RESIDENT)


# Unusual consumption


def test_unusual_consumption_asks_for_confirmation_and_saves_nothing(link, meter):
    history(meter, ["100", "103", "106", "109"])  # 3 a month
    with pytest.raises(services.ReadingsRefused) as refused:
        submit(link, {meter: "119"})  # 10 this month
    check = refused.value.checks[0]
    assert check.is_unusual
    assert check.warning.startswith("Расход 10,000 за месяц — больше чем в 3 раза выше обычного")
    assert not Reading.objects.filter(period=NOVEMBER).exists()


def test_confirmed_unusual_consumption_is_saved(link, meter):
    history(meter, ["100", "103", "106", "109"])
    [reading] = submit(link, {meter: "119"}, confirmed={meter.pk: D("119")})
    assert reading.value == D("119")


def test_a_confirmation_holds_for_the_value_confirmed_only(link, meter):
    history(meter, ["100", "103", "106", "109"])
    with pytest.raises(services.ReadingsRefused):
        submit(link, {meter: "129"}, confirmed={meter.pk: D("119")})


def test_consumption_up_to_three_times_the_usual_needs_no_confirmation(link, meter):
    history(meter, ["100", "103", "106", "109"])
    [reading] = submit(link, {meter: "118"})
    assert reading.value == D("118")


def test_consumption_after_a_skipped_month_counts_per_month(link, meter):
    history(meter, ["100", "103", "106"], until=datetime.date(2026, 9, 1))
    check = check_reading(meter, D("118"), NOVEMBER)  # 12 over two months: 6 a month
    assert check.monthly_consumption == D("6")
    assert not check.is_unusual


def test_no_history_no_question(link, meter):
    history(meter, ["100"])
    [reading] = submit(link, {meter: "900"})
    assert reading.value == D("900")


# Several meters: all or none


def test_one_refused_meter_keeps_all_readings_out(link, meter):
    other = MeterFactory(account=link.account)
    history(meter, ["100"])
    with pytest.raises(services.ReadingsRefused) as refused:
        submit(link, {meter: "90", other: "5"})
    assert [check.meter for check in refused.value.checks] == [meter]
    assert not Reading.objects.filter(period=NOVEMBER).exists()


# Confirmation by e-mail


def test_resident_gets_the_accepted_readings_by_email(
    link, meter, mailoutbox, django_capture_on_commit_callbacks
):
    history(meter, ["100"])
    with django_capture_on_commit_callbacks(execute=True):
        submit(link, {meter: "104.25"})
    [message] = mailoutbox
    assert message.to == [link.user.email]
    assert message.subject == f"Показания счётчиков приняты — ЛС № {link.account.number}"
    assert f"№ {meter.serial_number}" in message.body
    assert "104,25" in message.body
    assert f"{settings.SITE_URL}/ls/{link.account.pk}/meters/" in message.body


def test_refused_readings_send_no_email(
    link, meter, mailoutbox, django_capture_on_commit_callbacks
):
    history(meter, ["100"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ReadingsRefused):
        submit(link, {meter: "90"})
    assert mailoutbox == []


# Reading what people type


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("815", D("815")),
        ("815,27", D("815.27")),
        ("815.270", D("815.270")),
        ("1 015,3", D("1015.3")),
    ],
)
def test_values_as_people_type_them(text, value):
    assert parse_value(text) == value


@pytest.mark.parametrize("text", ["", "-5", "12,3456", "двенадцать", "1e5", "1,2,3"])
def test_values_that_are_not_readings(text):
    with pytest.raises(ValueError, match="не показание"):
        parse_value(text)


@pytest.mark.parametrize("text", ["999 999 999 999", "100000000000,5"])
def test_a_reading_too_long_for_its_column_is_called_too_large_not_a_non_number(text):
    with pytest.raises(ValueError, match="слишком большое показание: до запятой не больше 11") as e:
        parse_value(text)
    assert "не показание" not in str(e.value)
