"""Bad input gets a clear error, never a 500, and nothing larger than its column is stored:
numbers (forms, admin, file imports), months and ids in URLs, line breaks in e-mail subjects."""

import datetime
from decimal import Decimal as D

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from kabinet.appeals.mailing import mail_news_to_subscribers
from kabinet.appeals.models import News
from kabinet.billing.imports import MONEY, TARIFF, parse_number
from kabinet.billing.models import PeriodStatus, Recalculation, RecalculationKind, Tariff
from kabinet.jobs.services import create_job
from kabinet.metering.checks import parse_value
from kabinet.money import parse_amount
from kabinet.months import add_months, first_of_month, parse_month
from kabinet.orgs.models import StaffRole
from kabinet.orgs.validators import validate_inn
from kabinet.payments.models import OnlinePayment, Payment, PaymentRegistry, RegistryStatus
from kabinet.payments.registry.formats import parse_registry
from kabinet.tabular import TableError, parse_date
from kabinet.users.profile import normalize_phone
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    HouseFactory,
    MeterFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    UserFactory,
    staff_user,
)
from tests.test_account_pages import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

HUGE = "9" * 20  # fits no money column, and SQLite would store it
VERY_HUGE = "1" * 27  # beyond Decimal's default precision: InvalidOperation, not ValueError
UNICODE_DIGITS = ["١٥", "１２３", "१२", "۱۲,۵۰"]


# The one parser ---------------------------------------------------------------------------


def test_an_amount_fits_its_column_to_the_last_kopeck():
    assert parse_amount("999 999 999 999,99", max_digits=14, decimal_places=2) == D(
        "999999999999.99"
    )
    with pytest.raises(ValueError, match="до запятой не больше 12 цифр"):
        parse_amount("1 000 000 000 000", max_digits=14, decimal_places=2)


@pytest.mark.parametrize("text", [HUGE, VERY_HUGE, "1" * 5000, "1e400", "1E+30"])
def test_huge_numbers_are_refused_with_a_value_error(text):
    with pytest.raises(ValueError, match="«"):
        parse_amount(text, max_digits=14, decimal_places=2, exponent=True)


@pytest.mark.parametrize("text", UNICODE_DIGITS)
def test_only_ascii_digits_are_numbers(text):
    with pytest.raises(ValueError, match="не число"):
        parse_amount(text, max_digits=14, decimal_places=2)


@pytest.mark.parametrize("text", UNICODE_DIGITS)
def test_readings_charges_and_dates_take_ascii_digits_only(text):
    with pytest.raises(ValueError, match="не показание"):
        parse_value(text)
    with pytest.raises(ValueError, match="тариф"):
        parse_number(text, TARIFF)
    with pytest.raises(ValueError, match="не месяц"):
        parse_month(f"{text}.2026")
    with pytest.raises(ValueError, match="неверная дата"):
        parse_date(f"{text}.11.2026")


def test_a_reading_larger_than_its_column_is_refused():
    assert parse_value("99999999999,999") == D("99999999999.999")
    with pytest.raises(ValueError, match="слишком большое показание: до запятой не больше 11"):
        parse_value("100000000000")


def test_a_charge_larger_than_its_column_is_refused_naming_the_column():
    with pytest.raises(ValueError, match=r"начислено «9{20}» — слишком большое число"):
        parse_number(HUGE, MONEY)


# Resident forms ----------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [VERY_HUGE, HUGE, *UNICODE_DIGITS])
def test_the_pay_form_refuses_huge_and_non_ascii_amounts(client, amount):
    link = AccountLinkFactory()
    client.force_login(link.user)
    response = client.post(reverse("portal:pay", args=[link.account.pk]), {"amount": amount})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not OnlinePayment.objects.exists()


def test_a_huge_amount_is_called_too_large_not_a_non_number(client):
    link = AccountLinkFactory()
    client.force_login(link.user)
    response = client.post(reverse("portal:pay", args=[link.account.pk]), {"amount": HUGE})
    (error,) = response.context["form"].errors["amount"]
    assert "слишком большое число" in error
    assert "Введите число" not in error


