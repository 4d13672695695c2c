"""Several linked accounts paid in one online payment per organisation: each account credited
its part exactly once, or — should any part fail — none."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError
from django.urls import reverse

from kabinet.payments import services, several
from kabinet.payments.models import OnlinePayment, OnlinePaymentStatus, Payment, PaymentSource
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment
from kabinet.users.selectors import accounts_for
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    PersonalAccountFactory,
    PremiseFactory,
    UserFactory,
)
from tests.test_account_pages import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A resident with two accounts of one organisation (debts 1 000,00 and 250,50), one of
    another organisation (debt 99,99) and one without a debt."""
    user = UserFactory()
    first = AccountLinkFactory(user=user).account
    premise = PremiseFactory(house=first.premise.house)
    second = AccountLinkFactory(user=user, account=PersonalAccountFactory(premise=premise)).account
    other = AccountLinkFactory(user=user).account
    paid_up = AccountLinkFactory(user=user, account=PersonalAccountFactory(premise=premise)).account
    ChargeFactory(account=first, charged=Decimal("1000.00"))
    ChargeFactory(account=second, charged=Decimal("250.50"))
    ChargeFactory(account=other, charged=Decimal("99.99"))
    return user, first, second, other, paid_up


def start(user, group, ids):
    return several.start_several_payment(
        user,
        group,
        ids,
        return_url=lambda payment: f"http://testserver/ls/{payment.account_id}/pay/{payment.pk}/",
        notification_url="http://127.0.0.1:9/unused/",
    )


def pay_at_gateway(online_payment):
    gateway.decide(SandboxPayment.objects.get(pk=online_payment.gateway_id), paid=True)


def test_groups_by_organisation_and_leaves_out_accounts_without_debt(world):
    user, first, second, other, _paid_up = world
    groups = several.payable_groups(accounts_for(user))
    assert [[account.pk for account in group.accounts] for group in groups] == [
        [first.pk, second.pk],
        [other.pk],
    ]
    assert groups[0].total == Decimal("1250.50")


def test_one_payment_credits_each_account_its_part_once(world):
    user, first, second, _other, _ = world
    group = several.payable_groups(accounts_for(user))[0]
    online_payment = start(user, group, {first.pk, second.pk})

    assert online_payment.amount == Decimal("1250.50")
    assert SandboxPayment.objects.get(pk=online_payment.gateway_id).amount == Decimal("1250.50")
    items = online_payment.fiscal_receipt_data["items"]
    assert [item["amount"]["value"] for item in items] == ["1000.00", "250.50"]

    pay_at_gateway(online_payment)
    for _ in range(3):  # the notification, the return, the re-check: credited once
        services.refresh_online_payment(OnlinePayment.objects.get(pk=online_payment.pk))
    credited = Payment.objects.filter(source=PaymentSource.ONLINE).order_by("account_id")
    assert [(p.account_id, p.amount) for p in credited] == [
        (first.pk, Decimal("1000.00")),
        (second.pk, Decimal("250.50")),
    ]
    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.SUCCEEDED
    assert all(part.payment_id for part in online_payment.parts.all())

    # Crediting the same verdict again changes nothing.
    state = get_state(online_payment)
    OnlinePayment.objects.filter(pk=online_payment.pk).update(status=OnlinePaymentStatus.PENDING)
    services.apply_gateway_state(online_payment, state)
    assert Payment.objects.filter(source=PaymentSource.ONLINE).count() == 2


def get_state(online_payment):
    return services.get_provider(online_payment.provider).fetch_payment(online_payment.gateway_id)


