"""«Показания счетчиков» of an account: the meters, their history and chart, the form."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kabinet.formats import MONTHS, month_name
from kabinet.metering.models import Reading, ReadingSource, Resource
from kabinet.months import add_months, first_of_month
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory, UserFactory
from tests.test_account_pages import text_of as page_text

pytestmark = pytest.mark.django_db
D = Decimal


def text_of(response):
    """The page's text with its whitespace collapsed, as a person reads it."""
    return " ".join(page_text(response).split())


def today():
    return timezone.localdate()


def other_day():
    """A day of the month that is not today: a window of that day alone is closed today."""
    return 2 if today().day == 1 else 1


@pytest.fixture
def link():
    return AccountLinkFactory(
        account__premise__house__organization__readings_from_day=1,
        account__premise__house__organization__readings_to_day=31,
    )


@pytest.fixture
def meter(link):
    meter = MeterFactory(
        account=link.account, resource=Resource.COLD_WATER, serial_number="ХВ-001", place="Ванная"
    )
    current = first_of_month(today())
    for offset, value in zip(range(-4, 0), ("100", "103", "106", "109"), strict=True):
        month = add_months(current, offset)
        ReadingFactory(meter=meter, period=month, value=D(value), taken_on=month.replace(day=20))
    return meter


def url(link):
    return reverse("portal:account_meters", args=[link.account.pk])


def post(client, link, data):
    return client.post(url(link), data, follow=True)


def test_section_is_in_the_account_menu_and_the_header(resident, link):
    content = resident.get(reverse("portal:account", args=[link.account.pk])).content.decode()
    # the left column (wide screens), the strip (narrow ones) and «Разделы»
    assert content.count(f'href="{url(link)}"') == 3
    assert "Показания счетчиков" in content


def test_page_lists_every_meter_with_its_details(resident, link, meter):
    MeterFactory(account=link.account, resource=Resource.ELECTRICITY, serial_number="Э-7")
    MeterFactory(account=link.account, resource=Resource.HOT_WATER, is_active=False)
    page = text_of(resident.get(url(link)))
    assert "Холодная вода, № ХВ-001" in page
    assert "Электроэнергия, № Э-7" in page
    assert "Горячая вода" not in page  # removed meters are not shown
    assert "Место установки Ванная" in page
    assert "Очередная поверка 01.01.2030" in page
    assert "Предыдущее: 109,000" in page
    assert "Передать показания" in page


@pytest.mark.parametrize(
    ("days", "warning"),
    [
        (31, None),
        (30, "Срок поверки истекает"),
        (0, "Срок поверки истекает"),
        (-1, "Срок поверки истек"),
    ],
)
def test_verification_warning_within_30_days_or_overdue(resident, link, days, warning):
    due = today() + datetime.timedelta(days=days)
    MeterFactory(account=link.account, verification_due=due)
    page = text_of(resident.get(url(link)))
    if warning:
        assert f"{warning} {due:%d.%m.%Y}" in page
    else:
        assert "Срок поверки" not in page


def test_history_shows_consumption_and_every_source(resident, link):
    meter = MeterFactory(account=link.account)
    current = first_of_month(today())
    sources = [ReadingSource.RESIDENT, ReadingSource.STAFF, ReadingSource.IMPORT,
               ReadingSource.AVERAGE, ReadingSource.NORMATIVE]  # fmt: skip
    for offset, source in enumerate(sources, start=-len(sources)):
        ReadingFactory(
            meter=meter, period=add_months(current, offset), value=D(200 + 5 * offset),
            source=source,
        )  # fmt: skip
    response = resident.get(url(link))
    rows = re.findall(r"<tr>\s*<th scope=\"row\"[^>]*>([^<]+)</th>(.*?)</tr>", response.text, re.S)
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for _, row in rows]
    assert [row[2] for row in cells] == ["по нормативу", "по среднему", "импорт", "сотрудник",
                                         "житель"]  # fmt: skip
    assert [row[1] for row in cells] == ["5,000", "5,000", "5,000", "5,000", "—"]


