import re

import pytest
from django.core import mail
from django.urls import reverse

from kabinet.users.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "petrov",
    "email": "petrov@example.com",
    "last_name": "Петров",
    "first_name": "Пётр",
    "middle_name": "Петрович",
    "password1": "Kv@rtira-154",
    "password2": "Kv@rtira-154",
    "consent": "on",
}


def signup(client, **changes):
    return client.post(reverse("account_signup"), {**SIGNUP, **changes})


def login(client, username, password=PASSWORD, remember=False):
    data = {"login": username, "password": password}
    if remember:
        data["remember"] = "on"
    return client.post(reverse("account_login"), data)


def confirmation_link(message):
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)


def test_login_page_as_in_the_seed(client):
    page = client.get(reverse("account_login")).content.decode()
    for text in [
        "Личный кабинет потребителя",
        "Введите имя пользователя и пароль или зарегистрируйтесь.",
        "Имя пользователя",
        "Пароль",
        "Запомнить?",
        "Войти",
        "Забыли пароль?",
        "Зарегистрироваться",
    ]:
        assert text in page


def test_signup_form_has_the_seed_labels_in_order(client):
    page = client.get(reverse("account_signup")).content.decode()
    labels = re.findall(r'<label class="form[^"]*" for="id_\w+">([^<]+)', page)
    assert labels[:7] == [
        "Имя пользователя",
        "E-mail",
        "Фамилия",
        "Имя",
        "Отчество",
        "Пароль",
        "Подтверждение пароля",
    ]
    assert reverse("portal:privacy") in page
    assert "152-ФЗ" in page


@pytest.mark.parametrize("field", ["last_name", "first_name", "email", "consent"])
def test_every_signup_field_is_required(client, field):
    response = signup(client, **{field: ""})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.exists()


def test_signup_sends_a_confirmation_and_blocks_login_until_confirmed(client):
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(username="petrov")
    assert (user.last_name, user.first_name, user.middle_name) == ("Петров", "Пётр", "Петрович")
    assert len(mail.outbox) == 1
    link = confirmation_link(mail.outbox[0])

    response = login(client, "petrov", SIGNUP["password1"])
    assert "_auth_user_id" not in client.session
    assert response.url == reverse("account_email_verification_sent")

    client.post(link)
    response = login(client, "petrov", SIGNUP["password1"])
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_people_without_a_patronymic_can_register(client):
    response = signup(client, middle_name="")
    assert response.status_code == 302
    assert User.objects.get(username="petrov").middle_name == ""


def test_login_by_email_as_well_as_by_username(client):
    user = UserFactory(username="petrov", email="petrov@example.com")
    response = login(client, "Petrov@Example.com")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.logout()
    login(client, "petrov")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_registered_login_is_refused_in_any_case(client):
    UserFactory(username="petrov", email="petrov@example.com")
    response = signup(client, username="PETROV", email="other@example.com")
    assert response.status_code == 200
    assert "уже" in " ".join(response.context["form"].errors["username"])


@pytest.mark.parametrize("email", ["petrov@example.com", "Petrov@Example.COM"])
def test_signup_with_a_registered_email_looks_like_any_signup(client, email):
    UserFactory(username="petrov", email="petrov@example.com")
    fresh = signup(client, username="sidorov", email="sidorov@example.com")
    client.logout()
    taken = signup(client, username="kuznetsov", email=email)
    assert taken.status_code == fresh.status_code == 302
    assert taken.url == fresh.url
    assert not User.objects.filter(username="kuznetsov").exists()
    (warning,) = [m for m in mail.outbox if m.to == ["petrov@example.com"]]
    assert "kuznetsov" not in warning.body


@pytest.mark.parametrize("username", ["аdmin", "pеtrov", "ivan ivanov", "ivan@home", "ivan+1"])
def test_a_login_of_anything_but_latin_letters_digits_and_dot_dash_underscore_is_refused(
    client, username
):
    response = signup(client, username=username)
    assert response.status_code == 200
    assert "латинские буквы" in " ".join(response.context["form"].errors["username"])
    assert not User.objects.exists()


def test_a_login_of_latin_letters_digits_dot_dash_and_underscore_is_accepted(client):
    assert signup(client, username="ivan.petrov-2_a").status_code == 302


def test_a_password_shorter_than_twelve_characters_is_refused(client):
    response = signup(client, password1="Kv@rtira-15", password2="Kv@rtira-15")
    assert "12" in " ".join(response.context["form"].errors["password1"])
    assert not User.objects.exists()


def test_a_new_password_shorter_than_twelve_characters_is_refused(client):
    user = UserFactory()
    client.force_login(user)
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "Short-2026!", "password2": "Short-2026!"},
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_expired_confirmation_link_explains_how_to_get_a_new_one(client):
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    page = response.content.decode()
    assert "устарела или неверна" in page
    assert reverse("account_login") in page


def test_session_ends_with_the_browser_without_remember_me(client):
    user = UserFactory()
    login(client, user.username)
    assert client.session.get_expire_at_browser_close()


def test_remember_me_keeps_the_session_for_two_weeks(client):
    user = UserFactory()
    login(client, user.username, remember=True)
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 14 * 24 * 3600


def test_header_greets_by_first_name_and_patronymic(client):
    user = UserFactory(first_name="Иван", middle_name="Иванович")
    client.force_login(user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Здравствуйте, <strong>Иван Иванович</strong>" in page
    assert "Разделы" in page
    for item in ("Главная", "Мой профиль", "Выход"):
        assert item in page


def test_login_is_locked_after_repeated_failures(client):
    user = UserFactory()
    for _ in range(5):
        login(client, user.username, "wrong-password")
    response = login(client, user.username)
    assert "_auth_user_id" not in client.session
    assert "Слишком много" in response.content.decode()


def test_password_recovery_does_not_reveal_whether_an_address_is_registered(client):
    UserFactory(email="known@example.com")
    url = reverse("account_reset_password")
    known = client.post(url, {"email": "known@example.com"})
    unknown = client.post(url, {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert [m.to for m in mail.outbox if "known" in m.to[0]] == [["known@example.com"]]


def test_password_recovery_requests_per_address_are_limited(client):
    UserFactory(email="known@example.com")
    url = reverse("account_reset_password")
    for _ in range(3):
        client.post(url, {"email": "known@example.com"})
    response = client.post(url, {"email": "known@example.com"})
    assert response.status_code == 429 or "Слишком много" in response.content.decode()
    assert len(mail.outbox) == 3


def test_logged_in_user_changes_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "New-pass-2026!", "password2": "New-pass-2026!"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("New-pass-2026!")


def test_pages_need_login(client):
    for name in ("portal:home", "portal:profile"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
