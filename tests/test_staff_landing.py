"""Staff land in their workplace (the back office's start page) after signing in and on
Главная; someone who is staff and a resident switches between the two by a link."""

import pytest
from django.urls import reverse

from kabinet.orgs.models import StaffRole
from tests.factories import PASSWORD, AccountLinkFactory, OrganizationFactory, staff_user

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    return client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})


@pytest.mark.parametrize("role", [StaffRole.OPERATOR, StaffRole.ACCOUNTANT])
def test_staff_land_in_the_back_office_after_signing_in(client, role):
    user = staff_user(OrganizationFactory(), role)
    response = sign_in(client, user)
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_home_takes_staff_without_accounts_to_the_back_office(client):
    client.force_login(staff_user(OrganizationFactory()))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_staff_may_still_open_the_resident_side_from_the_back_office(client):
    client.force_login(staff_user(OrganizationFactory()))
    index = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("portal:home")}?resident=1"' in index
    page = client.get(reverse("portal:home") + "?resident=1")
    assert page.status_code == 200
    assert "Добавить лицевой счет" in page.content.decode()


def test_staff_who_are_residents_see_their_accounts_and_a_link_to_the_back_office(client):
    user = staff_user(OrganizationFactory())
    link = AccountLinkFactory(user=user)
    client.force_login(user)
    page = client.get(reverse("portal:home")).content.decode()
    assert f"ЛС № {link.account.number}" in page
    assert f'href="{reverse("admin:index")}"' in page


def test_residents_land_on_home(client):
    user = AccountLinkFactory().user
    response = sign_in(client, user)
    assert response.url == reverse("portal:home")


def test_the_menu_links_to_the_back_office_for_a_staff_role_not_for_is_staff_alone(client):
    """The menu's «Бэк-офис УК» follows the rule that lands staff there after signing in
    (``workplace_url``): a staff role in an organisation, not the ``is_staff`` flag alone."""
    flag_only = AccountLinkFactory().user
    flag_only.is_staff = True
    flag_only.save(update_fields=["is_staff"])
    client.force_login(flag_only)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "Бэк-офис УК" not in page
    member = staff_user(OrganizationFactory())
    AccountLinkFactory(user=member)
    client.force_login(member)
    page = client.get(reverse("portal:profile")).content.decode()
    assert f'<a href="{reverse("admin:index")}">Бэк-офис УК</a>' in page


def test_a_resident_without_a_staff_role_sees_no_back_office_link(client):
    client.force_login(AccountLinkFactory().user)
    assert "Бэк-офис УК" not in client.get(reverse("portal:home")).content.decode()