@pytest.mark.parametrize("amount", [VERY_HUGE, HUGE, "١٥"])
def test_the_link_account_form_refuses_huge_and_non_ascii_amounts(client, amount):
    account = PersonalAccountFactory()
    client.force_login(UserFactory())
    response = client.post(
        reverse("portal:link_account"),
        {
            "organization": account.organization.pk,
            "house": account.premise.house.pk,
            "premise": account.premise.pk,
            "account_number": account.number,
            "paid_on": "2026-10-10",
            "amount": amount,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]


def test_readings_of_unicode_digits_are_refused_on_the_residents_page(client):
    meter = MeterFactory()
    link = AccountLinkFactory(account=meter.account)
    client.force_login(link.user)
    response = client.post(
        reverse("portal:account_meters", args=[link.account.pk]), {f"meter_{meter.pk}": "١٥"}
    )
    assert response.status_code == 200
    assert not meter.readings.exists()


# Staff forms and the admin -----------------------------------------------------------------


@pytest.fixture
def recalculation(client):
    """An accountant's form data for a recalculation «другое» of ЛС 100's closed month."""
    organization = OrganizationFactory()
    this_month = first_of_month(datetime.date.today())
    previous = PeriodFactory(organization=organization, month=add_months(this_month, -1))
    PeriodFactory(organization=organization, month=this_month, status=PeriodStatus.OPEN)
    account = PersonalAccountFactory(premise__house__organization=organization, number="100")
    charge = ChargeFactory(account=account, period=previous)
    client.force_login(staff_user(organization, StaffRole.ACCOUNTANT))
    return {
        "account": "100", "service": charge.service.pk, "corrected_period": previous.pk,
        "kind": RecalculationKind.OTHER, "reason": "Акт № 7",
    }  # fmt: skip


@pytest.mark.parametrize("amount", [HUGE, VERY_HUGE, "-" + HUGE, "１２"])
def test_a_recalculation_of_a_huge_amount_is_refused(client, recalculation, amount):
    response = client.post(
        reverse("backoffice:recalculations"), {**recalculation, "amount": amount, "save": "1"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not Recalculation.objects.exists()


def test_recalculations_whose_sum_overflows_the_line_are_refused(client, recalculation):
    for _ in range(2):
        response = client.post(
            reverse("backoffice:recalculations"),
            {**recalculation, "amount": "999999999999,99", "save": "1",
             "shown_amount": "999999999999.99"},
        )  # fmt: skip
    assert response.status_code == 200
    assert "стала бы слишком большой" in text_of(response)
    assert Recalculation.objects.count() == 1


@pytest.mark.parametrize("value", ["١٥", "１２３", HUGE, VERY_HUGE])
def test_the_admin_refuses_unicode_digits_and_numbers_beyond_the_column(value):
    model_admin = admin.site._registry[Tariff]
    request = RequestFactory().get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    field = model_admin.formfield_for_dbfield(Tariff._meta.get_field("value"), request)
    assert field.clean("12.5") == D("12.5000")
    with pytest.raises(ValidationError):
        field.clean(value)


# File imports ------------------------------------------------------------------------------


def registry_upload(client, organization, text, capture):
    data = {
        "organization": organization.pk,
        "file": SimpleUploadedFile("reestr.txt", text.encode()),
    }
    with capture(execute=True):
        return client.post(reverse("backoffice:registries"), data)


@pytest.fixture
def registry_staff(client):
    organization = OrganizationFactory()
    account = PersonalAccountFactory(premise__house__organization=organization, number="1000154")
    client.force_login(staff_user(organization, StaffRole.ACCOUNTANT))
    return organization, account


@pytest.mark.parametrize("amount", [HUGE + ".00", HUGE, VERY_HUGE, "١٥.00", "1e5"])
def test_a_registry_with_an_amount_beyond_the_column_credits_nothing(
    client, registry_staff, django_capture_on_commit_callbacks, amount
):
    organization, _account = registry_staff
    text = f"20.11.2026;1000154;Иванов И. И.;;102026;{amount};0\n"
    registry_upload(client, organization, text, django_capture_on_commit_callbacks)
    registry = PaymentRegistry.objects.get()
    assert registry.status == RegistryStatus.REJECTED
    assert registry.errors[0].startswith("Строка 1: сумма «")
    assert not Payment.objects.exists()
    # the pages that showed such a payment still open
    for url in [
        reverse("backoffice:registry", args=[registry.pk]),
        reverse("backoffice:registries"),
        reverse("backoffice:reconciliation") + "?month=2026-11",
    ]:
        assert client.get(url).status_code == 200, url


def test_a_registry_whose_total_overflows_its_column_is_refused():
    rows = "".join(f"20.11.2026;1000154;И;;102026;999999999999.99;{n}\n" for n in range(2))
    parsed = parse_registry(rows.encode(), today=datetime.date(2026, 11, 30))
    assert [str(error) for error in parsed.errors] == [
        "Строка 1: сумма платежей всего файла 1\xa0999\xa0999\xa0999\xa0999,98\xa0₽ — много для "
        "одного реестра: разделите файл на части"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "20.11.0001;1000154;И;;102026;10.00;0",
        "20.11.2026;1000154;И;;130000;10.00;0",
        "20.11.2026;1000154;И;;00.0000;10.00;0",
        "20.11.2026;1000154;И;;١٠٢٠٢٦;10.00;0",
        "20.11.2026;1000154;И;;102026;10.00;١",
    ],
)
def test_registry_dates_and_periods_out_of_range_are_named(line):
    parsed = parse_registry(line.encode(), today=datetime.date(2026, 11, 30))
    assert not parsed.rows
    assert str(parsed.errors[0]).startswith("Строка 1: ")


def test_a_registry_summary_with_a_huge_count_is_an_error():
    text = f"20.11.2026;1000154;И;;102026;10.00;0\n={HUGE};10.00\n"
    parsed = parse_registry(text.encode(), today=datetime.date(2026, 11, 30))
    assert "итоговая строка не читается" in str(parsed.errors[0])


# Months, ids and pages in URLs -------------------------------------------------------------


@pytest.fixture
def resident(client):
    link = AccountLinkFactory()
    client.force_login(link.user)
    return link.account


@pytest.mark.parametrize(
    "path",
    [
        "/ls/99999999999999999999/",
        "/ls/99999999999999999999/payments/",
        "/ls/{pk}/appeals/99999999999999999999/",
        "/ls/{pk}/pay/99999999999999999999/",
        "/ls/{pk}/receipt/99999-1.pdf",
        "/ls/{pk}/receipt/2026-99999999999999999999/",
        "/profile/accounts/99999999999999999999/unlink/",
    ],
)
def test_huge_ids_in_resident_urls_are_not_found(client, resident, path):
    assert client.get(path.format(pk=resident.pk)).status_code == 404


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("account_charges", "period=0001-01"),
        ("account_charges", "period=9999-13"),
        ("account_charges", "period=١٢٠٢٦-١١"),
        ("account_penalties", "period=0000-00"),
        ("account_payments", "first=0001-01&last=0001-02"),
        ("account_payments", "first=9999-12"),
        ("account_payments", "last=0001-01"),
        ("account_payments", "months=99999999999999999999"),
    ],
)
def test_months_out_of_range_on_resident_pages_are_not_errors(client, resident, page, query):
    response = client.get(reverse(f"portal:{page}", args=[resident.pk]) + "?" + query)
    assert response.status_code in (200, 404)


