"""Nobody sees what is not theirs: a payment of several accounts, started by resident X for
accounts A and B, shows on B to B's co-resident Y (who has no access to A) as B's share only —
on «Платежи», the payment's page, the fiscal receipt and the API — while X sees the whole."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.orgs.models import StaffRole
from kabinet.payments import services, several
from kabinet.payments.models import OnlinePayment, OnlinePaymentStatus
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment
from kabinet.payments.selectors import online_payment_seen_by, online_payments_seen_by
from kabinet.users.selectors import accounts_for
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    OnlinePaymentFactory,
    PersonalAccountFactory,
    PremiseFactory,
    UserFactory,
    staff_user,
)
from tests.test_account_pages import text_of
from tests.test_api import get, token_of

pytestmark = pytest.mark.django_db
D = Decimal
FISCAL = {"fn": "9288000100115785", "fd": "3986", "fp": "2617603921"}


class World:
    """X (the payer) linked to A and B; Y linked to B only; X's pending payment of both."""

    def __init__(self):
        self.payer = UserFactory(email="payer-x@example.org")
        self.a = AccountLinkFactory(user=self.payer, account__number="7100001").account
        premise = PremiseFactory(house=self.a.premise.house)
        self.b = AccountLinkFactory(
            user=self.payer, account=PersonalAccountFactory(premise=premise, number="8200002")
        ).account
        self.co_resident = AccountLinkFactory(account=self.b).user
        ChargeFactory(account=self.a, charged=D("1000.00"))
        ChargeFactory(account=self.b, charged=D("250.50"))
        group = several.payable_groups(accounts_for(self.payer))[0]
        self.payment = several.start_several_payment(
            self.payer,
            group,
            {self.a.pk, self.b.pk},
            return_url=lambda payment: (
                f"http://testserver/ls/{payment.account_id}/pay/{payment.pk}/"
            ),
            notification_url="http://127.0.0.1:9/unused/",
        )
        assert self.payment.account == self.a
        assert self.payment.confirmation_url

    def pay(self):
        """The gateway confirms it; each account is credited; the receipt is registered."""
        gateway.decide(SandboxPayment.objects.get(pk=self.payment.gateway_id), paid=True)
        services.refresh_online_payment(self.payment)
        OnlinePayment.objects.filter(pk=self.payment.pk).update(fiscal_receipt_details=FISCAL)
        self.payment.refresh_from_db()
        assert self.payment.status == OnlinePaymentStatus.SUCCEEDED
        assert self.payment.fiscal_receipt_url  # the sandbox's receipt page

    def pages(self, account):
        """(name, url) of every resident page that shows this payment on ``account``."""
        args = [account.pk, self.payment.pk]
        return [
            ("list", reverse("portal:account_payments", args=[account.pk])),
            ("detail", reverse("portal:online_payment", args=args)),
            ("fiscal", reverse("portal:fiscal_receipt", args=args)),
        ]

    def secrets_of_a(self):
        """What of the payment Y must never read: A's number and part, the whole amount, the
        payer's e-mail and the gateway's pages."""
        return [
            self.a.number,
            "1 000,00",
            "1000.00",
            "1 250,50",
            "1250.50",
            self.payer.email,
            self.payment.confirmation_url,
            *([self.payment.fiscal_receipt_url] if self.payment.fiscal_receipt_url else []),
            *FISCAL.values(),
        ]


@pytest.fixture
def world():
    return World()


def read(response):
    """The page's text (spaces collapsed) and its markup, where links and attributes are."""
    return " ".join(text_of(response).replace("\u00a0", " ").split()) + response.content.decode()


def leaked(text, world):
    """The secrets ``text`` shows as whole tokens: «1 250,50» is not in the time and amount
    «05:11 250,50» of B's own payment (the test once failed so, on payments made at HH:M1)."""
    return [
        secret
        for secret in world.secrets_of_a()
        if re.search(rf"(?<![\w:.,]){re.escape(secret)}(?![\w])", text)
    ]


# --- the rule itself ----------------------------------------------------------------------


def test_the_co_resident_is_shown_bs_part_only_and_the_payer_the_whole(world):
    world.pay()
    theirs = online_payment_seen_by(world.co_resident, world.b, world.payment)
    assert (theirs.amount, theirs.credited, theirs.is_payer) == (D("250.50"), D("250.50"), False)
    assert (theirs.parts, theirs.email, theirs.confirmation_url) == ((), "", "")
    assert (theirs.fiscal_receipt_status, theirs.fiscal_receipt_url) == ("", "")
    assert not theirs.fiscal_receipt_page

    whole = online_payment_seen_by(world.payer, world.b, world.payment)
    assert (whole.amount, whole.credited, whole.is_payer) == (D("1250.50"), D("250.50"), True)
    assert [(p.account_number, p.amount, p.credited) for p in whole.parts] == [
        (world.a.number, D("1000.00"), True),
        (world.b.number, D("250.50"), True),
    ]
    assert whole.email == world.payer.email
    assert whole.fiscal_receipt_url == world.payment.fiscal_receipt_url
    assert whole.fiscal_receipt_page


def test_a_payment_is_not_shown_on_an_account_it_does_not_pay(world):
    stranger = PersonalAccountFactory(premise=PremiseFactory(house=world.a.premise.house))
    assert online_payment_seen_by(world.payer, stranger, world.payment) is None
    assert online_payments_seen_by(world.payer, stranger, 10) == []


