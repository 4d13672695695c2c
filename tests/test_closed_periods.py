"""A closed period never changes: its charges, penalties, balances and recalculations, and the
period itself. The admin shows them read-only, the models refuse to save or delete them, the
bulk writers of the engine refuse a closed period; corrections are recalculations."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.billing import imports
from kabinet.billing.bulk import insert_period_rows
from kabinet.billing.closing import close_period
from kabinet.billing.lines import CHARGE_FIELDS
from kabinet.billing.models import (
    AccountBalance,
    Charge,
    ClosedPeriodError,
    Penalty,
    Period,
    PeriodStatus,
    Recalculation,
)
from kabinet.billing.run import run_billing
from kabinet.months import add_months
from kabinet.orgs.models import StaffRole
from tests.factories import (
    ChargeFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    TariffFactory,
    staff_user,
    this_month,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def organization():
    return OrganizationFactory()


@pytest.fixture
def account(organization):
    return PersonalAccountFactory(premise__house__organization=organization)


@pytest.fixture
def upkeep(organization):
    service = ServiceFactory(organization=organization, name="Содержание жилья")
    TariffFactory(service=service, value=D("20.00"), valid_from=datetime.date(2020, 1, 1))
    return service


@pytest.fixture
def closed(organization, account, upkeep):
    """Last month, calculated and closed by the engine."""
    period = PeriodFactory(
        organization=organization, month=add_months(this_month(), -1), status=PeriodStatus.OPEN
    )
    run_billing(period)
    close_period(period)
    period.refresh_from_db()
    return period


@pytest.fixture
def charge(closed):
    return Charge.objects.get(period=closed)


@pytest.fixture
def accountant(client, organization):
    user = staff_user(organization, StaffRole.ACCOUNTANT)
    client.force_login(user)
    return user


# The finding: the admin changed a closed month and reopened it -----------------------------


def test_the_admin_does_not_change_a_closed_periods_charge(client, accountant, charge):
    url = reverse("admin:billing_charge_change", args=[charge.pk])
    response = client.post(url, {"account": charge.account_id, "service": charge.service_id,
                                 "period": charge.period_id, "tariff": "1", "volume": "1",
                                 "basis": "", "common_volume": "0", "charged": "1.00",
                                 "common_charged": "0", "recalculation": "0"})  # fmt: skip
    assert response.status_code == 403
    assert Charge.objects.get(pk=charge.pk).charged == charge.charged
    page = client.get(url)
    assert page.status_code == 200  # shown, read-only
    assert not page.context["has_change_permission"]
    assert not page.context["has_delete_permission"]


def test_the_admin_never_edits_a_periods_status(client, accountant, closed):
    following = Period.objects.get(organization=closed.organization, status=PeriodStatus.OPEN)
    response = client.post(
        reverse("admin:billing_period_change", args=[closed.pk]),
        {"organization": closed.organization_id, "month": closed.month, "status": "open"},
    )
    assert response.status_code == 403
    closed.refresh_from_db()
    assert closed.is_closed
    client.post(
        reverse("admin:billing_period_change", args=[following.pk]),
        {"organization": following.organization_id, "month": following.month, "status": "closed"},
    )
    following.refresh_from_db()
    assert not following.is_closed  # periods are closed by close_period only
    form = client.get(reverse("admin:billing_period_change", args=[following.pk])).context[
        "adminform"
    ]
    assert "status" not in form.form.fields


def test_the_admin_deletes_nothing_of_a_closed_period(client, accountant, closed, charge):
    for name, pk in (("period", closed.pk), ("charge", charge.pk)):
        response = client.post(reverse(f"admin:billing_{name}_delete", args=[pk]), {"post": "yes"})
        assert response.status_code == 403, name
    response = client.post(
        reverse("admin:billing_charge_changelist"),
        {"action": "delete_selected", "_selected_action": [charge.pk], "post": "yes"},
    )
    assert Charge.objects.filter(pk=charge.pk).exists()


def test_the_admin_adds_no_charge_to_a_closed_period(client, accountant, closed, account, upkeep):
    response = client.post(reverse("admin:billing_charge_add"), {
        "account": account.pk, "service": upkeep.pk, "period": closed.pk, "tariff": "1",
        "volume": "1", "basis": "", "common_volume": "0", "charged": "1.00",
        "common_charged": "0", "recalculation": "0",
    })  # fmt: skip
    assert response.status_code == 200
    assert "закрыт" in str(response.context["adminform"].form.errors)
    assert Charge.objects.filter(period=closed).count() == 1


def test_the_admin_changes_no_recalculation_of_a_closed_period(
    client, accountant, closed, account, upkeep
):
    earlier = PeriodFactory(organization=closed.organization, month=add_months(closed.month, -1))
    recalculation = Recalculation.objects.bulk_create([Recalculation(
        period=closed, corrected_period=earlier, account=account, service=upkeep,
        amount=D("-5.00"), reason="Акт",
    )])[0]  # fmt: skip
    url = reverse("admin:billing_recalculation_change", args=[recalculation.pk])
    assert client.post(url, {"reason": "Другое"}).status_code == 403
    assert not client.get(url).context["has_delete_permission"]


# The model layer ------------------------------------------------------------------------------


def test_a_closed_periods_charge_refuses_save_and_delete(charge):
    charge.charged += 1
    with pytest.raises(ClosedPeriodError, match="закрыт"):
        charge.save()
    with pytest.raises(ClosedPeriodError):
        charge.delete()
    assert Charge.objects.get(pk=charge.pk).charged == charge.charged - 1


def test_no_line_is_added_to_a_closed_period(closed, account, upkeep):
    with pytest.raises(ClosedPeriodError):
        Charge.objects.create(period=closed, account=account, service=upkeep, tariff=0,
                              volume=0, charged=D("1.00"), total=D("1.00"))  # fmt: skip


def test_a_line_is_not_moved_out_of_a_closed_period(charge, closed):
    following = Period.objects.get(organization=closed.organization, status=PeriodStatus.OPEN)
    charge.period = following
    with pytest.raises(ClosedPeriodError):
        charge.save()


def test_querysets_refuse_to_update_or_delete_rows_of_a_closed_period(closed, account, upkeep):
    earlier = PeriodFactory(organization=closed.organization, month=add_months(closed.month, -1))
    Penalty.objects.bulk_create([Penalty(
        period=closed, account=account, debt_month=earlier.month, due_date=earlier.month,
        date_from=closed.month, date_to=closed.month, debt=D("100"), rate=D("16"),
        fraction=300, amount=D("0.01"),
    )])  # fmt: skip
    Recalculation.objects.bulk_create([Recalculation(
        period=closed, corrected_period=earlier, account=account, service=upkeep,
        amount=D("-5.00"), reason="Акт",
    )])  # fmt: skip
    for model in (Charge, AccountBalance, Penalty, Recalculation):
        rows = model.objects.filter(period=closed)
        with pytest.raises(ClosedPeriodError):
            rows.update(account=account)
        with pytest.raises(ClosedPeriodError):
            rows.delete()
        with pytest.raises(ClosedPeriodError):
            model.objects.filter(account=account).delete()  # some rows of the closed period
        assert rows.count() == 1, model


def test_balances_refuse_save_and_delete(closed):
    balance = AccountBalance.objects.get(period=closed)
    balance.closing = D("0")
    with pytest.raises(ClosedPeriodError):
        balance.save()
    with pytest.raises(ClosedPeriodError):
        balance.delete()


def test_an_open_periods_lines_change_as_before(organization, account, upkeep, closed):
    following = Period.objects.get(organization=organization, status=PeriodStatus.OPEN)
    line = ChargeFactory(account=account, service=upkeep, period=following)
    line.charged = D("5.00")
    line.save()
    Charge.objects.filter(period=following).update(recalculation=D("1.00"))
    Charge.objects.filter(period=following).delete()
    assert not Charge.objects.filter(period=following).exists()


def test_a_closed_period_is_not_reopened_or_deleted(closed):
    closed.status = PeriodStatus.OPEN
    with pytest.raises(ClosedPeriodError, match="закрыт"):
        closed.save()
    with pytest.raises(ClosedPeriodError):
        Period.objects.filter(pk=closed.pk).update(status=PeriodStatus.OPEN)
    with pytest.raises(ClosedPeriodError):
        Period.objects.get(pk=closed.pk).delete()
    with pytest.raises(ClosedPeriodError):
        Period.objects.filter(pk=closed.pk).delete()
    assert Period.objects.get(pk=closed.pk).is_closed


def test_a_closed_period_keeps_its_month(closed):
    closed.month = add_months(closed.month, -6)
    with pytest.raises(ClosedPeriodError):
        closed.save()


def test_closing_twice_is_refused_before_any_constraint(closed):
    with pytest.raises(Exception, match="закрыт"):
        close_period(closed)
    assert AccountBalance.objects.filter(period=closed).count() == 1


# The bulk writers assert the open period -------------------------------------------------------


def test_bulk_insert_refuses_a_closed_period(closed, account, upkeep):
    row = (closed.pk, account.pk, upkeep.pk, 0, 0, "", 0, D("1.00"), 0, 0, D("1.00"))
    with pytest.raises(ClosedPeriodError):
        insert_period_rows(closed, Charge, CHARGE_FIELDS, [row])
    assert Charge.objects.filter(period=closed).count() == 1


def test_the_import_writer_refuses_a_closed_period(closed):
    with pytest.raises(ClosedPeriodError):
        imports._write(closed, [], imports.ImportResult())
