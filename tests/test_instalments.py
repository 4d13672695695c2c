"""Instalment plans (рассрочка платы, Правила № 354 п. 72): the schedule's arithmetic, the cap of
the rate, the run's lines, the ledger and penalties around them, and section 5 of the payment
document (Приказ Минстроя России № 43/пр, «Расчёт суммы к оплате с учётом рассрочки платежа»)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.billing import law
from kabinet.billing.closing import close_period
from kabinet.billing.debts import monthly_debts, principal_charges
from kabinet.billing.instalments import (
    instalment_candidates,
    max_rate,
    schedule,
)
from kabinet.billing.ledger import account_ledger
from kabinet.billing.models import (
    CalculationMethod,
    Charge,
    ClosedPeriodError,
    InstalmentPlan,
    Period,
    PeriodStatus,
)
from kabinet.billing.run import run_billing
from kabinet.orgs.models import StaffRole
from kabinet.receipts.layout import INSTALMENTS_TITLE, receipt_sections
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import receipt_data
from tests.factories import (
    AccountLinkFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    TariffFactory,
    staff_user,
)

D = Decimal
NBSP = "\xa0"
JUNE, JULY, AUGUST, SEPTEMBER = (datetime.date(2026, month, 1) for month in (6, 7, 8, 9))
GRANTED = datetime.date(2026, 7, 2)  # key rate 15,50 % (from 16.02.2026) → at most 18,50 %


# The schedule ------------------------------------------------------------------------------


def test_twelve_equal_shares_with_interest_on_what_is_not_yet_due():
    # 12 000,00 over 12 months at 18 %: shares of 1 000,00; the interest of month k is
    # 18 % / 12 = 1,5 % of what was not yet due during the month before: 11 000 × 1,5 % =
    # 165,00 in month 2, … 1 000 × 1,5 % = 15,00 in month 12; in all 1,5 % × 66 000 = 990,00.
    rows = schedule(D("12000.00"), 12, D("18"), JUNE)
    assert [row.share for row in rows] == [D("1000.00")] * 12
    assert [row.interest for row in rows] == [D("0")] + [D(15 * k) for k in range(11, 0, -1)]
    assert sum(row.interest for row in rows) == D("990.00")
    assert [row.remaining for row in rows][:2] == [D("11000.00"), D("10000.00")]
    assert rows[-1].remaining == 0
    assert (rows[0].month, rows[-1].month) == (JUNE, datetime.date(2027, 5, 1))


def test_shares_cut_to_the_kopeck_and_the_last_takes_the_rest():
    # 1 000,00 / 3 = 333,33 (cut), the last 333,34; at 18,5 %: 666,67 × 18,5 / 1 200 =
    # 10,2778 → 10,28 and 333,34 × 18,5 / 1 200 = 5,1390 → 5,14
    rows = schedule(D("1000.00"), 3, D("18.50"), JUNE)
    assert [row.share for row in rows] == [D("333.33"), D("333.33"), D("333.34")]
    assert [row.interest for row in rows] == [D("0"), D("10.28"), D("5.14")]
    assert [row.to_pay for row in rows] == [D("333.33"), D("343.61"), D("338.48")]


@settings(max_examples=300, deadline=None)
@given(
    amount=st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2),
    months=st.integers(min_value=2, max_value=12),
    rate=st.decimals(min_value=D("0"), max_value=D("40"), places=2),
)
def test_the_shares_and_what_remains_always_make_the_amount(amount, months, rate):
    rows = schedule(amount, months, rate, JUNE)
    assert len(rows) == months
    paid = D(0)
    for row in rows:
        assert row.share >= 0
        assert row.interest >= 0
        paid += row.share
        assert paid + row.remaining == amount
    assert rows[-1].remaining == 0
    assert paid == amount
    assert len({row.share for row in rows[:-1]}) == 1  # equal shares, the last one apart
    assert rows[0].share <= rows[-1].share < rows[0].share + D("0.12")


# The rate's cap (п. 72; Постановление № 763 for 2022) -----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "cap"),
    [
        (datetime.date(2026, 7, 2), D("18.50")),  # 15,50 % from 16.02.2026
        (datetime.date(2024, 11, 1), D("24.00")),  # 21 % from 28.10.2024
        (datetime.date(2022, 2, 27), D("12.50")),  # 9,5 % before the 2022 rule
        (datetime.date(2022, 6, 1), D("9.50")),  # Постановление № 763
        (datetime.date(2023, 1, 1), D("10.50")),  # 7,5 % from 19.09.2022
    ],
)
def test_the_rate_is_at_most_the_key_rate_of_the_day_plus_three(day, cap):
    assert max_rate(None, day) == cap


# A plan in the run -------------------------------------------------------------------------


@pytest.fixture
def world(db):
    """Heating by the normative on 48,50 m²: 48,50 × 0,02 × 3 000,00 = 2 910,00 a month."""
    account = PersonalAccountFactory()
    organization = account.organization
    heating = ServiceFactory(
        organization=organization,
        name="Отопление",
        unit="Гкал",
        method=CalculationMethod.AREA_NORMATIVE,
        normative=D("0.02"),
    )
    TariffFactory(service=heating, value=D("3000.00"))
    period = PeriodFactory(organization=organization, month=JUNE, status=PeriodStatus.OPEN)
    run_billing(period)
    return account, heating, period


def grant(account, service, period, **fields):
    plan = InstalmentPlan(
        period=period,
        account=account,
        service=service,
        amount=fields.pop("amount", D("2910.00")),
        months=fields.pop("months", 3),
        rate=fields.pop("rate", D("18.50")),
        granted_on=GRANTED,
        consent_on=GRANTED,
        **fields,
    )
    plan.full_clean()
    plan.save()
    return plan


def lines(account, period) -> dict[str, D]:
    return dict(
        Charge.objects.filter(account=account, period=period).values_list("service__name", "total")
    )


def bill_through(period, months):
    """Run and close ``months`` months from ``period``; the periods closed."""
    closed = []
    for _ in range(months):
        run_billing(period)
        closed.append(period)
        period = close_period(period)
    return closed, period


def test_the_run_spreads_the_month_and_charges_each_share_with_its_interest(world):
    account, heating, june = world
    grant(account, heating, june)
    closed, september = bill_through(june, 3)
    run_billing(september)
    # 2 910,00 / 3 = 970,00; interest 1 940,00 × 18,5 / 1 200 = 29,9083 → 29,91, then
    # 970,00 × 18,5 / 1 200 = 14,9541 → 14,95
    assert lines(account, closed[0]) == {
        "Отопление": D("2910.00"),
        "Рассрочка платы": D("-1940.00"),
    }
    assert lines(account, closed[1]) == {
        "Отопление": D("2910.00"),
        "Рассрочка платы": D("970.00"),
        "Проценты за рассрочку": D("29.91"),
    }
    assert lines(account, closed[2])["Рассрочка платы"] == D("970.00")
    assert lines(account, closed[2])["Проценты за рассрочку"] == D("14.95")
    assert lines(account, september) == {"Отопление": D("2910.00")}  # the plan is over
    spread = Charge.objects.filter(account=account, service__name="Рассрочка платы")
    assert sum(spread.values_list("total", flat=True)) == 0


def test_the_ledger_reconciles_and_only_what_is_due_is_debt(world):
    account, heating, june = world
    grant(account, heating, june)
    PaymentFactory(account=account, amount=D("500.00"), paid_on=datetime.date(2026, 7, 10))
    bill_through(june, 3)
    ledger = account_ledger(account, JUNE, AUGUST)
    for month in ledger.months:
        assert month.closing == month.opening + month.accrued - month.paid
    # June owes its share only: 970,00; July 2 910 + 970 + 29,91; August 2 910 + 970 + 14,95
    assert [m.charged for m in ledger.months] == [D("970.00"), D("3909.91"), D("3894.95")]
    assert ledger.closing == D("970.00") + D("3909.91") + D("3894.95") - D("500.00")
    organization = account.organization
    debts = monthly_debts(
        principal_charges(organization).filter(account=account),
        organization,
        law.penalty_law(organization),
    )[account.pk]
    assert [debt.amount for debt in debts] == [D("970.00"), D("3909.91"), D("3894.95")]


def test_no_plan_no_lines_and_no_section(world):
    account, _heating, june = world
    closed, _ = bill_through(june, 1)
    assert lines(account, closed[0]) == {"Отопление": D("2910.00")}
    receipt = receipt_data(account, closed[0])
    assert receipt.instalments == ()
    assert "instalments" not in [section.key for section in receipt_sections(receipt)]


# Section 5 of the payment document ----------------------------------------------------------


def test_the_payment_document_shows_the_plan_in_section_five(world):
    account, heating, june = world
    grant(account, heating, june)
    closed, _ = bill_through(june, 2)
    receipt = receipt_data(account, closed[1])
    [row] = receipt.instalments
    assert (row.number, row.months, row.rate) == (2, 3, D("18.50"))
    assert (row.share, row.interest, row.to_pay, row.remaining) == (
        D("970.00"), D("29.91"), D("999.91"), D("970.00")
    )  # fmt: skip
    assert receipt.lines_charged == receipt.charged  # the plan's lines are in the table too
    assert receipt_data(account, closed[1], shared={}).instalments == receipt.instalments
    [section] = [s for s in receipt_sections(receipt) if s.key == "instalments"]
    assert section.title == INSTALMENTS_TITLE
    assert tuple(cell.replace(NBSP, " ") for cell in section.grids[0].rows[0][1:]) == (
        "2 910,00", "2 из 3", "970,00", "18,5", "29,91", "999,91", "970,00"
    )  # fmt: skip
    text = " ".join(PdfReader(io.BytesIO(receipt_pdf(receipt))).pages[0].extract_text().split())
    assert "Расчёт суммы к оплате с учётом рассрочки платежа" in text
    assert "999,91" in text
    assert "2 из 3" in text


def test_the_first_month_says_what_was_deferred(world):
    account, heating, june = world
    grant(account, heating, june)
    closed, _ = bill_through(june, 1)
    receipt = receipt_data(account, closed[0])
    [row] = receipt.instalments
    assert (row.number, row.share, row.interest, row.deferred) == (
        1, D("970.00"), D("0"), D("2910.00")
    )  # fmt: skip
    [section] = [s for s in receipt_sections(receipt) if s.key == "instalments"]
    assert "2 910,00 ₽ вносится в рассрочку на 3 мес." in section.notes[0].replace(NBSP, " ")


def test_the_card_shows_the_plan_of_the_last_closed_month(world, client):
    account, heating, june = world
    grant(account, heating, june)
    bill_through(june, 2)
    client.force_login(AccountLinkFactory(account=account).user)
    page = client.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert (
        'data-testid="instalment">платёж 2 из 3 — 999,91 с процентами (18,50 % годовых); '
        "осталось 970,00<"
    ) in page.replace(NBSP, " ")


# What staff may grant ------------------------------------------------------------------------


def test_a_rate_above_the_cap_is_refused(world):
    account, heating, june = world
    with pytest.raises(ValidationError) as error:
        grant(account, heating, june, rate=D("18.51"))
    assert "Не выше 18,5 % годовых" in str(error.value)


def test_no_more_than_the_month_charged_and_no_more_than_twelve_months(world):
    account, heating, june = world
    with pytest.raises(ValidationError) as error:
        grant(account, heating, june, amount=D("2910.01"))
    assert error.value.message_dict["amount"] == [
        f"Больше начисленного за месяц (2{NBSP}910,00 ₽)."
    ]
    with pytest.raises(ValidationError):
        grant(account, heating, june, months=13)


def test_maintenance_by_area_is_not_a_utility(world):
    account, _heating, june = world
    maintenance = ServiceFactory(organization=account.organization)  # по площади
    TariffFactory(service=maintenance)
    run_billing(june)
    with pytest.raises(ValidationError) as error:
        grant(account, maintenance, june, amount=D("100.00"))
    assert "по коммунальной услуге" in str(error.value)


def test_a_plan_of_a_closed_month_never_changes(world):
    account, heating, june = world
    plan = grant(account, heating, june)
    bill_through(june, 1)
    plan.refresh_from_db()
    plan.rate = D("10")
    with pytest.raises(ClosedPeriodError):
        plan.save()
    with pytest.raises(ClosedPeriodError):
        plan.delete()
    with pytest.raises(ValidationError):  # nor is a new one granted there
        grant(account, heating, Period.objects.get(pk=june.pk), amount=D("100.00"))


def test_an_accountant_grants_a_plan_in_the_admin_and_the_audit_log_keeps_it(world, client):
    account, heating, june = world
    accountant = staff_user(account.organization, StaffRole.ACCOUNTANT)
    client.force_login(accountant)
    url = reverse("admin:billing_instalmentplan_add")
    form = {
        "period": june.pk, "account": account.pk, "service": heating.pk, "amount": "2910,00",
        "months": "3", "rate": "18,50", "granted_on": "2026-07-02", "consent_on": "2026-07-02",
    }  # fmt: skip
    refused = client.post(url, {**form, "rate": "19,00"})
    assert "rate" in refused.context["adminform"].form.errors
    client.post(url, form)
    plan = InstalmentPlan.objects.get()
    assert (plan.amount, plan.created_by) == (D("2910.00"), accountant)
    entry = AuditEntry.objects.get(action=AuditAction.ADDED)
    assert (entry.organization, entry.changes["amount"]) == (
        account.organization,
        [None, "2910.00"],
    )


def test_an_operator_may_not_grant_one(world, client):
    account, _heating, _june = world
    client.force_login(staff_user(account.organization, StaffRole.OPERATOR))
    assert client.get(reverse("admin:billing_instalmentplan_add")).status_code == 403


# The staff hint ------------------------------------------------------------------------------


def test_charges_more_than_a_quarter_above_the_same_month_a_year_ago_are_listed(world, client):
    account, heating, june = world
    other = PersonalAccountFactory(premise__house=account.premise.house)
    run_billing(june)
    year_ago = PeriodFactory(organization=account.organization, month=datetime.date(2025, 6, 1))
    # 2 910,00 against 2 300,00 (+26,5 %) is listed; against 2 328,00 (+25 % exactly) is not
    Charge.objects.bulk_create(  # history, loaded as closed months are
        Charge(account=who, service=heating, period=year_ago, tariff=D("3000"),
               volume=D("0.97"), charged=D(charged), total=D(charged))
        for who, charged in ((account, "2300.00"), (other, "2328.00"))
    )  # fmt: skip
    [candidate] = instalment_candidates(june)
    assert (candidate.account, candidate.charged, candidate.year_before) == (
        account.number, D("2910.00"), D("2300.00")
    )  # fmt: skip
    client.force_login(staff_user(account.organization, StaffRole.ACCOUNTANT))
    page = client.get(reverse("admin:billing_instalmentplan_changelist")).content.decode()
    assert "Можно предложить рассрочку" in page
    assert account.number in page
    grant(account, heating, june)
    assert instalment_candidates(june) == []
