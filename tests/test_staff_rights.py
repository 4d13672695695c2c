"""A staff member's rights hold in the organisation of the record acted on: someone who is
operator in «УК А» and accountant in «УК Б» writes billing in Б only and readings in А only."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from kabinet.billing.models import Service, Tariff
from kabinet.housing.models import House, PersonalAccount
from kabinet.metering.models import Meter, Reading
from kabinet.months import first_of_month
from kabinet.orgs.models import Organization, StaffRole
from kabinet.orgs.scoping import organization_id_of
from kabinet.orgs.selectors import can_change, organizations_to_change, record_to_change
from kabinet.payments import registry as registries
from kabinet.payments.models import Payment, PaymentRegistry
from kabinet.users.models import AccountLink
from tests.factories import (
    AccountLinkFactory,
    HouseFactory,
    MeterFactory,
    OrganizationFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
    UserFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def org_a():
    return OrganizationFactory(name="УК А")


@pytest.fixture
def org_b():
    return OrganizationFactory(name="УК Б")


@pytest.fixture
def stranger():
    return OrganizationFactory(name="УК Чужая")


@pytest.fixture
def two_hats(client, org_a, org_b):
    """Operator in «УК А», accountant in «УК Б»."""
    user = staff_user(org_a, StaffRole.OPERATOR)
    staff_user_role(user, org_b, StaffRole.ACCOUNTANT)
    client.force_login(user)
    return user


def staff_user_role(user, organization, role):
    from kabinet.orgs.services import add_staff_member

    add_staff_member(user, organization, role)


def account_of(organization, number):
    return PersonalAccountFactory(premise__house__organization=organization, number=number)


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# The four leaks: each is refused in the organisation where the role may not write.


def test_accountant_elsewhere_cannot_change_a_tariff_of_the_organisation_they_operate(
    client, two_hats, org_a
):
    tariff = TariffFactory(service__organization=org_a, value=Decimal("20.00"))
    response = client.post(
        admin_url(Tariff, "change", tariff.pk),
        {"service": tariff.service.pk, "value": "99.00", "valid_from": "01.01.2026"},
    )
    assert response.status_code == 403
    tariff.refresh_from_db()
    assert tariff.value == Decimal("20.00")


def test_accountant_elsewhere_cannot_add_a_manual_payment_to_an_account_they_operate(
    client, two_hats, org_a, org_b
):
    theirs = account_of(org_a, "1000001")
    mine = account_of(org_b, "2000001")
    form = client.get(admin_url(Payment, "add")).context["adminform"].form
    assert list(form.fields["account"].queryset) == [mine]

    response = client.post(
        admin_url(Payment, "add"),
        {"account": theirs.pk, "paid_on": "10.11.2026", "amount": "500.00", "source": "cash",
         "commission": "0"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "account" in response.context["adminform"].form.errors
    assert not Payment.objects.exists()


def test_accountant_elsewhere_cannot_upload_or_credit_a_registry_of_the_organisation_they_operate(
    client, two_hats, org_a, org_b, django_capture_on_commit_callbacks
):
    account_of(org_a, "1000154")
    row = "20.11.2026;1000154;Иванов И. И.;;102026;1500,00;0\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("backoffice:registries"),
            {"organization": org_a.pk, "file": SimpleUploadedFile("r.txt", row.encode("cp1251"))},
        )
    assert "organization" in response.context["form"].errors
    assert list(response.context["form"].fields["organization"].queryset) == [org_b]
    assert not PaymentRegistry.objects.exists()

    bad = row + "20.11.2026;42;A;;;1,00;0\n"
    with django_capture_on_commit_callbacks(execute=True):
        rejected = registries.upload_registry(org_a, "r.txt", bad.encode("cp1251"), None)
    page = client.get(reverse("backoffice:registry", args=[rejected.pk]))
    assert page.status_code == 200
    assert not page.context["can_import_good_rows"]
    response = client.post(reverse("backoffice:registry_import_good_rows", args=[rejected.pk]))
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_operator_elsewhere_cannot_enter_a_reading_of_the_organisation_they_keep_books_for(
    client, two_hats, org_b
):
    meter = MeterFactory(account=account_of(org_b, "2000001"))
    url = reverse("backoffice:account_readings", args=[meter.account.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Записать показания" not in page.text
    response = client.post(
        url,
        {f"meter_{meter.pk}": "5", "period": f"{first_of_month(timezone.localdate()):%Y-%m}",
         "taken_on": timezone.localdate()},
    )  # fmt: skip
    assert response.status_code == 403
    assert not Reading.objects.exists()


def test_the_same_person_still_writes_where_their_role_allows(client, two_hats, org_a, org_b):
    meter = MeterFactory(account=account_of(org_a, "1000001"))
    response = client.post(
        reverse("backoffice:account_readings", args=[meter.account.pk]),
        {f"meter_{meter.pk}": "5", "period": f"{first_of_month(timezone.localdate()):%Y-%m}",
         "taken_on": timezone.localdate()},
    )  # fmt: skip
    assert response.status_code == 302
    tariff = TariffFactory(service__organization=org_b)
    response = client.post(
        admin_url(Tariff, "change", tariff.pk),
        {"service": tariff.service.pk, "value": "99.00", "valid_from": "01.01.2026"},
    )
    assert response.status_code == 302
    tariff.refresh_from_db()
    assert tariff.value == Decimal("99.00")
