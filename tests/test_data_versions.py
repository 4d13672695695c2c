"""The card's and «Платежи»'s figures are cached, keyed by the versions of the account's and
its organisation's data (``kabinet.data_versions``, ``kabinet.portal.figures``): every writer
of what those pages show must bump one. Each test here asks the page (so its figures are
cached), writes through one writer, and asks again: the page shows the new figure."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kabinet.billing.closing import close_period
from kabinet.billing.models import (
    CalculationMethod,
    InstalmentPlan,
    PenaltyRule,
    PenaltyRuleKind,
    PeriodStatus,
)
from kabinet.billing.run import run_billing
from kabinet.orgs.models import Organization
from kabinet.payments.models import Payment
from kabinet.payments.registry.crediting import import_registry
from kabinet.payments.registry.uploads import upload_registry
from kabinet.portal import figures
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    PaymentFactory,
    PeriodFactory,
    TariffFactory,
    staff_user,
)
from tests.test_online_payment import decide, notify, start

pytestmark = pytest.mark.django_db
OCTOBER = datetime.date(2026, 10, 1)


@pytest.fixture
def link():
    """A resident's account charged 970,00 for October 2026 (closed), nothing paid."""
    link = AccountLinkFactory(account__number="1000154")
    ChargeFactory(account=link.account, charged=Decimal("970.00"), period__month=OCTOBER)
    return link


def card(link, account=None):
    client = Client()
    client.force_login(link.user)
    response = client.get(reverse("portal:account", args=[(account or link.account).pk]))
    assert response.status_code == 200
    return response.context


def payments_page(link):
    client = Client()
    client.force_login(link.user)
    response = client.get(reverse("portal:account_payments", args=[link.account.pk]))
    assert response.status_code == 200
    return {  # the ledger is drawn as a cached fragment: its text is checked too
        "ledger": response.context["ledger"],
        "balance": response.context["balance"],
        "html": response.content.decode(),
    }


def test_the_figures_are_cached_until_a_write(link):
    card(link)
    with CaptureQueriesContext(connection) as first:
        card(link)
    PaymentFactory(account=link.account, amount=Decimal("70.00"))
    with CaptureQueriesContext(connection) as after_write:
        page = card(link)
    with CaptureQueriesContext(connection) as again:
        card(link)

    assert page["balance"] == Decimal("900.00")
    assert len(after_write) > len(first)  # read anew once ...
    assert len(again) == len(first)  # ... then cached again


# Account-level writers: payments of every source, instalment plans ---------------------------


def test_a_payment_saved(link):
    assert card(link)["balance"] == Decimal("970.00")
    assert "За этот период платежей не было." in payments_page(link)["html"]

    PaymentFactory(account=link.account, amount=Decimal("70.00"))

    assert card(link)["balance"] == Decimal("900.00")
    page = payments_page(link)
    assert page["balance"] == Decimal("900.00")
    assert page["ledger"].paid == Decimal("70.00")
    assert "За этот период платежей не было." not in page["html"]
    assert "Банк (реестр платежей)" in page["html"]


def test_a_payment_moved_to_another_account_changes_both(link):
    other = AccountLinkFactory(
        user=link.user,
        account__organization=link.account.organization,
        account__premise__house=link.account.premise.house,
    ).account
    payment = PaymentFactory(account=link.account, amount=Decimal("70.00"))
    assert card(link)["balance"] == Decimal("900.00")
    assert card(link, other)["balance"] == Decimal("0.00")

    payment.account = other
    payment.save()

    assert card(link)["balance"] == Decimal("970.00")
    assert card(link, other)["balance"] == Decimal("-70.00")


def test_a_payment_deleted(link):
    payment = PaymentFactory(account=link.account, amount=Decimal("70.00"))
    assert card(link)["balance"] == Decimal("900.00")

    payment.delete()

    assert card(link)["balance"] == Decimal("970.00")


def test_an_online_payment_credited_by_the_gateways_notification(link, client):
    assert card(link)["balance"] == Decimal("970.00")
    online_payment = start(link, amount=Decimal("500.00"))
    decide(online_payment)

    assert notify(client, online_payment).status_code == 200

    assert card(link)["balance"] == Decimal("470.00")


def test_a_bank_registry_written_by_copy(link):
    assert card(link)["balance"] == Decimal("970.00")
    text = (
        "24-11-2026;10-15-32;8610;8610/0123;120345;1000154;МУРАВЬЕВ С И;Г КАЗАНЬ;102026;"
        "100.00;99.00;1.00;\n=1;100.00;99.00;1.00;4512;25-11-2026\n"
    )
    registry = upload_registry(link.account.organization, "reestr.txt", text.encode("cp1251"), None)

    import_registry(registry.pk)

    assert Payment.objects.get().registry == registry
    assert card(link)["balance"] == Decimal("870.00")
    assert payments_page(link)["balance"] == Decimal("870.00")


