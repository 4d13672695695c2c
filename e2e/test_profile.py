"""«Мой профиль» in Chromium: editing the data, unlinking an account, deleting the profile."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.housing.models import PersonalAccount
from kabinet.users.models import User


def open_profile(page):
    page.locator("summary", has_text="Разделы").click()
    page.get_by_role("link", name="Мой профиль").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Мой профиль")


def test_edit_personal_data_and_subscriptions(page, demo):
    sign_in(page, demo, "demo", "demo12345")
    open_profile(page)
    page.get_by_role("link", name="Изменить данные").click()
    page.get_by_label("Фамилия").fill("Петров")
    page.get_by_label("Телефон").fill("8 912 345 67 89")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("alert")).to_have_text("Личные данные сохранены.")
    expect(page.locator("main")).to_contain_text("Петров Иван Иванович")
    expect(page.locator("main")).to_contain_text("+7 (912) 345-67-89")

    page.get_by_label("Новости управляющей организации по e-mail").check()
    page.get_by_label("Квитанции по ЛС № 1000154 на e-mail").check()
    page.get_by_role("button", name="Сохранить подписки").click()
    expect(page.get_by_role("alert")).to_have_text("Подписки сохранены.")
    expect(page.get_by_label("Новости управляющей организации по e-mail")).to_be_checked()
    user = User.objects.get(username="demo")
    assert user.news_by_email
    assert user.account_links.get().receipts_by_email


def test_wrong_phone_is_explained(page, demo):
    sign_in(page, demo, "demo", "demo12345")
    page.goto(f"{demo}/profile/edit/")
    page.get_by_label("Телефон").fill("12-34")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("main")).to_contain_text("Введите номер телефона из 10 цифр")
    assert User.objects.get(username="demo").phone == ""


def test_unlink_an_account_after_confirming(page, demo):
    sign_in(page, demo, "demo", "demo12345")
    open_profile(page)
    page.get_by_role("link", name="Удалить ЛС № 1000154 из профиля").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Удалить ЛС № 1000154 из профиля?")
    page.get_by_role("button", name="Удалить из профиля").click()
    expect(page.get_by_role("alert")).to_contain_text("Лицевой счёт № 1000154 удалён")
    expect(page.locator("main")).to_contain_text("не присоединён ни один лицевой счёт")
    assert PersonalAccount.objects.filter(number="1000154").exists()


def test_delete_the_profile_with_the_password(page, demo):
    sign_in(page, demo, "demo", "demo12345")
    open_profile(page)
    page.get_by_role("link", name="Удалить профиль…").click()
    page.get_by_label("Пароль").fill("not-the-password")
    page.get_by_role("button", name="Удалить профиль навсегда").click()
    expect(page.locator("main")).to_contain_text("Неверный пароль.")
    assert User.objects.filter(username="demo").exists()

    page.get_by_label("Пароль").fill("demo12345")
    page.get_by_role("button", name="Удалить профиль навсегда").click()
    expect(page.get_by_role("alert")).to_contain_text("Ваш профиль и персональные данные удалены")
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    assert not User.objects.filter(username="demo").exists()
    assert mail.outbox[-1].to == ["demo@example.com"]
    assert PersonalAccount.objects.get(number="1000154").appeals.get().author is None

    sign_in(page, demo, "demo", "demo12345")
    expect(page.locator("header")).not_to_contain_text("Здравствуйте")


@pytest.mark.parametrize("width", [360, 1280])
def test_profile_pages_fit_phone_and_desktop(page, demo, width, tmp_path):
    account = PersonalAccount.objects.get(number="1000154")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    unlink = f"/profile/accounts/{account.pk}/unlink/"
    for path in ["/profile/", "/profile/edit/", "/profile/delete/", "/accounts/email/",
                 "/accounts/password/change/", unlink]:  # fmt: skip
        page.goto(demo + path)
        page.screenshot(path=tmp_path / f"{path.strip('/').replace('/', '-')}-{width}.png",
                        full_page=True)  # fmt: skip
        assert_fits_width(page)