@pytest.fixture
def staff(client):
    organization = OrganizationFactory()
    HouseFactory(organization=organization)
    user = staff_user(organization, StaffRole.MANAGER)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "url",
    [
        "/staff/payments/reconciliation/?month=0001-01",
        "/staff/payments/reconciliation/?month=9999-12",
        "/staff/payments/reconciliation/?month=9999-13",
        "/staff/readings/?period=0001-01",
        "/staff/readings/?period=9999-12",
        "/staff/readings/export.csv?period=0001-01",
        "/staff/house-meters/?page=-1",
        "/staff/house-meters/?page=99999999999999999999",
        "/staff/house-meters/?page=1e400",
        "/staff/billing/?period=0001-01",
        "/staff/jobs/99999999999999999999/",
        "/staff/payments/registries/99999999999999999999/",
        "/staff/billing/periods/99999999999999999999/run/",
        "/admin/billing/charge/99999999999999999999/change/",
        "/admin/housing/personalaccount/-99999999999999999999/change/",
        "/admin/billing/charge/?p=99999999999999999999",
        "/admin/billing/charge/?p=-1",
        "/admin/billing/charge/?account__id__exact=99999999999999999999",
        "/admin/billing/charge/?account=99999999999999999999",
        "/admin/billing/charge/?period__id__exact=99999999999999999999",
        "/admin/housing/premise/?house__id__exact=99999999999999999999",
        "/admin/appeals/news/?house__id__exact=99999999999999999999",
        "/staff/readings/?house=99999999999999999999",
        "/staff/billing/?organization=99999999999999999999",
        "/staff/billing/recalculations/?organization=99999999999999999999",
    ],
)
def test_out_of_range_months_ids_and_pages_of_staff_are_never_a_server_error(client, staff, url):
    assert client.get(url).status_code < 500


