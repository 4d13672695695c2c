"""«Мой профиль»: personal data, e-mail change with confirmation, subscriptions, unlinking."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from kabinet.users.models import AccountLink, User
from kabinet.users.profile import normalize_phone
from tests.factories import PASSWORD, AccountLinkFactory, PaymentFactory, UserFactory
from tests.test_auth import confirmation_link

pytestmark = pytest.mark.django_db

EDIT = {
    "username": "ivanov",
    "last_name": "Иванов",
    "first_name": "Иван",
    "middle_name": "",
    "phone": "8 (912) 345-67-89",
}


@pytest.fixture
def resident(client):
    user = UserFactory(username="ivanov", email="ivanov@example.com")
    client.force_login(user)
    return user


def test_profile_needs_login(client):
    response = client.get(reverse("portal:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_profile_shows_data_links_and_the_ways_to_change_them(client, resident):
    link = AccountLinkFactory(user=resident)
    page = client.get(reverse("portal:profile")).content.decode()
    for text in ["ivanov", "Сидоров Семён Семёнович", "ivanov@example.com",
                 f"ЛС № {link.account.number}", "Подписки", "Скачать мои данные"]:  # fmt: skip
        assert text in page, text
    for url in [reverse("portal:edit_profile"), reverse("account_email"),
                reverse("account_change_password"), reverse("portal:delete_profile"),
                reverse("portal:unlink_account", args=[link.account.pk])]:  # fmt: skip
        assert url in page, url


def test_edit_profile_saves_names_and_a_normalised_phone(client, resident):
    response = client.post(reverse("portal:edit_profile"), {**EDIT, "username": "Ivanov.I"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.username == "ivanov.i"
    assert resident.full_name == "Иванов Иван"
    assert resident.phone == "+7 (912) 345-67-89"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "+7 912 ABC-67-89"),
        ("last_name", ""),
        ("username", "a b"),
        ("username", "аdmin"),  # a Cyrillic «а»
    ],
)
def test_bad_profile_data_is_refused_and_nothing_changes(client, resident, field, value):
    response = client.post(reverse("portal:edit_profile"), {**EDIT, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    resident.refresh_from_db()
    assert resident.last_name == "Сидоров"
    assert resident.username == "ivanov"


def test_login_of_another_user_is_refused_in_any_case(client, resident):
    UserFactory(username="petrov")
    response = client.post(reverse("portal:edit_profile"), {**EDIT, "username": "PETROV"})
    assert "уже занято" in str(response.context["form"].errors["username"])


@given(st.from_regex(r"\A[2-9][0-9]{9}\Z"))  # ASCII digits: «٠» is refused
def test_any_ten_digit_number_is_written_one_way(digits):
    written = normalize_phone(digits)
    assert re.fullmatch(r"\+7 \(\d{3}\) \d{3}-\d{2}-\d{2}", written)
    assert normalize_phone(written) == written
    assert normalize_phone("8" + digits) == written


def reauthenticate(client):
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def test_email_change_asks_for_the_password_first(client, resident):
    response = client.post(reverse("account_email"), {"email": "new@example.com", "action_add": ""})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not mail.outbox
    assert not EmailAddress.objects.filter(email="new@example.com").exists()

    wrong = client.post(response.url, {"password": "not-the-password"})
    assert wrong.status_code == 200
    assert not mail.outbox

    client.post(response.url, {"password": PASSWORD})
    assert EmailAddress.objects.filter(user=resident, email="new@example.com").exists()
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_email_change_waits_for_the_new_address_to_be_confirmed(client, resident):
    reauthenticate(client)
    client.post(reverse("account_email"), {"email": "new@example.com", "action_add": ""})
    resident.refresh_from_db()
    assert resident.email == "ivanov@example.com"  # not before the confirmation
    page = client.get(reverse("portal:profile")).content.decode()
    assert "new@example.com" in page
    assert "ждём подтверждения" in page

    confirmation = next(m for m in mail.outbox if m.to == ["new@example.com"])
    client.post(confirmation_link(confirmation))
    resident.refresh_from_db()
    assert resident.email == "new@example.com"
    assert list(EmailAddress.objects.filter(user=resident).values_list("email", flat=True)) == [
        "new@example.com"
    ]
    assert any(m.to == ["ivanov@example.com"] for m in mail.outbox[1:])  # the old one is told


@pytest.mark.parametrize("email", ["taken@example.com", "Taken@Example.COM"])
def test_email_of_another_user_is_refused_in_words_and_its_owner_is_not_mailed(
    client, resident, email
):
    UserFactory(email="taken@example.com")
    reauthenticate(client)
    response = client.post(reverse("account_email"), {"email": email, "action_add": ""})
    assert response.status_code == 200
    assert "уже указан в профиле другого пользователя" in response.content.decode()
    assert not mail.outbox
    resident.refresh_from_db()
    assert resident.email == "ivanov@example.com"
    assert not EmailAddress.objects.filter(user=resident, email__iexact=email).exists()


def test_subscriptions_switch_per_account_and_for_the_user(client, resident):
    first = AccountLinkFactory(user=resident)
    second = AccountLinkFactory(user=resident, receipts_by_email=True)
    stranger = AccountLinkFactory()
    response = client.post(
        reverse("portal:subscriptions"),
        {
            "news_by_email": "on",
            f"receipts_{first.account_id}": "on",
            f"receipts_{stranger.account_id}": "on",
        },
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.news_by_email, resident.reading_reminders) == (True, False)
    assert AccountLink.objects.get(pk=first.pk).receipts_by_email
    assert not AccountLink.objects.get(pk=second.pk).receipts_by_email
    assert not AccountLink.objects.get(pk=stranger.pk).receipts_by_email


def test_subscriptions_form_shows_what_is_on(client, resident):
    link = AccountLinkFactory(user=resident, receipts_by_email=True)
    form = client.get(reverse("portal:profile")).context["subscriptions"]
    assert form[f"receipts_{link.account_id}"].value() is True
    assert form["reading_reminders"].value() is True
    assert form["news_by_email"].value() is False


def test_unlink_asks_first_then_removes_only_the_link(client, resident):
    link = AccountLinkFactory(user=resident)
    payment = PaymentFactory(account=link.account)
    url = reverse("portal:unlink_account", args=[link.account.pk])
    page = client.get(url).content.decode()
    assert f"Удалить ЛС № {link.account.number} из профиля?" in page
    assert AccountLink.objects.filter(pk=link.pk).exists()

    response = client.post(url)
    assert response.url == reverse("portal:profile")
    assert not AccountLink.objects.filter(pk=link.pk).exists()
    assert link.account.payments.get() == payment  # the account and its history stay
    assert client.get(reverse("portal:account", args=[link.account.pk])).status_code == 404


def test_another_users_account_cannot_be_unlinked(client, resident):
    stranger = AccountLinkFactory()
    url = reverse("portal:unlink_account", args=[stranger.account.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert AccountLink.objects.filter(pk=stranger.pk).exists()
    assert User.objects.filter(pk=stranger.user_id).exists()
