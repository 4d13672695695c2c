"""A resident registers, confirms the e-mail, signs in with and without «Запомнить?», and
recovers a forgotten password — in Chromium, as a person would."""

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in, sign_out
from tests.factories import UserFactory

PASSWORD = "Kv@rtira-154"


def mailed_link(pattern):
    body = mail.outbox[-1].body
    return re.search(pattern, body).group(0)


def session_cookie(page):
    return next(c for c in page.context.cookies() if c["name"] == "sessionid")


def test_register_confirm_and_sign_in_with_and_without_remember_me(page, site):
    page.goto(f"{site}/accounts/login/")
    page.get_by_role("link", name="Зарегистрироваться").click()
    page.get_by_label("Имя пользователя").fill("muravyev")
    page.get_by_label("E-mail").fill("muravyev@example.com")
    page.get_by_label("Фамилия").fill("Муравьев")
    page.get_by_label("Имя", exact=True).fill("Сергей")
    page.get_by_label("Отчество").fill("Иванович")
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_label("Подтверждение пароля").fill(PASSWORD)
    page.get_by_label("Я даю согласие").check()
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Подтвердите")

    sign_in(page, site, "muravyev", PASSWORD)
    expect(page.locator("body")).not_to_contain_text("Здравствуйте")

    page.goto(mailed_link(r"http://\S+/accounts/confirm-email/\S+/"))
    page.get_by_role("button", name="Подтвердить").click()

    sign_in(page, site, "muravyev", PASSWORD)
    expect(page.locator("header")).to_contain_text("Здравствуйте, Сергей Иванович")
    assert session_cookie(page)["expires"] == -1  # ends with the browser
    sign_out(page)

    sign_in(page, site, "muravyev", PASSWORD, remember=True)
    expect(page.locator("header")).to_contain_text("Здравствуйте, Сергей Иванович")
    days_left = (session_cookie(page)["expires"] - time.time()) / 86400
    assert 13.9 < days_left <= 14


def test_recover_a_forgotten_password(page, site):
    UserFactory(username="ivanov", email="ivanov@example.com", first_name="Иван")
    page.goto(f"{site}/accounts/login/")
    page.get_by_role("link", name="Забыли пароль?").click()
    page.get_by_label("Адрес электронной почты").fill("ivanov@example.com")
    page.get_by_role("button", name=re.compile("Сбросить|Восстановить")).click()
    expect(page.locator("main")).to_contain_text("отправили")

    page.goto(mailed_link(r"http://\S+/accounts/password/reset/key/\S+/"))
    page.get_by_label("Новый пароль", exact=True).fill("Novyi-parol-2026")
    page.get_by_label(re.compile("Новый пароль \\(ещё раз\\)|Подтверждение")).fill(
        "Novyi-parol-2026"
    )
    page.get_by_role("button", name=re.compile("Изменить|Сменить")).click()

    sign_in(page, site, "ivanov", "Novyi-parol-2026")
    expect(page.locator("header")).to_contain_text("Здравствуйте, Иван")


@pytest.mark.parametrize("width", [360, 1280])
def test_pages_fit_phone_and_desktop(page, site, width, tmp_path):
    UserFactory(username="ivanov", first_name="Иван", middle_name="Иванович")
    page.set_viewport_size({"width": width, "height": 800})
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(site + path)
        page.screenshot(path=tmp_path / f"{path.strip('/').replace('/', '-')}-{width}.png")
        assert_fits_width(page)
    sign_in(page, site, "ivanov", "correct-horse-42")
    for path in ("/", "/profile/", "/privacy/"):
        page.goto(site + path)
        page.screenshot(path=tmp_path / f"page{path.replace('/', '-')}{width}.png", full_page=True)
        assert_fits_width(page)
