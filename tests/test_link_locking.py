"""Failed proofs of an account's last payment are limited per user, checked and counted as one
step (concurrent guesses cannot slip past the limit), never lock out the account's real owner,
and tell the user how many tries are left; staff hear of an account many people guess."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from kabinet.users import services
from kabinet.users.models import AccountLink, LinkAttempt
from tests.factories import PaymentFactory, PersonalAccountFactory, UserFactory, staff_user

PAID_ON = datetime.date(2026, 10, 10)
WRONG = Decimal("1.00")


@pytest.fixture
def account():
    account = PersonalAccountFactory(
        number="1000155", premise__house__organization__email="uk@example.com"
    )
    PaymentFactory(account=account, paid_on=PAID_ON, amount=Decimal("2345.67"))
    return account


def link(user, account, amount=Decimal("2345.67"), number=None):
    return services.link_account(
        user,
        premise=account.premise,
        account_number=number or account.number,
        paid_on=PAID_ON,
        amount=amount,
    )


def fail(user, account, **kwargs) -> str:
    with pytest.raises(services.LinkRefused) as error:
        link(user, account, amount=WRONG, **kwargs)
    return str(error.value)


@pytest.mark.django_db
def test_each_failure_says_how_many_tries_are_left(account):
    user = UserFactory()
    messages = [fail(user, account) for _ in range(services.MAX_FAILURES_PER_USER)]
    assert "Осталось попыток: 4." in messages[0]
    assert "Осталось попыток: 1." in messages[3]
    assert "Попыток больше не осталось" in messages[4]
    assert fail(user, account) == services.LOCKED


@pytest.mark.django_db
def test_other_users_failures_never_lock_out_the_owner(account):
    for _ in range(5):
        guesser = UserFactory()
        for _ in range(services.MAX_FAILURES_PER_USER):
            fail(guesser, account)
    owner = UserFactory()
    assert link(owner, account) == (account, True)


@pytest.mark.django_db
def test_a_users_own_failures_on_other_numbers_count_against_them(account):
    user = UserFactory()
    for number in range(services.MAX_FAILURES_PER_USER):
        fail(user, account, number=f"99{number}")
    assert fail(user, account) == services.LOCKED
    assert not AccountLink.objects.exists()


@pytest.mark.django_db
def test_staff_are_told_once_when_several_users_guess_one_account(account):
    manager = staff_user(account.organization, email="boss@example.com")
    for _ in range(services.GUESSERS_ALERT - 1):
        fail(UserFactory(), account)
    assert not mail.outbox
    fail(UserFactory(), account)
    fail(UserFactory(), account)
    assert len(mail.outbox) == 1
    letter = mail.outbox[0]
    assert letter.to == ["uk@example.com"]
    assert "1000155" in letter.subject + letter.body
    assert str(services.GUESSERS_ALERT) in letter.body
    assert manager.email not in letter.to


@pytest.mark.django_db
def test_without_an_organisation_address_the_managers_are_told(account):
    account.organization.email = ""
    account.organization.save()
    manager = staff_user(account.organization, role="manager", email="boss@example.com")
    staff_user(account.organization, role="operator", email="op@example.com")
    for _ in range(services.GUESSERS_ALERT):
        fail(UserFactory(), account)
    assert mail.outbox[0].to == [manager.email]


@pytest.mark.django_db
def test_one_user_failing_repeatedly_is_no_alert(account):
    user = UserFactory()
    for _ in range(services.MAX_FAILURES_PER_USER):
        fail(user, account)
    assert not mail.outbox


@pytest.mark.django_db
def test_the_form_shows_the_tries_left(client, account, monkeypatch):
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)
    client.force_login(UserFactory())
    data = {
        "organization": account.organization.pk,
        "house": account.premise.house.pk,
        "premise": account.premise.pk,
        "account_number": account.number,
        "paid_on": "2026-10-10",
        "amount": "1,00",
        "captcha_0": "any",
        "captcha_1": "PASSED",
    }
    response = client.post(reverse("portal:link_account"), data)
    assert "Осталось попыток: 4." in response.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writer at a time: the race needs PostgreSQL's concurrent writers",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_guesses_are_evaluated_no_more_than_the_limit(account, settings):
    settings.QUOTAS = {**settings.QUOTAS, "link_attempts": "100/h"}  # the lock, not the quota
    user = UserFactory()
    start = threading.Barrier(24)
    outcomes = []

    def guess():
        try:
            start.wait()
            fail(user, account)
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 24
    assert LinkAttempt.objects.filter(user=user).count() == services.MAX_FAILURES_PER_USER
