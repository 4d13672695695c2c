"""Staff pages of readings: the month's readings with filters, export, entering a resident's
reading, house meters — each staff member confined to their own organisation."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kabinet.metering.models import Reading, ReadingSource, Resource
from kabinet.months import add_months
from kabinet.orgs.models import StaffRole
from kabinet.orgs.services import add_staff_member
from tests.factories import (
    AccountLinkFactory,
    HouseFactory,
    MeterFactory,
    PersonalAccountFactory,
    ReadingFactory,
    staff_user,
    this_month,
)

pytestmark = pytest.mark.django_db
D = Decimal


def meter_of(organization, serial, **kwargs):
    account = PersonalAccountFactory(premise__house__organization=organization)
    return MeterFactory(account=account, serial_number=serial, **kwargs)


def listed_serials(response):
    return [meter.serial_number for meter in response.context["page"].object_list]


def test_month_readings_show_own_meters_only(client, operator, own, other):
    mine = meter_of(own, "СВОЙ-1")
    ReadingFactory(meter=mine, period=this_month(), value=D("42.5"))
    meter_of(other, "ЧУЖОЙ-1")
    response = client.get(reverse("backoffice:readings"))
    assert response.status_code == 200
    assert listed_serials(response) == ["СВОЙ-1"]
    assert "42,50" in response.text
    assert "ЧУЖОЙ" not in response.text


def test_filters_by_house_resource_and_missing(client, operator, own):
    read = meter_of(own, "A-READ")
    ReadingFactory(meter=read, period=this_month())
    estimated = meter_of(own, "B-ESTIMATE", resource=Resource.HOT_WATER)
    ReadingFactory(meter=estimated, period=this_month(), source=ReadingSource.AVERAGE)
    meter_of(own, "C-NONE", resource=Resource.ELECTRICITY)
    url = reverse("backoffice:readings")

    assert listed_serials(client.get(url, {"missing": "on"})) == ["B-ESTIMATE", "C-NONE"]
    assert listed_serials(client.get(url, {"resource": Resource.ELECTRICITY})) == ["C-NONE"]
    house = read.account.premise.house
    assert listed_serials(client.get(url, {"house": house.pk})) == ["A-READ"]


def test_another_month_is_chosen_by_period(client, operator, own):
    meter = meter_of(own, "M-1")
    last_month = add_months(this_month(), -1)
    ReadingFactory(meter=meter, period=last_month, value=D("7"))
    response = client.get(reverse("backoffice:readings"), {"period": f"{last_month:%Y-%m}"})
    assert response.context["page"].object_list[0].reading_value == D("7")
    assert (
        client.get(reverse("backoffice:readings")).context["page"].object_list[0].reading_value
        is None
    )


def test_a_wrong_filter_shows_the_current_month_with_the_error(client, operator, own):
    meter_of(own, "M-1")
    other_house = HouseFactory()
    response = client.get(
        reverse("backoffice:readings"), {"period": "когда-то", "house": other_house.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"period", "house"}
    assert listed_serials(response) == ["M-1"]


def export(client, file_format, **filters):
    response = client.get(reverse("backoffice:readings_export", args=[file_format]), filters)
    assert response.status_code == 200
    assert f"readings-{this_month():%Y-%m}.{file_format}" in response["Content-Disposition"]
    return response.content


def test_csv_export_for_excel_with_own_meters_and_filters(client, operator, own, other):
    mine = meter_of(own, "СВОЙ-1")
    ReadingFactory(meter=mine, period=add_months(this_month(), -1), value=D("1234.5"))
    ReadingFactory(meter=mine, period=this_month(), value=D("1240.125"),
                   taken_on=datetime.date(2026, 11, 20))  # fmt: skip
    meter_of(own, "СВОЙ-2", resource=Resource.ELECTRICITY)
    meter_of(other, "ЧУЖОЙ-1")
    content = export(client, "csv")
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["ЛС", "Адрес", "Ресурс", "Заводской номер"]
    by_serial = {row[3]: row for row in rows[1:]}
    assert by_serial.keys() == {"СВОЙ-1", "СВОЙ-2"}
    last_month = add_months(this_month(), -1)
    assert by_serial["СВОЙ-1"][4:] == [
        "1234,5", f"{last_month:%m.%Y}", "1240,125", "20.11.2026", f"{this_month():%m.%Y}",
        "житель",
    ]  # fmt: skip
    missing = list(csv.reader(io.StringIO(export(client, "csv", missing="on").decode("utf-8-sig")),
                              delimiter=";"))  # fmt: skip
    assert [row[3] for row in missing[1:]] == ["СВОЙ-2"]


def test_xlsx_export_keeps_numbers_and_dates(client, operator, own):
    mine = meter_of(own, "СВОЙ-1")
    ReadingFactory(meter=mine, period=this_month(), value=D("1240.125"),
                   taken_on=datetime.date(2026, 11, 20))  # fmt: skip
    sheet = load_workbook(io.BytesIO(export(client, "xlsx"))).active
    header, row = list(sheet.values)
    assert header[3] == "Заводской номер"
    assert row[3] == "СВОЙ-1"
    assert row[6] == pytest.approx(1240.125)
    assert row[7] == datetime.datetime(2026, 11, 20)


def test_staff_enter_a_residents_reading(client, operator, own):
    meter = meter_of(own, "M-1")
    ReadingFactory(meter=meter, period=add_months(this_month(), -1), value=D("100"))
    url = reverse("backoffice:account_readings", args=[meter.account.pk])
    assert "M-1" in client.get(url).text
    today = timezone.localdate()
    response = client.post(
        url,
        {f"meter_{meter.pk}": "104,5", "period": f"{this_month():%Y-%m}", "taken_on": today},
        follow=True,
    )
    assert "записаны: счётчиков — 1" in response.text
    reading = Reading.objects.get(meter=meter, period=this_month())
    assert (reading.value, reading.source, reading.submitted_by) == (
        D("104.5"),
        ReadingSource.STAFF,
        operator,
    )


def test_staff_may_enter_a_past_month_but_not_below_the_rules(client, operator, own):
    meter = meter_of(own, "M-1")
    ReadingFactory(meter=meter, period=add_months(this_month(), -3), value=D("100"))
    ReadingFactory(meter=meter, period=this_month(), value=D("110"))
    url = reverse("backoffice:account_readings", args=[meter.account.pk])
    past = add_months(this_month(), -1)
    data = {"period": f"{past:%Y-%m}", "taken_on": past.replace(day=20)}

    response = client.post(url, {**data, f"meter_{meter.pk}": "111"})
    assert "больше следующего (110,000 за" in response.text
    response = client.post(url, {**data, f"meter_{meter.pk}": "99"})
    assert "меньше предыдущего (100,000 за" in response.text
    client.post(url, {**data, f"meter_{meter.pk}": "105"})
    assert Reading.objects.get(meter=meter, period=past).value == D("105")


def test_staff_cannot_enter_readings_for_a_future_month(client, operator, own):
    meter = meter_of(own, "M-1")
    future = add_months(this_month(), 1)
    response = client.post(
        reverse("backoffice:account_readings", args=[meter.account.pk]),
        {f"meter_{meter.pk}": "5", "period": f"{future:%Y-%m}", "taken_on": timezone.localdate()},
    )
    assert "Показания за будущий месяц не принимаются." in response.text
    assert not Reading.objects.exists()


def test_an_accountant_sees_readings_but_cannot_enter_them(client, own):
    client.force_login(staff_user(own, StaffRole.ACCOUNTANT))
    meter = meter_of(own, "M-1")
    url = reverse("backoffice:account_readings", args=[meter.account.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "Записать показания" not in response.text
    response = client.post(url, {f"meter_{meter.pk}": "5", "period": f"{this_month():%Y-%m}",
                                 "taken_on": timezone.localdate()})  # fmt: skip
    assert response.status_code == 403
    assert client.get(reverse("backoffice:readings_import")).status_code == 403
    assert not Reading.objects.exists()


def test_account_search_opens_own_accounts_only(client, operator, own, other):
    mine = PersonalAccountFactory(premise__house__organization=own, number="777")
    PersonalAccountFactory(premise__house__organization=other, number="888")
    response = client.get(reverse("backoffice:find_account"), {"number": " 777 "})
    assert response.url == reverse("backoffice:account_readings", args=[mine.pk])
    response = client.get(reverse("backoffice:find_account"), {"number": "888"})
    assert "Лицевой счёт № 888 не найден." in response.text


def test_house_meters_and_their_readings(client, operator, own, other):
    house = HouseFactory(organization=own, address="ул. Своя, д. 1")
    meter = MeterFactory(account=None, house=house, serial_number="ОДПУ-1", digits=7)
    ReadingFactory(meter=meter, period=add_months(this_month(), -1), value=D("5000"))
    MeterFactory(account=None, house=HouseFactory(organization=other), serial_number="ОДПУ-Ч")
    meter_of(own, "КВАРТИРНЫЙ")
    page = client.get(reverse("backoffice:house_meters")).text
    assert "ОДПУ-1" in page
    assert "5\u00a0000,00" in page
    assert "ОДПУ-Ч" not in page
    assert "КВАРТИРНЫЙ" not in page

    url = reverse("backoffice:house_meter", args=[meter.pk])
    client.post(url, {f"meter_{meter.pk}": "5600", "period": f"{this_month():%Y-%m}",
                      "taken_on": timezone.localdate()})  # fmt: skip
    reading = Reading.objects.get(meter=meter, period=this_month())
    assert (reading.value, reading.source) == (D("5600"), ReadingSource.STAFF)
    assert "5\u00a0600,00" in client.get(url).text


def test_another_organisations_pages_are_not_found(client, operator, other):
    meter = meter_of(other, "ЧУЖОЙ-1")
    house_meter = MeterFactory(account=None, house=HouseFactory(organization=other))
    for url in [
        reverse("backoffice:account_readings", args=[meter.account.pk]),
        reverse("backoffice:house_meter", args=[house_meter.pk]),
        reverse("backoffice:house_meter", args=[meter.pk]),  # an apartment meter is no ОДПУ
    ]:
        assert client.get(url).status_code == 404, url
        data = {f"meter_{meter.pk}": "5", "period": f"{this_month():%Y-%m}",
                "taken_on": timezone.localdate()}  # fmt: skip
        assert client.post(url, data).status_code == 404, url
    assert not Reading.objects.exists()


def test_an_operator_here_and_accountant_there_enters_and_imports_readings_here_only(
    client, own, other
):
    user = staff_user(own, StaffRole.OPERATOR)
    add_staff_member(user, other, StaffRole.ACCOUNTANT)
    client.force_login(user)
    ours, theirs = meter_of(own, "СВОЙ-1"), meter_of(other, "ЧУЖОЙ-1")
    page = client.get(reverse("backoffice:account_readings", args=[ours.account.pk]))
    assert "Записать показания" in page.text
    assert "Импорт показаний" in page.text
    page = client.get(reverse("backoffice:account_readings", args=[theirs.account.pk]))
    assert "Записать показания" not in page.text
    form = client.get(reverse("backoffice:readings_import")).context["form"]
    assert form.only_organization == own


STAFF_URLS = [
    ("backoffice:readings", []),
    ("backoffice:readings_export", ["csv"]),
    ("backoffice:readings_import", []),
    ("backoffice:find_account", []),
    ("backoffice:house_meters", []),
]


@pytest.mark.parametrize(("name", "args"), STAFF_URLS)
def test_residents_have_no_staff_pages(client, name, args):
    link = AccountLinkFactory()
    client.force_login(link.user)
    assert client.get(reverse(name, args=args)).status_code == 404


@pytest.mark.parametrize(("name", "args"), STAFF_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_readings_are_not_added_or_changed_in_the_admin(client, own):
    client.force_login(staff_user(own, StaffRole.MANAGER))
    reading = ReadingFactory(meter=meter_of(own, "M-1"))
    assert client.get(reverse("admin:metering_reading_add")).status_code == 403
    response = client.post(
        reverse("admin:metering_reading_change", args=[reading.pk]), {"value": "1"}
    )
    assert response.status_code == 403
    assert "Показания за месяц" in client.get(reverse("admin:metering_reading_changelist")).text
