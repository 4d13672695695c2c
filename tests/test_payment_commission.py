"""The commission an organisation passes on to the payer: shown before paying, added to what the
gateway takes and put on the fiscal receipt, never credited to the account."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.orgs.models import StaffRole
from kabinet.payments import services, several
from kabinet.payments.commission import commission_for, commission_percent
from kabinet.payments.models import OnlinePayment, Payment, PaymentCommission
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment
from kabinet.users.selectors import accounts_for
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    PersonalAccountFactory,
    staff_user,
)
from tests.test_account_pages import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def link():
    link = AccountLinkFactory()
    ChargeFactory(account=link.account, charged=Decimal("1000.00"))
    PaymentCommission.objects.create(
        organization=link.account.organization,
        valid_from=datetime.date(2020, 1, 1),
        percent=Decimal("1.50"),
    )
    return link


def test_the_dated_percent_and_its_rounding():
    organization = PersonalAccountFactory().organization
    PaymentCommission.objects.create(organization=organization, percent=Decimal("1"),
                                     valid_from=datetime.date(2026, 1, 1),
                                     valid_to=datetime.date(2026, 6, 30))  # fmt: skip
    PaymentCommission.objects.create(organization=organization, percent=Decimal("0.80"),
                                     valid_from=datetime.date(2026, 9, 1))  # fmt: skip
    assert commission_percent(organization, datetime.date(2025, 12, 31)) == 0
    assert commission_percent(organization, datetime.date(2026, 3, 1)) == Decimal("1")
    assert commission_percent(organization, datetime.date(2026, 7, 15)) == 0  # a gap: none
    assert commission_percent(organization, datetime.date(2027, 1, 1)) == Decimal("0.80")
    # 0,8 % of 1 234,56 = 9,87648 → 9,88 (half up)
    assert commission_for(organization, Decimal("1234.56"), datetime.date(2027, 1, 1)) == (
        Decimal("9.88")
    )


def test_shown_before_paying_then_sent_with_the_amount_and_not_credited(link, client):
    client.force_login(link.user)
    url = reverse("portal:pay", args=[link.account.pk])
    assert "комиссию 1,50 %" in text_of(client.get(url))

    confirm = client.post(url, {"amount": "1000,00", "method": "sbp"})
    assert confirm.status_code == 200
    assert not OnlinePayment.objects.exists()  # nothing started before the payer agrees
    page = text_of(confirm)
    assert "15,00" in page
    assert "1 015,00" in page.replace("\u00a0", " ")

    response = client.post(url, {"amount": "1000,00", "method": "sbp", "confirm": "1"})
    online_payment = OnlinePayment.objects.get()
    assert response.url == online_payment.confirmation_url
    assert (online_payment.amount, online_payment.commission) == (Decimal("1000.00"), 15)
    sandbox = SandboxPayment.objects.get(pk=online_payment.gateway_id)
    assert sandbox.amount == Decimal("1015.00")
    items = online_payment.fiscal_receipt_data["items"]
    assert items[-1]["description"] == "Комиссия за приём платежа"
    assert items[-1]["amount"]["value"] == "15.00"

    gateway.decide(sandbox, paid=True)
    services.refresh_online_payment(online_payment)
    assert Payment.objects.get().amount == Decimal("1000.00")


def test_several_accounts_show_and_exclude_the_commission(link):
    second = AccountLinkFactory(
        user=link.user, account=PersonalAccountFactory(premise__house=link.account.premise.house)
    ).account
    ChargeFactory(account=second, charged=Decimal("200.00"))
    group = several.payable_groups(accounts_for(link.user))[0]
    assert (group.commission, group.to_pay) == (Decimal("18.00"), Decimal("1218.00"))
    online_payment = several.start_several_payment(
        link.user, group, {link.account.pk, second.pk},
        return_url=lambda payment: "http://testserver/", notification_url="http://127.0.0.1:9/",
    )  # fmt: skip
    assert online_payment.gateway_amount == Decimal("1218.00")
    gateway.decide(SandboxPayment.objects.get(pk=online_payment.gateway_id), paid=True)
    services.refresh_online_payment(online_payment)
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [
        Decimal("200.00"),
        Decimal("1000.00"),
    ]


def test_no_commission_no_confirmation_step(client):
    link = AccountLinkFactory()
    ChargeFactory(account=link.account, charged=Decimal("100.00"))
    client.force_login(link.user)
    response = client.post(reverse("portal:pay", args=[link.account.pk]), {"amount": "100,00"})
    assert response.status_code == 302
    assert OnlinePayment.objects.get().commission == 0


def organisation_form(organization, **commissions) -> dict:
    """The organisation's page in the back office as posted, with the commission rows."""
    return {
        "name": organization.name, "inn": organization.inn, "kpp": organization.kpp,
        "ogrn": organization.ogrn, "address": organization.address, "phone": "", "email": "",
        "website": "", "bank_name": organization.bank_name, "bik": organization.bik,
        "correspondent_account": organization.correspondent_account,
        "settlement_account": organization.settlement_account, "readings_from_day": 15,
        "readings_to_day": 25, "online_payment_limit": "100000.00", "tax_system_code": 1,
        "vat_code": 1, "receipt_items": "services",
        "payment_commissions-INITIAL_FORMS": 0, "payment_commissions-TOTAL_FORMS": 0,
        **commissions,
    }  # fmt: skip


def test_the_staffs_changes_of_the_commission_are_in_the_audit_log(client):
    organization = PersonalAccountFactory().organization
    manager = staff_user(organization, StaffRole.MANAGER)
    client.force_login(manager)
    url = reverse("admin:orgs_organization_change", args=[organization.pk])
    row = {
        "payment_commissions-0-organization": organization.pk,
        "payment_commissions-0-valid_from": "01.01.2027",
        "payment_commissions-0-valid_to": "",
    }

    added = client.post(url, organisation_form(
        organization, **row, **{"payment_commissions-TOTAL_FORMS": 1,
                                "payment_commissions-0-percent": "1.50"}))  # fmt: skip
    assert added.status_code == 302
    commission = PaymentCommission.objects.get()
    entry = AuditEntry.objects.get(action=AuditAction.ADDED)
    assert (entry.actor, entry.organization, entry.object_type) == (
        manager,
        organization,
        "payments.paymentcommission",
    )
    assert entry.changes["percent"] == [None, "1.50"]

    row |= {"payment_commissions-0-id": commission.pk}
    counts = {"payment_commissions-TOTAL_FORMS": 1, "payment_commissions-INITIAL_FORMS": 1}
    client.post(url, organisation_form(
        organization, **row, **counts, **{"payment_commissions-0-percent": "2"}))  # fmt: skip
    changed = AuditEntry.objects.get(action=AuditAction.CHANGED)
    assert (changed.actor, changed.object_id) == (manager, str(commission.pk))
    assert changed.changes == {"percent": ["1.50", "2.00"]}

    client.post(url, organisation_form(
        organization, **row, **counts, **{"payment_commissions-0-percent": "2",
                                          "payment_commissions-0-DELETE": "on"}))  # fmt: skip
    assert not PaymentCommission.objects.exists()
    deleted = AuditEntry.objects.get(action=AuditAction.DELETED)
    assert deleted.changes["percent"] == ["2.00", None]
    assert deleted.organization == organization
