"""Two-factor sign-in for staff (allauth.mfa, TOTP): required for accountants, managers and
superusers before the back office opens when ``STAFF_MFA_REQUIRED`` is on."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse

from kabinet.orgs.models import StaffRole
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, staff_user
from tests.test_auth import login

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def required(settings):
    settings.STAFF_MFA_REQUIRED = True


def current_code(secret):
    """The code of the current 30-second step; near a step's end, the next step's (a code made
    at 29,9 s and checked at 30,1 s would be refused, allauth allowing no drift)."""
    if time.time() % 30 > 27:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def activation_secret(client):
    """The secret of the setup page (allauth asks for the password once more first)."""
    assert client.get(ACTIVATE).url.startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    assert "<svg" in page.context["totp_svg"]
    return page.context["form"].secret


def signed_in(client, role):
    user = staff_user(OrganizationFactory(), role)
    login(client, user.username)
    return user


@pytest.mark.parametrize("role", [StaffRole.ACCOUNTANT, StaffRole.MANAGER])
@pytest.mark.parametrize("page", ["/admin/", "/staff/billing/"])
def test_accountants_and_managers_are_sent_to_set_up_an_authenticator(client, role, page):
    signed_in(client, role)
    response = client.get(page)
    assert response.status_code == 302
    assert response.url == ACTIVATE


def test_a_superuser_is_sent_to_set_up_an_authenticator(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    login(client, user.username)
    assert client.get("/admin/").url == ACTIVATE


def test_an_operator_may_work_without_one(client):
    signed_in(client, StaffRole.OPERATOR)
    assert client.get("/admin/").status_code == 200


def test_the_portal_stays_open_without_one(client):
    signed_in(client, StaffRole.ACCOUNTANT)
    assert client.get(reverse("portal:profile")).status_code == 200


def test_without_the_setting_nobody_is_sent(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    signed_in(client, StaffRole.ACCOUNTANT)
    assert client.get("/admin/").status_code == 200


def test_after_activating_totp_the_back_office_opens(client):
    user = signed_in(client, StaffRole.ACCOUNTANT)
    secret = activation_secret(client)
    response = client.post(ACTIVATE, {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    assert client.get("/admin/").status_code == 200


def test_next_sign_in_asks_for_the_code(client):
    user = signed_in(client, StaffRole.MANAGER)
    secret = activation_secret(client)
    client.post(ACTIVATE, {"code": current_code(secret)})
    client.post(reverse("account_logout"))

    response = login(client, user.username, PASSWORD)
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/admin/").status_code == 200


def test_the_profile_leads_to_two_factor_settings(client):
    signed_in(client, StaffRole.OPERATOR)
    assert reverse("mfa_index") in client.get(reverse("portal:profile")).content.decode()
