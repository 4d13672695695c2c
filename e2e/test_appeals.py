"""An appeal's round trip in Chromium: the resident writes with a photo, the operator answers in
the back office, the resident reads the answer, replies and closes the appeal."""

import io

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in, sign_out
from kabinet.appeals.models import Appeal, AppealStatus
from kabinet.housing.models import PersonalAccount


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "протечка.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 160)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_appeal_round_trip_between_resident_and_staff(page, demo, photo):
    sign_in(page, demo, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    page.get_by_role("link", name="Написать в УК").click()
    page.get_by_label("Тема").select_option(label="Ремонт")
    page.get_by_label("Текст обращения").fill("С потолка в ванной капает вода.")
    page.get_by_label("Файлы").set_input_files(photo)
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_role("alert")).to_contain_text("Обращение № 2 отправлено")
    expect(page.locator(".kb-thread")).to_contain_text("С потолка в ванной капает вода.")
    expect(page.locator(".kb-thread")).to_contain_text("протечка.jpg")
    sign_out(page)

    sign_in(page, demo, "operator", "operator12345")
    page.goto(f"{demo}/admin/")
    page.get_by_role("link", name="Обращения", exact=True).first.click()
    page.get_by_role("link", name="№ 2").click()
    expect(page.locator("#content")).to_contain_text("С потолка в ванной капает вода.")
    page.get_by_role("link", name="протечка.jpg").wait_for()
    page.get_by_label("Ответ жителю").fill("Сантехник придёт завтра с 10 до 12.")
    page.get_by_role("button", name="Отправить ответ").click()
    expect(page.locator(".messagelist")).to_contain_text("Ответ отправлен жителю.")
    letter = mail.outbox[-1]
    assert letter.to == ["demo@example.com"]
    assert "Сантехник придёт завтра" in letter.body
    page.goto(f"{demo}/?resident=1")  # staff land in the back office
    sign_out(page)

    sign_in(page, demo, "demo", "demo12345")
    page.locator("summary", has_text="Разделы").click()
    page.get_by_role("link", name="Мои обращения").click()
    page.get_by_role("link", name="Обращение № 2").click()
    expect(page.locator(".kb-thread")).to_contain_text("Сантехник придёт завтра с 10 до 12.")
    expect(page.locator("main")).to_contain_text("ответ дан")
    page.get_by_label("Сообщение").fill("Спасибо, буду дома.")
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_role("alert")).to_have_text("Сообщение отправлено.")
    page.get_by_role("link", name="Закрыть обращение").click()
    page.get_by_role("button", name="Закрыть обращение").click()
    expect(page.get_by_role("alert")).to_have_text("Обращение № 2 закрыто.")
    expect(page.get_by_label("Сообщение")).to_have_count(0)
    appeal = Appeal.objects.get(number=2)
    assert appeal.status == AppealStatus.CLOSED
    assert [m.from_staff for m in appeal.messages.all()] == [False, True, False]


def test_home_shows_the_news_of_the_house(page, demo):
    sign_in(page, demo, "demo", "demo12345")
    expect(page.locator("main")).to_contain_text("Отключение горячей воды 2 декабря")


@pytest.mark.parametrize("width", [360, 1280])
def test_appeal_pages_fit_phone_and_desktop(page, demo, width, tmp_path):
    account = PersonalAccount.objects.get(number="1000154")
    appeal = account.appeals.get()
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    for path in ["/appeals/", "/news/", f"/ls/{account.pk}/appeals/",
                 f"/ls/{account.pk}/appeals/new/", f"/ls/{account.pk}/appeals/{appeal.pk}/",
                 f"/ls/{account.pk}/appeals/{appeal.pk}/close/"]:  # fmt: skip
        page.goto(demo + path)
        page.screenshot(path=tmp_path / f"{path.strip('/').replace('/', '-')}-{width}.png",
                        full_page=True)  # fmt: skip
        assert_fits_width(page)
    sign_out(page)
    sign_in(page, demo, "operator", "operator12345")
    page.goto(f"{demo}/staff/appeals/{appeal.pk}/")
    assert_fits_width(page)