def test_a_part_that_fails_rolls_the_whole_split_back(world):
    user, first, second, _other, _ = world
    group = several.payable_groups(accounts_for(user))[0]
    online_payment = start(user, group, {first.pk, second.pk})
    pay_at_gateway(online_payment)
    real = services._credit_one
    calls = []

    def second_fails(online_payment, account, amount, external_id):
        calls.append(account.pk)
        if account.pk == second.pk:
            raise IntegrityError("the second part cannot be written")
        return real(online_payment, account, amount, external_id)

    with (
        mock.patch.object(services, "_credit_one", second_fails),
        pytest.raises(IntegrityError),
    ):
        services.refresh_online_payment(online_payment)
    assert calls == [first.pk, second.pk]
    assert not Payment.objects.exists()  # the first part's credit is rolled back too
    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.PENDING
    assert not online_payment.parts.filter(payment__isnull=False).exists()

    services.refresh_online_payment(online_payment)  # the next check credits both
    assert Payment.objects.count() == 2


def test_accounts_of_another_organisation_or_user_are_refused(world):
    user, first, _second, other, _ = world
    group = several.payable_groups(accounts_for(user))[0]
    stranger = AccountLinkFactory().account
    for ids in ({first.pk, other.pk}, {first.pk, stranger.pk}, set()):
        with pytest.raises(services.PaymentRefused):
            start(user, group, ids)
    assert not OnlinePayment.objects.exists()


def test_the_sum_above_the_limit_is_refused(world):
    user, first, second, _other, _ = world
    first.organization.online_payment_limit = Decimal("1000.00")
    first.organization.save()
    group = several.payable_groups(accounts_for(user))[0]
    with pytest.raises(services.PaymentRefused, match="не больше"):
        start(user, group, {first.pk, second.pk})


def test_home_offers_the_groups_and_the_post_goes_to_the_gateway(world, client):
    user, first, second, _other, paid_up = world
    client.force_login(user)
    page = client.get(reverse("portal:home"))
    text = text_of(page)
    assert "Оплатить несколько счетов" in text
    assert "отдельный платёж" in text
    # Each account's checkbox by its id: a bare value="…" can be another object's with that pk
    # (the organisation's hidden field, when the ids happen to be equal).
    html = page.content.decode()
    assert f'id="pay-account-{first.pk}"' in html
    assert f'id="pay-account-{paid_up.pk}"' not in html

    response = client.post(
        reverse("portal:pay_several"),
        {"organization": first.organization.pk, "account": [first.pk, second.pk], "method": "sbp"},
    )
    online_payment = OnlinePayment.objects.get()
    assert response.url == online_payment.confirmation_url
    assert online_payment.method == "sbp"
    assert {part.account_id for part in online_payment.parts.all()} == {first.pk, second.pk}

    # The payment is on the page of each account it pays.
    for account in (first, second):
        url = reverse("portal:online_payment", args=[account.pk, online_payment.pk])
        assert "ЛС № " + second.number in text_of(client.get(url))


def test_a_post_naming_someone_elses_account_pays_nothing(world, client):
    user, first, *_ = world
    stranger = AccountLinkFactory()
    ChargeFactory(account=stranger.account, charged=Decimal("10.00"))
    client.force_login(user)
    response = client.post(
        reverse("portal:pay_several"),
        {"organization": first.organization.pk, "account": [first.pk, stranger.account.pk]},
    )
    assert response.status_code == 404
    other_organisation = client.post(
        reverse("portal:pay_several"),
        {"organization": first.organization.pk, "account": [first.pk, world[3].pk]},
    )
    assert other_organisation.status_code == 400
    assert "одной организации" in text_of(other_organisation)
    assert not OnlinePayment.objects.exists()


def test_the_payers_email_names_each_account_and_its_part(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    user, first, second, _other, _ = world
    group = several.payable_groups(accounts_for(user))[0]
    online_payment = start(user, group, {first.pk, second.pk})
    pay_at_gateway(online_payment)
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_online_payment(online_payment)
    body = mailoutbox[-1].body
    assert f"Лицевой счёт № {first.number}" in body
    assert f"Лицевой счёт № {second.number}" in body
    assert "250,50" in body