def test_a_payment_added_in_the_admin(link, client):
    assert card(link)["balance"] == Decimal("970.00")
    client.force_login(staff_user(link.account.organization, role="accountant"))

    response = client.post(
        reverse("admin:payments_payment_add"),
        {
            "account": link.account.pk,
            "paid_on": "10.11.2026",
            "amount": "300,00",
            "source": "manual",
            "commission": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert card(link)["balance"] == Decimal("670.00")


# Organisation-level writers: closing a period, services, the due day, the law's rows ----------


@pytest.fixture
def open_month(link):
    """November 2026 open and calculated: 48,50 m² × 20,00 of the October service."""
    service = link.account.organization.services.get()
    TariffFactory(service=service, value=Decimal("20.00"))
    november = PeriodFactory(
        organization=link.account.organization,
        month=datetime.date(2026, 11, 1),
        status=PeriodStatus.OPEN,
    )
    run_billing(november)
    return november


def test_closing_a_period_publishes_its_month(link, open_month):
    assert card(link)["table"].period.month == OCTOBER

    close_period(open_month)

    page = card(link)
    assert page["table"].period.month == open_month.month
    assert page["balance"] == Decimal("1940.00")


def test_an_instalment_plan_shows_once_its_month_is_closed(link, open_month):
    service = link.account.organization.services.get()
    service.method = CalculationMethod.AREA_NORMATIVE  # a utility, which a plan may spread
    service.normative = Decimal("0.02")
    service.save()
    run_billing(open_month)
    assert card(link)["instalments"] == ()

    plan = InstalmentPlan(
        period=open_month, account=link.account, service=service, amount=Decimal("19.40"),
        months=3, rate=Decimal("0"), granted_on=datetime.date(2026, 11, 5),
        consent_on=datetime.date(2026, 11, 5),
    )  # fmt: skip
    plan.full_clean()
    plan.save()
    run_billing(open_month)
    close_period(open_month)

    assert [row.number for row in card(link)["instalments"]] == [1]


def test_a_service_renamed(link):
    assert [line.service.name for line in card(link)["table"].lines] != ["Содержание"]
    service = link.account.organization.services.get()

    service.name = "Содержание"
    service.save()

    assert [line.service.name for line in card(link)["table"].lines] == ["Содержание"]


def test_the_organisations_due_day_changed():
    """Before February 2026 the contract's due day held (ЖК РФ ст. 155 ч. 1 as it was)."""
    link = AccountLinkFactory()
    ChargeFactory(account=link.account, period__month=datetime.date(2025, 10, 1))
    assert card(link)["pay_by"] == datetime.date(2025, 11, 10)
    organization = Organization.objects.get(pk=link.account.organization_id)

    organization.payment_due_day = 20
    organization.save()

    assert card(link)["pay_by"] == datetime.date(2025, 11, 20)


def test_a_rule_of_the_law_added(link):
    """A due day from a new edition of ЖК РФ ст. 155 ч. 1 (a row, shipped by a migration or
    entered in the admin) moves «Оплатить до» of every organisation."""
    assert card(link)["pay_by"] == datetime.date(2026, 11, 16)  # the 15th is a Sunday

    PenaltyRule.objects.create(
        kind=PenaltyRuleKind.DUE_DAY, first_day=OCTOBER, value=Decimal("20"), source="тест"
    )

    assert card(link)["pay_by"] == datetime.date(2026, 11, 20)


# The versions themselves ---------------------------------------------------------------------


def test_a_save_of_an_instance_read_before_a_bump_keeps_the_bump(link):
    account = link.account
    stale = type(account).objects.get(pk=account.pk)
    organization = Organization.objects.get(pk=account.organization_id)
    PaymentFactory(account=account)  # bumps the account's version
    PeriodFactory(organization=organization, month=datetime.date(2026, 11, 1))  # and the UK's

    stale.holder_name = "Другой"
    stale.save()
    organization.name = "УК Другая"
    organization.save()  # the organisation's own save bumps it once more

    account.refresh_from_db()
    assert account.holder_name == "Другой"
    assert account.data_version == stale.data_version + 1
    assert Organization.objects.get(pk=organization.pk).data_version == (
        organization.data_version + 2
    )


def test_the_key_holds_the_day_and_both_versions(link, monkeypatch):
    account = type(link.account).objects.select_related("organization").get(pk=link.account.pk)
    key = figures.figures_key(account, "card")
    monkeypatch.setattr(figures.timezone, "localdate", lambda: datetime.date(2030, 1, 1))

    assert figures.figures_key(account, "card") != key
    assert ":2030-01-01" in figures.figures_key(account, "card")
    account.organization.data_version += 1
    assert figures.figures_key(account, "card") != key


def test_a_failing_cache_costs_speed_not_the_page(link, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(figures.cache, "get", broken)

    assert card(link)["balance"] == Decimal("970.00")


# Writers in bulk: no signal sees them, so each must call ``bump_*`` ---------------------------

CACHED_MODELS = r"(Payment|Period|Service|InstalmentPlan|PenaltyRule|Organization|IssuedDocument)"
BULK_WRITES = [
    re.compile(rf"\b{CACHED_MODELS}\.objects\b[^\n]*\.(bulk_create|bulk_update|update)\("),
    re.compile(rf"insert_(period_)?rows\(\s*(period,\s*)?{CACHED_MODELS}\b"),
]


def test_every_bulk_writer_of_a_cached_model_bumps_a_version():
    root = Path(__file__).resolve().parent.parent / "kabinet"
    forgetful = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if "/migrations/" in name or name == "data_versions.py":
            continue
        text = path.read_text()
        writes = [m.group(0) for pattern in BULK_WRITES for m in pattern.finditer(text)]
        if writes and "bump_" not in text:
            forgetful.append(f"{name}: {writes}")
    assert not forgetful, "bulk writes without a bump of a data version:\n" + "\n".join(forgetful)