# --- Y, the co-resident of B ----------------------------------------------------------------


def test_the_co_resident_reads_nothing_of_a_on_bs_pages_while_pending(world, client):
    client.force_login(world.co_resident)

    listed = client.get(world.pages(world.b)[0][1])
    detail = client.get(world.pages(world.b)[1][1])

    assert listed.status_code == detail.status_code == 200
    for page in (listed, detail):
        assert leaked(read(page), world) == []
        assert "250,50" in read(page)
        assert "Вернуться к оплате" not in read(page)
        assert 'data-testid="cancel-online-payment"' not in read(page)
    assert 'data-testid="payment-parts"' not in read(detail)


def test_the_co_resident_reads_nothing_of_a_once_paid_and_has_no_fiscal_receipt(world, client):
    world.pay()
    client.force_login(world.co_resident)
    (_, listed), (_, detail), (_, fiscal) = world.pages(world.b)

    listed, detail = client.get(listed), client.get(detail)

    for page in (listed, detail):
        assert page.status_code == 200
        assert leaked(read(page), world) == []
        assert 'data-testid="fiscal-receipt"' not in read(page)
    assert "250,50 ₽ зачислено на лицевой счёт № " + world.b.number in read(detail)
    assert "Квитанция об оплате отправлена" not in read(detail)
    assert client.get(fiscal).status_code == 404


def test_the_co_resident_cannot_open_as_pages_at_all(world, client):
    world.pay()
    client.force_login(world.co_resident)
    for name, url in world.pages(world.a):
        assert client.get(url).status_code == 404, name


def test_the_co_residents_api_list_shows_bs_part_only(world, client):
    url = reverse("api:payments", args=[world.b.pk])
    pending = get(client, url, token_of(world.co_resident))
    world.pay()
    paid = get(client, url, token_of(world.co_resident))

    for response in (pending, paid):
        assert response.status_code == 200
        [shown] = response.json()["online_payments"]
        assert shown["amount"] == "250.50"
        assert shown["confirmation_url"] == ""
        assert leaked(response.content.decode(), world) == []


# --- X, the payer ----------------------------------------------------------------------------


def test_the_payer_still_sees_the_whole_on_each_account(world, client):
    client.force_login(world.payer)
    pending = client.get(world.pages(world.b)[1][1])
    assert world.payment.confirmation_url in read(pending)
    assert 'data-testid="cancel-online-payment"' in read(pending)
    world.pay()

    for account in (world.a, world.b):
        (_, listed), (_, detail), (_, fiscal) = world.pages(account)
        listed, detail, fiscal = client.get(listed), client.get(detail), client.get(fiscal)
        assert "1 250,50" in read(listed)
        assert world.payment.fiscal_receipt_url in read(listed)
        text = read(detail)
        for number, part in ((world.a.number, "1 000,00"), (world.b.number, "250,50")):
            assert f"ЛС № {number} — {part} ₽, зачислено" in text
        assert world.payer.email in text
        assert fiscal.status_code == 200
        assert f"Оплата ЖКУ, ЛС № {world.a.number}" in read(fiscal)
        assert f"Оплата ЖКУ, ЛС № {world.b.number}" in read(fiscal)


def test_the_payers_api_list_shows_the_whole_and_the_gateways_page(world, client):
    response = get(client, reverse("api:payments", args=[world.b.pk]), token_of(world.payer))
    [shown] = response.json()["online_payments"]
    assert shown["amount"] == "1250.50"
    assert shown["confirmation_url"] == world.payment.confirmation_url


# --- a payment of one account ----------------------------------------------------------------


def test_a_co_resident_of_a_single_account_sees_its_receipt_not_the_payers_contacts(client):
    payer = AccountLinkFactory()
    co_resident = AccountLinkFactory(account=payer.account).user
    payment = OnlinePaymentFactory(
        account=payer.account, user=payer.user, confirmation_url="https://pay.example/abc",
        fiscal_receipt_status="succeeded", fiscal_receipt_details=FISCAL,
    )  # fmt: skip
    client.force_login(co_resident)
    args = [payer.account.pk, payment.pk]

    detail = read(client.get(reverse("portal:online_payment", args=args)))
    fiscal = client.get(reverse("portal:fiscal_receipt", args=args))

    assert payer.user.email not in detail
    assert "https://pay.example/abc" not in detail
    assert "1 500,00" in detail
    assert fiscal.status_code == 200
    assert FISCAL["fp"] in read(fiscal)


# --- the staff ---------------------------------------------------------------------------


def test_the_staff_still_read_the_whole_payment_in_the_back_office(world, client):
    world.pay()
    client.force_login(staff_user(world.a.organization, StaffRole.ACCOUNTANT))

    page = read(client.get(reverse("admin:payments_onlinepayment_change", args=[world.payment.pk])))

    assert world.a.number in page
    assert world.b.number in page
    assert world.payer.email in page
    assert f"ЛС № {world.a.number}, 1250.50" in page  # the payment's name: the whole amount


def test_a_secret_counts_as_shown_only_as_a_whole_token(world):
    assert leaked("Сумма 1 250,50 ₽", world) == ["1 250,50"]
    assert leaked("01.12.2026 05:11 250,50 оплачен", world) == []
    assert leaked(f'<a href="{world.payment.confirmation_url}">', world) == [
        world.payment.confirmation_url
    ]
