"""Linking a personal account by proving its last payment (the seed's «Присоединение ЛС»)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.users import services
from kabinet.users.models import AccountLink, LinkAttempt
from tests.factories import PaymentFactory, PersonalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

PAID_ON = datetime.date(2026, 10, 10)


@pytest.fixture
def account():
    account = PersonalAccountFactory(number="1000155")
    PaymentFactory(account=account, paid_on=datetime.date(2026, 9, 12), amount=Decimal("999.00"))
    PaymentFactory(account=account, paid_on=PAID_ON, amount=Decimal("2345.67"))
    return account


@pytest.fixture
def captcha_passes(monkeypatch):
    """The picture code accepts «PASSED», as with KABINET_CAPTCHA_TEST_MODE=1."""
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)


def link(user, account, **changes):
    data = {
        "premise": account.premise,
        "account_number": account.number,
        "paid_on": PAID_ON,
        "amount": Decimal("2345.67"),
        **changes,
    }
    return services.link_account(user, **data)


def form_data(account, **changes):
    return {
        "organization": account.organization.pk,
        "house": account.premise.house.pk,
        "premise": account.premise.pk,
        "account_number": account.number,
        "paid_on": "2026-10-10",
        "amount": "2 345,67",
        "captcha_0": "any",
        "captcha_1": "PASSED",
        **changes,
    }


def test_right_last_payment_links_the_account(account):
    user = UserFactory()
    linked, created = link(user, account)
    assert linked == account
    assert created
    assert AccountLink.objects.filter(user=user, account=account).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": Decimal("2345.68")},
        {"paid_on": datetime.date(2026, 10, 11)},
        {"paid_on": datetime.date(2026, 9, 12), "amount": Decimal("999.00")},  # not the last
        {"account_number": "1000156"},
    ],
)
def test_wrong_last_payment_does_not_link(account, changes):
    user = UserFactory()
    with pytest.raises(services.LinkRefused) as error:
        link(user, account, **changes)
    assert str(error.value).startswith(services.NOT_PROVEN)
    assert not AccountLink.objects.exists()


def test_account_at_another_address_does_not_link(account):
    elsewhere = PersonalAccountFactory(premise__house=account.premise.house)
    with pytest.raises(services.LinkRefused):
        link(UserFactory(), account, premise=elsewhere.premise)


def test_behind_a_proxy_an_attempt_records_the_clients_address(
    client, settings, account, captcha_passes
):
    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(UserFactory())
    client.post(
        reverse("portal:link_account"),
        form_data(account),
        REMOTE_ADDR="10.0.0.2",
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert LinkAttempt.objects.get().ip_address == "203.0.113.9"


def test_account_without_payments_cannot_be_proven():
    account = PersonalAccountFactory()
    with pytest.raises(services.LinkRefused):
        link(UserFactory(), account)


def test_five_failures_lock_the_user_for_an_hour(account):
    user = UserFactory()
    for _ in range(services.MAX_FAILURES_PER_USER):
        with pytest.raises(services.LinkRefused):
            link(user, account, amount=Decimal("1.00"))
    with pytest.raises(services.LinkRefused) as error:
        link(user, account)
    assert str(error.value) == services.LOCKED
    LinkAttempt.objects.update(created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    assert link(user, account)[0] == account


def test_every_attempt_is_recorded_for_staff(account):
    user = UserFactory()
    with pytest.raises(services.LinkRefused):
        link(user, account, amount=Decimal("1.00"))
    link(user, account, ip_address="10.0.0.7")
    attempts = LinkAttempt.objects.order_by("created_at")
    assert [a.succeeded for a in attempts] == [False, True]
    assert attempts.last().ip_address == "10.0.0.7"
    assert attempts.last().organization == account.organization


def test_linking_twice_is_a_no_op(account):
    user = UserFactory()
    link(user, account)
    assert link(user, account) == (account, False)
    assert AccountLink.objects.count() == 1


def test_a_family_may_share_an_account(account):
    link(UserFactory(), account)
    link(UserFactory(), account)
    assert account.user_links.count() == 2


@pytest.mark.parametrize("amount", ["2345,67", "2345.67", "2 345,67", "2\u00a0345,67"])
def test_form_accepts_amounts_as_people_type_them(client, account, captcha_passes, amount):
    client.force_login(UserFactory())
    response = client.post(reverse("portal:link_account"), form_data(account, amount=amount))
    assert response.status_code == 302
    assert response.url == reverse("portal:account", args=[account.pk])


@pytest.mark.parametrize("amount", ["12,345", "abc", "-5", "0", "1,2,3"])
def test_form_refuses_malformed_amounts(client, account, captcha_passes, amount):
    client.force_login(UserFactory())
    response = client.post(reverse("portal:link_account"), form_data(account, amount=amount))
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert not AccountLink.objects.exists()


def test_form_shows_one_error_that_does_not_say_what_was_wrong(client, account, captcha_passes):
    client.force_login(UserFactory())
    response = client.post(reverse("portal:link_account"), form_data(account, amount="1,00"))
    assert response.context["form"].non_field_errors() == [
        f"{services.NOT_PROVEN} Осталось попыток: 4."
    ]


def test_wrong_picture_code_is_refused(client, account):
    client.force_login(UserFactory())
    response = client.post(reverse("portal:link_account"), form_data(account, captcha_1="nope"))
    assert "captcha" in response.context["form"].errors
    assert not LinkAttempt.objects.exists()


def test_linking_page_narrows_houses_and_premises_without_javascript(client, account):
    other = PersonalAccountFactory()
    client.force_login(UserFactory())
    url = reverse("portal:link_account")
    form = client.get(url, {"organization": account.organization.pk}).context["form"]
    assert list(form.fields["house"].queryset) == [account.premise.house]
    assert not form.fields["premise"].queryset.exists()
    form = client.get(
        url, {"organization": account.organization.pk, "house": account.premise.house.pk}
    ).context["form"]
    assert list(form.fields["premise"].queryset) == [account.premise]
    assert other.premise not in form.fields["premise"].queryset


def test_page_has_the_seed_texts(client):
    client.force_login(UserFactory())
    page = client.get(reverse("portal:link_account")).content.decode()
    for text in [
        "Добавление лицевого счета",
        "Управляющая организация",
        "Дом",
        "Квартира",
        "Лицевой счет",
        "Укажите дату и сумму последней оплаты",
        "Дата платежа",
        "Сумма платежа",
        "Если вы заплатили 123 рубля 45 копеек, необходимо ввести 123,45",
        "Введите код с рисунка:",
        "Добавить",
        "Обратиться",
    ]:
        assert text in page, text
