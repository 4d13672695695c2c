"""«Автоплатёж» in the portal: set up through the gateway's page, change, skip, cancel; only
the resident who set it up may."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kabinet.payments.autopay import services as autopay
from kabinet.payments.models import Autopay, AutopayChargeStatus, AutopayMode
from tests.factories import AccountLinkFactory
from tests.test_account_pages import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(client):
    link = AccountLinkFactory()
    client.force_login(link.user)
    return link


def page(link):
    return reverse("portal:autopay", args=[link.account.pk])


def set_up_through_the_pages(client, link, **data):
    response = client.post(page(link), {"mode": "full", "limit": "3 000,00", **data})
    assert response.status_code == 302
    # The gateway's page: the resident pays and agrees to save the card.
    back = client.post(response.url, {"action": "pay"})
    assert back.url.endswith(page(link))
    return client.get(page(link))


def test_the_payments_page_leads_to_autopay(client, link):
    response = client.get(reverse("portal:account_payments", args=[link.account.pk]))

    assert page(link) in response.content.decode()


def test_set_up_saves_the_method_on_return_from_the_gateway(client, link):
    response = set_up_through_the_pages(client, link)

    current = Autopay.objects.get()
    assert current.method_id
    assert current.mode == AutopayMode.FULL
    assert current.limit == Decimal("3000.00")
    text = text_of(response)
    assert "Включён: оплачивать каждую новую квитанцию полностью" in text
    assert current.method_title in text


def test_pay_on_a_day_needs_the_day(client, link):
    response = client.post(page(link), {"mode": "day", "limit": "3000"})

    assert response.status_code == 200
    assert "Выберите день месяца." in response.content.decode()
    assert not Autopay.objects.exists()


def test_the_settings_change_at_once(client, link):
    set_up_through_the_pages(client, link)

    response = client.post(page(link), {"mode": "day", "day": "15", "limit": "4500,50"})

    assert response.status_code == 302
    current = Autopay.objects.get()
    assert (current.mode, current.day, current.limit) == (
        AutopayMode.DAY,
        15,
        Decimal("4500.50"),
    )


def test_the_next_month_can_be_skipped_and_paid_after_all(client, link):
    set_up_through_the_pages(client, link)
    skip = reverse("portal:skip_autopay_month", args=[link.account.pk])

    client.post(skip)
    current = Autopay.objects.get()
    assert current.skip_month == autopay.next_month_to_pay(current)
    assert "не будет оплачена автоплатежом" in text_of(client.get(page(link)))

    client.post(skip, {"undo": "1"})
    assert Autopay.objects.get().skip_month is None


def test_cancel_asks_first_then_switches_off(client, link):
    set_up_through_the_pages(client, link)
    cancel = reverse("portal:cancel_autopay", args=[link.account.pk])

    assert "Отключить автоплатёж?" in text_of(client.get(cancel))
    assert Autopay.objects.get().canceled_at is None
    client.post(cancel)

    assert Autopay.objects.get().canceled_at is not None
    after = text_of(client.get(page(link)))
    assert "Сохранить и привязать карту" in after
    assert "списывать с него без подтверждения" in after


def test_a_co_resident_sees_the_autopay_but_cannot_change_it(client, link):
    set_up_through_the_pages(client, link)
    co_resident = AccountLinkFactory(account=link.account).user
    client.force_login(co_resident)

    assert "настроил другой жилец" in text_of(client.get(page(link)))
    assert client.post(page(link), {"mode": "full", "limit": "1"}).status_code == 404
    cancel = reverse("portal:cancel_autopay", args=[link.account.pk])
    assert client.post(cancel).status_code == 404
    assert Autopay.objects.get().limit == Decimal("3000.00")
    assert Autopay.objects.get().canceled_at is None


def test_the_charges_are_listed_with_why_one_was_not_paid(client, link):
    set_up_through_the_pages(client, link)
    current = Autopay.objects.get()
    current.charges.create(
        month=datetime.date(2026, 10, 1),
        due_on=datetime.date(2026, 11, 2),
        status=AutopayChargeStatus.OVER_LIMIT,
        amount=Decimal("3500.00"),
        reason="Сумма к оплате больше лимита автоплатежа.",
    )

    text = text_of(client.get(page(link)))

    assert "октябрь 2026" in text
    assert "не оплачено: сумма больше лимита" in text
    assert "Сумма к оплате больше лимита автоплатежа." in text


def messages_on(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def test_skipping_before_the_autopay_is_connected_says_why_and_changes_nothing(client, link):
    started = client.post(page(link), {"mode": "full", "limit": "3000"})
    assert started.status_code == 302  # off to the gateway's page, and never back
    skip = reverse("portal:skip_autopay_month", args=[link.account.pk])

    response = client.post(skip)

    assert response.status_code == 302
    assert "Автоплатёж ещё не подключён" in messages_on(response)
    current = Autopay.objects.get()
    assert (current.method_id, current.skip_month) == ("", None)
    assert not current.charges.exists()


def test_paying_a_month_after_all_when_none_is_skipped_skips_nothing(client, link):
    set_up_through_the_pages(client, link)
    skip = reverse("portal:skip_autopay_month", args=[link.account.pk])

    response = client.post(skip, {"undo": "1"})  # «Всё же оплатить» pressed twice, say

    assert "Пропущенного месяца нет" in messages_on(response)
    assert Autopay.objects.get().skip_month is None


def test_a_limit_above_what_the_organisation_takes_in_one_payment_is_refused(client, link):
    organization = link.account.organization
    organization.online_payment_limit = Decimal("10000.00")
    organization.save()
    form = client.get(page(link))
    assert "Не больше 10 000,00 ₽" in text_of(form).replace("\u00a0", " ")

    refused = client.post(page(link), {"mode": "full", "limit": "10 000,01"})

    assert refused.status_code == 200
    assert "Лимит не может быть больше 10 000,00 ₽" in text_of(refused).replace("\u00a0", " ")
    assert not Autopay.objects.exists()

    set_up_through_the_pages(client, link)  # 3 000,00: within the organisation's limit
    changed = client.post(page(link), {"mode": "full", "limit": "50000"})
    assert changed.status_code == 200
    assert "Лимит не может быть больше" in text_of(changed)
    assert Autopay.objects.get().limit == Decimal("3000.00")