# Line breaks in a news title ---------------------------------------------------------------


@pytest.mark.parametrize("title", ["Вода\nотключена", "Вода\r\nBcc: x@example.com", "А\u2028Б"])
def test_a_news_title_with_a_line_break_is_refused(client, title):
    organization = OrganizationFactory()
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    response = client.post(
        reverse("admin:appeals_news_add"),
        {"organization": organization.pk, "title": title, "text": "Текст"},
    )
    assert response.status_code == 200
    assert "без переносов строк" in text_of(response)
    assert not News.objects.exists()


def test_news_stored_with_a_line_break_is_still_mailed_with_a_one_line_subject(mailoutbox):
    house = HouseFactory()
    AccountLinkFactory(account__premise__house=house, user__news_by_email=True)
    news = News.objects.create(
        organization=house.organization, title="Вода\r\nотключена", text="С 9:00."
    )
    job = create_job(house.organization, "news_mailing", "Рассылка")
    assert mail_news_to_subscribers(news, job) == 1
    assert mailoutbox[0].subject == "[Личный кабинет] Вода отключена"


def test_the_address_choice_ignores_ids_that_are_not_plain_numbers(client):
    HouseFactory(organization=OrganizationFactory(pk=15))
    client.force_login(UserFactory())
    response = client.get(reverse("portal:link_account"), {"organization": "١٥"})
    assert response.status_code == 200
    assert not response.context["form"].fields["house"].queryset.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"20.11.2026;1000154;\x00;;102026;10.00;0\n", "NUL"),
        ("Дата;ЛС".encode("utf-16"), "UTF-16"),  # named, so that people know what to do
    ],
)
def test_a_file_with_nul_bytes_is_refused_as_a_whole(content, reason):
    with pytest.raises(TableError, match=reason):
        parse_registry(content, today=datetime.date(2026, 11, 30))


@pytest.mark.parametrize("value", ["１６５９００１２３０", "١٦٥٩٠٠١٢٣٠"])
def test_requisites_in_other_scripts_digits_are_refused(value):
    with pytest.raises(ValidationError):
        validate_inn(value)


def test_a_phone_in_full_width_digits_is_refused():
    with pytest.raises(ValueError, match="９"):
        normalize_phone("+7 ９１２ ３４５ ６７ ８９")
