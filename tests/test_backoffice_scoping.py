"""Staff see and change only their own organisation's records in the back office."""

import pytest
from django.urls import reverse

from kabinet.orgs.models import StaffRole
from kabinet.orgs.selectors import organizations_for
from kabinet.receipts.models import PaymentDocumentId
from tests.factories import (
    ChargeFactory,
    HouseFactory,
    MeterFactory,
    PaymentFactory,
    PersonalAccountFactory,
    ReadingFactory,
    UserFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db


def admin_url(obj, action="change"):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=[obj.pk])


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def records_of(organization):
    account = PersonalAccountFactory(premise__house__organization=organization)
    meter = MeterFactory(account=account)
    charge = ChargeFactory(account=account)
    return [
        organization,
        account.premise.house,
        account.premise,
        account,
        charge,
        PaymentFactory(account=account),
        meter,
        ReadingFactory(meter=meter),
        MeterFactory(account=None, house=account.premise.house),
        PaymentDocumentId.objects.create(
            account=account, period=charge.period, value=f"{account.number:0>10}-01-1026"
        ),
    ]


def test_staff_list_shows_only_own_records(client, operator, own, other):
    for mine, theirs in zip(records_of(own), records_of(other), strict=True):
        page = client.get(changelist(type(mine)))
        assert page.status_code == 200
        shown = set(page.context["cl"].queryset)
        assert mine in shown
        assert theirs not in shown


def test_other_organisations_records_cannot_be_opened_or_changed(client, operator, own, other):
    for record in records_of(other):
        response = client.get(admin_url(record))
        # The admin answers a record outside the queryset with a redirect to the index.
        assert response.status_code == 302, record
        assert response.url == reverse("admin:index")
        assert client.post(admin_url(record, "delete"), {"post": "yes"}).status_code in (302, 403)
        assert type(record).objects.filter(pk=record.pk).exists()


def test_related_choices_offer_only_own_organisation(client, operator, own, other):
    HouseFactory(organization=own, address="Своя ул., 1")
    HouseFactory(organization=other, address="Чужая ул., 1")
    form = client.get(reverse("admin:housing_premise_add")).context["adminform"].form
    assert [h.address for h in form.fields["house"].queryset] == ["Своя ул., 1"]


def test_staff_cannot_move_a_record_to_another_organisation(client, own, other):
    manager = staff_user(own, StaffRole.MANAGER)
    client.force_login(manager)
    house = HouseFactory(organization=own)
    response = client.post(admin_url(house), {"organization": other.pk, "address": "Новый адрес"})
    assert response.status_code == 200  # the form is shown again with an error
    assert "organization" in response.context["adminform"].form.errors
    house.refresh_from_db()
    assert house.organization == own


def test_operator_cannot_change_billing_but_can_view_it(client, operator, own):
    charge = ChargeFactory(account__premise__house__organization=own)
    assert client.get(admin_url(charge)).status_code == 200
    response = client.post(admin_url(charge), {"charged": "1.00"})
    assert response.status_code == 403


def test_accountant_cannot_change_housing(client, own):
    client.force_login(staff_user(own, StaffRole.ACCOUNTANT))
    house = HouseFactory(organization=own)
    response = client.post(admin_url(house), {"organization": own.pk, "address": "Другой"})
    assert response.status_code == 403
    assert client.get(reverse("admin:billing_service_add")).status_code == 200


def test_staff_cannot_create_organisations_or_see_portal_users(client, operator):
    assert client.get(reverse("admin:orgs_organization_add")).status_code == 403
    assert client.get(reverse("admin:users_user_changelist")).status_code == 403


def test_superuser_sees_every_organisation(own, other):
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert set(organizations_for(admin)) == {own, other}


def test_resident_has_no_back_office(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_back_office_login_goes_through_the_rate_limited_portal_login(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    follow = client.get(response.url)
    assert follow.status_code == 302
    assert follow.url.startswith(reverse("account_login"))