def test_each_meter_has_a_consumption_chart(resident, link, meter):
    content = resident.get(url(link)).content.decode()
    [svg] = re.findall(r"<svg.*?</svg>", content, re.S)
    assert re.search(r'viewBox="0 0 320 \d+"', svg)
    current = first_of_month(today())
    labels = re.findall(r'class="kb-chart-label"[^>]*>([^<]+)<', svg)
    assert len(labels) == 12
    assert labels[0] == f"{MONTHS[current.month - 1][:3]} {current.year}"  # newest first
    figures = re.findall(r'class="kb-chart-figure[^"]*"[^>]*>([^<]+)<', svg)
    assert figures[:4] == ["нет данных", "3,000", "3,000", "3,000"]
    assert len(re.findall(r"<rect ", svg)) == 3  # three months with a consumption to draw
    assert f"{month_name(add_months(current, -1))}: 3,000 м³" in svg  # for screen readers too
    coordinates = re.findall(r' (?:x|y|width|height)="([^"]*)"', svg)
    assert all(re.fullmatch(r"\d+(\.\d+)?", value) for value in coordinates), coordinates


def test_submitted_readings_are_confirmed_on_the_page_and_by_email(
    resident, link, meter, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(resident, link, {f"meter_{meter.pk}": "111,5"})
    page = text_of(response)
    assert "приняты: счётчиков — 1" in page
    assert f"Подтверждение отправлено на {link.user.email}" in page
    assert "Уже передано за" in page
    reading = Reading.objects.get(meter=meter, period=first_of_month(today()))
    assert reading.value == D("111.5")
    assert len(mailoutbox) == 1


def test_a_blank_form_asks_for_a_reading(resident, link, meter):
    page = text_of(post(resident, link, {f"meter_{meter.pk}": " "}))
    assert "Введите показания хотя бы одного счётчика." in page
    assert Reading.objects.count() == 4


def test_text_that_is_not_a_number_is_refused_at_its_field(resident, link, meter):
    page = text_of(post(resident, link, {f"meter_{meter.pk}": "сто"}))
    assert "«сто» — не показание" in page
    assert "Если счетчик заменили" not in page


def test_a_lower_value_is_refused_with_a_clear_message(resident, link, meter):
    page = text_of(post(resident, link, {f"meter_{meter.pk}": "108"}))
    assert "Показание 108,000 меньше предыдущего (109,000 за" in page
    assert "Если счетчик заменили, сообщите об этом в управляющую организацию" in page
    assert Reading.objects.count() == 4


def test_unusual_consumption_is_saved_once_confirmed(resident, link, meter):
    response = post(resident, link, {f"meter_{meter.pk}": "150"})
    page = text_of(response)
    assert "больше чем в 3 раза выше обычного" in page
    assert "Да, показание 150 верное" in page
    assert f'name="confirm_{meter.pk}" id="id_confirm_{meter.pk}" value="150"' in response.text
    assert Reading.objects.count() == 4

    response = post(resident, link, {f"meter_{meter.pk}": "150", f"confirm_{meter.pk}": "150"})
    assert "приняты" in text_of(response)
    assert Reading.objects.get(meter=meter, period=first_of_month(today())).value == D("150")


def test_outside_the_window_the_form_says_when_it_opens(resident, link, meter):
    organization = link.account.organization
    organization.readings_from_day = organization.readings_to_day = other_day()
    organization.save()
    page = text_of(resident.get(url(link)))
    assert "Приём откроется" in page
    assert "Передать показания" not in page.replace("Передать показания за", "")

    page = text_of(post(resident, link, {f"meter_{meter.pk}": "111"}))
    assert "Приём показаний закрыт: показания не переданы." in page
    assert Reading.objects.count() == 4


def test_another_accounts_meter_cannot_be_submitted_through_this_page(resident, link, meter):
    stranger = MeterFactory()
    post(resident, link, {f"meter_{meter.pk}": "110", f"meter_{stranger.pk}": "5"})
    assert not Reading.objects.filter(meter=stranger).exists()


def test_another_residents_meters_are_not_found(client, link, meter):
    client.force_login(UserFactory())
    assert client.get(url(link)).status_code == 404
    assert client.post(url(link), {f"meter_{meter.pk}": "110"}).status_code == 404
    assert Reading.objects.count() == 4


def test_anonymous_visitors_are_sent_to_sign_in(client, link):
    response = client.get(url(link))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_too_long_reading_is_called_too_large(resident, link, meter):
    page = text_of(post(resident, link, {f"meter_{meter.pk}": "999 999 999 999"}))
    assert "слишком большое показание" in page
    assert "не показание" not in page
