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
from django.urls import resolve, reverse
from django.utils import timezone

from kabinet.billing.models import Service, Tariff
from kabinet.housing.models import House, ManagementContract, PersonalAccount
from kabinet.jobs.models import Job
from kabinet.metering.models import Meter, Reading
from kabinet.months import first_of_month
from kabinet.orgs.models import Organization, StaffRole
from kabinet.orgs.scoping import organization_id_of
from kabinet.orgs.selectors import can_change, organizations_to_change, record_to_change
from kabinet.orgs.services import add_staff_member
from kabinet.payments.models import Payment, PaymentRegistry
from kabinet.payments.registry.uploads import upload_registry
from kabinet.receipts.models import DeliveryStatus, ReceiptDelivery
from kabinet.users.models import AccountLink, LinkRequest, LinkRequestStatus, User
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
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

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


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
    add_staff_member(user, org_b, StaffRole.ACCOUNTANT)
    client.force_login(user)
    return user


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
        rejected = upload_registry(org_a, "r.txt", bad.encode("cp1251"), None)
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


# The one helper and the organisation of a record.


def test_can_change_has_no_answer_without_an_organisation(two_hats):
    with pytest.raises(TypeError):
        can_change(two_hats, "billing")


def test_the_organisation_of_a_record_is_found_through_its_lookups(org_a, org_b):
    house_meter = MeterFactory(account=None, house=HouseFactory(organization=org_b))
    reading = ReadingFactory(meter=MeterFactory(account=account_of(org_a, "1000001")))
    assert organization_id_of(org_a) == org_a.pk
    assert organization_id_of(house_meter) == org_b.pk
    assert organization_id_of(ReadingFactory(meter=house_meter)) == org_b.pk
    assert organization_id_of(reading) == org_a.pk
    assert organization_id_of(TariffFactory(service__organization=org_b)) == org_b.pk


def test_record_to_change_is_not_found_outside_and_refused_without_the_role(
    two_hats, org_a, org_b, stranger
):
    ours = TariffFactory(service__organization=org_b)
    assert record_to_change(two_hats, "billing", Tariff.objects, pk=ours.pk) == ours
    with pytest.raises(PermissionDenied):
        record_to_change(two_hats, "billing", Tariff.objects, pk=TariffFactory(
            service__organization=org_a).pk)  # fmt: skip
    with pytest.raises(Http404):
        record_to_change(two_hats, "billing", Tariff.objects, pk=TariffFactory(
            service__organization=stranger).pk)  # fmt: skip
    assert list(organizations_to_change(two_hats, "billing")) == [org_b]
    assert list(organizations_to_change(two_hats, "metering")) == [org_a]


# The admin: rights by the record's organisation, choices, sidebars, actions, inlines.


def test_admin_rights_follow_the_records_organisation(two_hats, org_a, org_b):
    request = admin_request(two_hats)
    tariffs = admin.site.get_model_admin(Tariff)
    in_a = TariffFactory(service__organization=org_a)
    in_b = TariffFactory(service__organization=org_b)
    assert not tariffs.has_change_permission(request, in_a)
    assert not tariffs.has_delete_permission(request, in_a)
    assert tariffs.has_change_permission(request, in_b)
    assert tariffs.has_delete_permission(request, in_b)
    # Without a record: whether the role may write in any of the organisations.
    assert tariffs.has_add_permission(request)
    assert tariffs.has_change_permission(request)

    meters = admin.site.get_model_admin(Meter)
    assert meters.has_change_permission(request, MeterFactory(account=account_of(org_a, "1")))
    house_meter_of_b = MeterFactory(account=None, house=HouseFactory(organization=org_b))
    assert not meters.has_change_permission(request, house_meter_of_b)

    organizations = admin.site.get_model_admin(Organization)
    assert not organizations.has_change_permission(request, org_a)
    assert not organizations.has_change_permission(request)


def test_a_role_that_writes_nowhere_gets_no_add_or_change(org_a):
    request = admin_request(staff_user(org_a, StaffRole.OPERATOR))
    services = admin.site.get_model_admin(Service)
    assert not services.has_add_permission(request)
    assert not services.has_change_permission(request)
    assert services.has_view_permission(request)


def test_add_forms_offer_only_the_organisations_where_the_role_may_write(
    client, two_hats, org_a, org_b, stranger
):
    for organization in (org_a, org_b, stranger):
        HouseFactory(organization=organization, address=f"дом {organization.name}")
        ServiceFactory(organization=organization, name=f"услуга {organization.name}")

    form = client.get(admin_url(House, "add")).context["adminform"].form
    assert list(form.fields["organization"].queryset) == [org_a]
    form = client.get(admin_url(PersonalAccount, "add")).context["adminform"].form
    assert [str(p.house) for p in form.fields["premise"].queryset] == []  # no premises yet
    assert list(form.fields["organization"].queryset) == [org_a]
    form = client.get(admin_url(Tariff, "add")).context["adminform"].form
    assert [s.name for s in form.fields["service"].queryset] == ["услуга УК Б"]
    assert [h.address for h in form.fields["house"].queryset] == ["дом УК Б"]

    response = client.post(admin_url(House, "add"), {"organization": org_b.pk, "address": "Новый"})
    assert response.status_code == 200
    assert "organization" in response.context["adminform"].form.errors
    assert not House.objects.filter(address="Новый").exists()


