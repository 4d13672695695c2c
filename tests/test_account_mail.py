"""Account e-mails (allauth's, in our words): greeted by the portal and the УК, not the host;
the page after sign-up sends the confirmation again."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from tests.factories import PASSWORD, AccountLinkFactory, OrganizationFactory
from tests.test_auth import SIGNUP, login, signup

pytestmark = pytest.mark.django_db


@override_settings(PORTAL_NAME="Личный кабинет потребителя", SITE_URL="http://127.0.0.1:8822")
def test_confirmation_greets_with_the_portal_name_not_the_host(client):
    signup(client)
    (letter,) = mail.outbox
    assert "testserver" not in letter.body.replace("http://testserver/", "")
    assert "Вам пишет Личный кабинет потребителя." in letter.body
    assert "http://127.0.0.1:8822" in letter.body
    assert not re.search(r"[а-яё][.,:!][А-ЯЁа-яё]", letter.body)  # no sentences run together


def test_a_residents_letter_names_the_uk(client):
    link = AccountLinkFactory(
        account__premise__house__organization=OrganizationFactory(name="УК Своя")
    )
    client.post(reverse("account_reset_password"), {"email": link.user.email})
    (letter,) = mail.outbox
    assert "управляющая организация «УК Своя»" in letter.body
    assert PASSWORD not in letter.body


def test_the_page_after_signup_sends_the_confirmation_again(client):
    response = signup(client)
    page = client.get(response.url).content.decode()
    assert "Отправить письмо ещё раз" in page
    assert f'action="{reverse("account_login")}"' in page
    mail.outbox.clear()
    cache.clear()  # allauth sends one confirmation in 3 minutes (ACCOUNT_RATE_LIMITS)
    again = login(client, SIGNUP["username"], SIGNUP["password1"])
    assert again.url == reverse("account_email_verification_sent")
    (letter,) = mail.outbox
    assert letter.to == [SIGNUP["email"]]
    assert "/accounts/confirm-email/" in letter.body
