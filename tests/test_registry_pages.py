"""Staff pages of registries and reconciliation: own organisation only, right roles only."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kabinet.jobs.services import report_progress, start_job
from kabinet.orgs.models import StaffRole
from kabinet.payments.models import Payment, PaymentRegistry, PaymentSource, RegistryStatus
from kabinet.payments.registry.uploads import upload_registry
from kabinet.payments.selectors import reconciliation_totals
from tests.factories import (
    OrganizationFactory,
    PaymentFactory,
    PersonalAccountFactory,
    UserFactory,
    staff_user,
)
from tests.test_account_pages import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
ROW = "20.11.2026;{number};Иванов И. И.;;102026;{amount};0\n"


@pytest.fixture
def own():
    organization = OrganizationFactory(name="УК Своя")
    PersonalAccountFactory(premise__house__organization=organization, number="1000154")
    return organization


def upload(client, organization, text, good_rows_only=False, capture=None):
    data = {
        "organization": organization.pk,
        "file": SimpleUploadedFile("reestr.txt", text.encode("cp1251")),
    }
    if good_rows_only:
        data["good_rows_only"] = "on"
    with capture(execute=True):  # the import task runs once the upload is committed
        return client.post(reverse("backoffice:registries"), data)


def test_accountant_uploads_a_registry_and_sees_it_credited(
    client, accountant, own, django_capture_on_commit_callbacks
):
    response = upload(client, own, ROW.format(number="1000154", amount="1500,00"),
                      capture=django_capture_on_commit_callbacks)  # fmt: skip
    registry = PaymentRegistry.objects.get()
    assert response.url == reverse("backoffice:registry", args=[registry.pk])

    page = text_of(client.get(response.url))
    assert "зачтён" in page
    assert "1\u00a0500,00\u00a0₽" in page
    assert Payment.objects.get().amount == Decimal("1500.00")


def test_errors_are_listed_by_line_and_the_good_rows_can_be_credited_after_all(
    client, accountant, own, django_capture_on_commit_callbacks
):
    text = ROW.format(number="1000154", amount="100,00") + ROW.format(number="42", amount="1,00")
    response = upload(client, own, text, capture=django_capture_on_commit_callbacks)
    page = text_of(client.get(response.url))
    assert "не зачтён: в файле есть ошибки" in page
    assert "Строка 2: неизвестный лицевой счёт «42»" in page
    assert not Payment.objects.exists()

    registry = PaymentRegistry.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:registry_import_good_rows", args=[registry.pk]))
    registry.refresh_from_db()
    assert registry.status == RegistryStatus.PARTIAL
    assert Payment.objects.count() == 1


def test_uploading_the_same_file_again_is_refused(
    client, accountant, own, django_capture_on_commit_callbacks
):
    text = ROW.format(number="1000154", amount="100,00")
    first = upload(client, own, text, capture=django_capture_on_commit_callbacks)
    again = upload(client, own, text, capture=django_capture_on_commit_callbacks)
    assert again.url == first.url
    assert "уже загружен" in text_of(client.get(again.url))
    assert PaymentRegistry.objects.count() == 1
    assert Payment.objects.count() == 1


def test_an_operator_sees_registries_but_cannot_upload(client, own):
    client.force_login(staff_user(own, StaffRole.OPERATOR))
    assert "Загрузить реестр платежей" not in text_of(client.get(reverse("backoffice:registries")))
    response = client.post(reverse("backoffice:registries"), {"organization": own.pk})
    assert response.status_code == 403


def test_staff_cannot_upload_for_another_organisation(client, accountant, other):
    response = client.post(
        reverse("backoffice:registries"),
        {"organization": other.pk, "file": SimpleUploadedFile("r.txt", b"x")},
    )
    assert "organization" in response.context["form"].errors
    assert not PaymentRegistry.objects.exists()


def test_another_organisations_registry_is_not_found(client, accountant, other):
    theirs = upload_registry(other, "r.txt", b"20.11.2026;1;A;;;1,00;0\n", None)
    assert client.get(reverse("backoffice:registries")).context["registries"].count() == 0
    for name in ("backoffice:registry", "backoffice:registry_import_good_rows"):
        url = reverse(name, args=[theirs.pk])
        assert client.post(url).status_code == 404


def test_reconciliation_by_day_and_source_against_the_registries(
    client, accountant, own, other, django_capture_on_commit_callbacks
):
    account = own.accounts.get()
    text = ROW.format(number="1000154", amount="1500,00") + ROW.format(number="42", amount="7,00")
    upload(client, own, text, good_rows_only=True, capture=django_capture_on_commit_callbacks)
    PaymentFactory(account=account, paid_on=datetime.date(2026, 11, 20), amount=Decimal("300.00"),
                   source=PaymentSource.ONLINE)  # fmt: skip
    PaymentFactory(account=PersonalAccountFactory(premise__house__organization=other),
                   paid_on=datetime.date(2026, 11, 20), amount=Decimal("999.00"))  # fmt: skip

    response = client.get(reverse("backoffice:reconciliation") + "?month=2026-11")
    (day,) = response.context["days"]
    assert day.day == datetime.date(2026, 11, 20)
    assert day.paid == {
        PaymentSource.BANK: Decimal("1500.00"),
        PaymentSource.ONLINE: Decimal("300.00"),
    }
    assert day.registries == Decimal("1507.00")
    assert day.difference == Decimal("7.00")  # the row of an unknown account is not credited
    page = text_of(response)
    assert "1\u00a0800,00" in page  # everything received that day
    assert "999,00" not in page  # another organisation's payment


@pytest.mark.parametrize(
    "url",
    [
        reverse("backoffice:registries"),
        reverse("backoffice:reconciliation"),
        reverse("backoffice:registry", args=[1]),
    ],
)
def test_residents_and_strangers_have_no_registry_pages(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_a_registry_being_imported_shows_its_progress(client, accountant, own):
    registry = upload_registry(own, "big.txt", b"20.11.2026;1;A;;;1,00;0\n", None)
    start_job(registry.job, total=100_000)
    report_progress(registry.job, done=40_000)

    page = client.get(reverse("backoffice:registry", args=[registry.pk]))
    assert "Обработано 40000 из 100000 (40%)" in text_of(page)
    assert 'http-equiv="refresh"' in page.text


def test_a_registry_of_the_capital_repair_payee_credits_contributions(
    client, accountant, own, django_capture_on_commit_callbacks
):
    """The same row in the organisation's registry and in the capital repair payee's is two
    payments, each settling its own debt (docs/billing-law.md)."""
    row = ROW.format(number="1000154", amount="669,60")
    upload(client, own, row, capture=django_capture_on_commit_callbacks)
    data = {
        "organization": own.pk,
        "file": SimpleUploadedFile("kapremont.txt", ("# капремонт\n" + row).encode("cp1251")),
        "capital_repair": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:registries"), data)
    assert sorted(Payment.objects.values_list("capital_repair", "amount")) == [
        (False, Decimal("669.60")), (True, Decimal("669.60"))
    ]  # fmt: skip
    assert PaymentRegistry.objects.filter(capital_repair=True).get().rows_credited == 1


def test_reconciliation_totals_of_a_month_without_payments_are_zero_in_every_column():
    totals = reconciliation_totals([])
    assert totals.by_source == [Decimal("0.00")] * len(PaymentSource.values)
    assert (totals.total, totals.registries, totals.difference) == (0, 0, 0)