def test_filter_sidebars_list_only_the_users_organisations(
    client, two_hats, org_a, org_b, stranger
):
    for organization in (org_a, org_b, stranger):
        HouseFactory(organization=organization, address=f"дом {organization.name}")
        ServiceFactory(organization=organization, name=f"услуга {organization.name}")

    def choices(model, field_path):
        """A filter with a single choice is not drawn; these have two."""
        specs = client.get(admin_url(model, "changelist")).context["cl"].filter_specs
        spec = next(spec for spec in specs if spec.field_path == field_path)
        return [name for _, name in spec.lookup_choices]

    assert choices(House, "organization") == ["УК А", "УК Б"]
    assert choices(PersonalAccount, "premise__house") == ["дом УК А", "дом УК Б"]
    assert choices(Tariff, "service") == ["услуга УК А", "услуга УК Б"]
    assert choices(Tariff, "house") == ["дом УК А", "дом УК Б"]


def test_staff_cannot_look_up_portal_users(client, two_hats, org_a):
    UserFactory(username="somebody", last_name="Посторонний")
    link = AccountLinkFactory(account=account_of(org_a, "1000001"))
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "orgs", "model_name": "staffmembership", "field_name": "user", "term": "s"},
    )
    assert autocomplete.status_code == 403
    popup = client.get(admin_url(User, "changelist"), {"_popup": "1", "_to_field": "id"})
    assert popup.status_code == 403
    assert "Посторонний" not in popup.text
    index = client.get(reverse("admin:index"))
    assert "users/user/" not in index.text

    change = client.get(admin_url(AccountLink, "change", link.pk))
    assert "user" not in change.context["adminform"].form.fields
    assert client.get(admin_url(AccountLink, "add")).status_code == 403
    stranger_user = UserFactory()
    client.post(
        admin_url(AccountLink, "change", link.pk),
        {"account": link.account.pk, "user": stranger_user.pk},
    )
    link.refresh_from_db()
    assert link.user != stranger_user


def test_superusers_still_look_up_users(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "orgs", "model_name": "staffmembership", "field_name": "user", "term": ""},
    )
    assert response.status_code == 200


def test_staff_change_forms_have_no_unscoped_choices(rf, org_a):
    """Every related field staff may fill in lists the records of organisations only."""
    manager = staff_user(org_a, StaffRole.MANAGER)
    for model, model_admin in admin.site._registry.items():
        request = rf.get("/admin/")
        request.user = manager
        request.resolver_match = resolve("/admin/")
        if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(
                request)):  # fmt: skip
            continue
        form = model_admin.get_form(request)
        for name, field in form.base_fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is not None:
                assert hasattr(queryset, "for_organizations"), (model, name)


def test_bulk_delete_is_refused_in_an_organisation_where_the_role_may_not_write(
    client, two_hats, org_a
):
    tariff = TariffFactory(service__organization=org_a)
    response = client.post(
        admin_url(Tariff, "changelist"),
        {"action": "delete_selected", "_selected_action": [tariff.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Tariff.objects.filter(pk=tariff.pk).exists()


def test_an_edit_in_the_list_is_saved_only_where_the_role_may_write(two_hats, org_a):
    tariffs = admin.site.get_model_admin(Tariff)
    request = admin_request(two_hats)
    tariff = TariffFactory(service__organization=org_a)
    form = tariffs.get_changelist_form(request)(instance=tariff)
    with pytest.raises(PermissionDenied):
        tariffs.save_form(request, form, change=True)


def test_link_requests_are_decided_only_where_the_role_keeps_the_links(
    client, two_hats, org_b, django_capture_on_commit_callbacks
):
    account = account_of(org_b, "2000001")
    link_request = LinkRequest.objects.create(
        user=UserFactory(), organization=org_b, premise=account.premise, account=account,
        message="Плачу наличными.",
    )  # fmt: skip
    changelist = admin_url(LinkRequest, "changelist")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "approve", "_selected_action": [link_request.pk]})
    link_request.refresh_from_db()
    assert link_request.status == LinkRequestStatus.NEW
    assert not AccountLink.objects.exists()


def test_receipts_are_mailed_again_only_where_the_role_keeps_the_books(client, two_hats, org_a):
    charge = ChargeFactory(account=account_of(org_a, "1000001"))
    link = AccountLinkFactory(account=charge.account, receipts_by_email=True)
    delivery = ReceiptDelivery.objects.create(
        period=charge.period, account=charge.account, user=link.user, email=link.user.email,
        status=DeliveryStatus.FAILED,
    )  # fmt: skip
    response = client.post(
        admin_url(ReceiptDelivery, "changelist"),
        {"action": "mail_again", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "Действие не выполнено" in response.text
    assert not Job.objects.exists()


def test_contract_documents_are_kept_with_the_rights_of_the_contracts_organisation(
    two_hats, org_a, org_b
):
    request = admin_request(two_hats)
    contracts = admin.site.get_model_admin(ManagementContract)
    [documents] = contracts.get_inline_instances(request)
    contract_of = {
        organization: ManagementContract.objects.create(
            house=HouseFactory(organization=organization),
            number="1",
            signed_on=datetime.date(2020, 1, 1),
            valid_from=datetime.date(2020, 1, 1),
        )
        for organization in (org_a, org_b)
    }
    assert documents.has_view_permission(request, contract_of[org_b])
    assert documents.has_add_permission(request, contract_of[org_a])
    assert documents.has_delete_permission(request, contract_of[org_a])
    assert not documents.has_add_permission(request, contract_of[org_b])
    assert not documents.has_change_permission(request, contract_of[org_b])
