"""Capital repair contributions (взнос на капитальный ремонт): billed per m² for the houses that
collect them (``CapitalRepairFund``), their penalty by ЖК РФ ст. 155 ч. 14.1 (1/300 from the day
after the due date, no free days, no 1/130 step) as a stream of its own, apart from ч. 14's,
and payments to their payee (``Payment.capital_repair``) that settle them only."""

import datetime
import re
from decimal import Decimal
from unittest import mock

import pypdfium2
import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.urls import reverse

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.billing.closing import close_period
from kabinet.billing.law import is_working_day
from kabinet.billing.models import (
    AccountBalance,
    CalculationMethod,
    CapitalRepairDueDay,
    CapitalRepairFund,
    CapitalRepairFundKind,
    Charge,
    Penalty,
    PenaltyRule,
    PenaltyRuleKind,
    Period,
    PeriodStatus,
    Service,
)
from kabinet.billing.penalty_calculation import (
    Debt,
    RegionalDueDay,
    capital_repair_fraction,
    due_date,
    penalty_lines,
    regional_due_date,
)
from kabinet.billing.penalty_rules import Moratorium, PenaltyLaw, RateCap
from kabinet.billing.penalty_statement import statement_of
from kabinet.billing.run import run_billing
from kabinet.billing.selectors import account_balance, capital_repair_balance
from kabinet.orgs.models import StaffRole
from kabinet.payments.models import OnlinePayment, Payment
from kabinet.payments.providers import GatewayError
from kabinet.payments.providers.yookassa import YooKassaProvider
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment
from kabinet.payments.services import capital_repair_payee
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.qr import parse_payload
from kabinet.receipts.selectors import receipt_data
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    TariffFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db
D = Decimal
RATE = D("16.5")
SEPTEMBER, OCTOBER = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)
AUGUST = datetime.date(2026, 8, 1)
WEEKDAYS = PenaltyLaw()


def day(month, number):
    return datetime.date(2026, month, number)


def make_fund(house, **fields):
    values = {
        "house": house,
        "kind": CapitalRepairFundKind.SPECIAL_ACCOUNT,
        "payee_name": 'ОАО "Камал" (спецсчёт капремонта)',
        "inn": "1659001230",
        "kpp": "165901001",
        "bank_name": "Отделение «Банк Татарстан» № 8610 ПАО Сбербанк",
        "bank_short_name": "Банк Татарстан № 8610 ПАО Сбербанк",
        "bik": "049205603",
        "correspondent_account": "30101810600000000603",
        "settlement_account": "40705810662000000154",
        **fields,
    }
    fund = CapitalRepairFund(**values)
    fund.full_clean()
    fund.save()
    return fund


# ч. 14.1 in the engine's arithmetic ---------------------------------------------------------


@pytest.mark.parametrize(("days_late", "fraction"), [(0, None), (1, 300), (30, 300), (91, 300)])
def test_one_three_hundredth_from_the_first_day_of_delay_and_no_step(days_late, fraction):
    assert capital_repair_fraction(days_late) == fraction


def test_ten_days_unpaid_after_the_fifteenth():
    # September's 1 000,00 is due on 15 October 2026 (a Thursday); unpaid on 16–25 October:
    # 1 000 × 10 × 16,5 % / 300 = 5,50
    debt = Debt(SEPTEMBER, due_date(SEPTEMBER, 15, WEEKDAYS), D("1000.00"))
    law = PenaltyLaw(fixed_rate=RATE)
    [line] = penalty_lines(
        [debt], D(0), [], day(10, 1), day(10, 25), law, fraction_of=capital_repair_fraction
    )
    assert (line.first, line.last, line.days, line.fraction) == (day(10, 16), day(10, 25), 10, 300)
    assert line.amount == D("5.50")
    # ч. 14 would charge nothing yet: its first 30 days of delay are free
    assert penalty_lines([debt], D(0), [], day(10, 1), day(10, 25), law) == []


def test_the_rate_cap_and_the_moratoria_apply_to_it_too():
    debt = Debt(SEPTEMBER, day(10, 15), D("1000.00"))
    capped = PenaltyLaw(
        key_rates=((day(1, 1), RATE),), caps=(RateCap(day(1, 1), day(12, 31), D("9.5")),)
    )
    [line] = penalty_lines(
        [debt], D(0), [], day(10, 1), day(10, 25), capped, fraction_of=capital_repair_fraction
    )
    assert (line.rate, line.rule, line.amount) == (D("9.5"), "rate_cap", D("3.17"))  # 3,166…
    paused = PenaltyLaw(fixed_rate=RATE, moratoria=(Moratorium(day(10, 1), day(10, 20)),))
    lines = penalty_lines(
        [debt], D(0), [], day(10, 1), day(10, 25), paused, fraction_of=capital_repair_fraction
    )
    assert sum(line.amount for line in lines) == D("2.75")  # 21–25 October: 5 days


# The house's setting and the monthly run ----------------------------------------------------


def test_a_fund_checks_the_payees_accounts_against_the_bik():
    account = PersonalAccountFactory()
    with pytest.raises(ValidationError) as error:
        make_fund(account.premise.house, settlement_account="40705810662000000155")
    assert "settlement_account" in error.value.message_dict


def test_a_fund_refuses_a_bank_name_the_qr_code_cannot_hold():
    account = PersonalAccountFactory()
    with pytest.raises(ValidationError) as error:
        make_fund(account.premise.house, bank_short_name="Банк|Татарстан")
    assert "bank_short_name" in error.value.message_dict


def capital_repair_world():
    """An organisation with two houses: one collects contributions, the other does not."""
    funded = PersonalAccountFactory(share=D("0.5"))  # 48,50 m² × ½
    organization = funded.organization
    elsewhere = PersonalAccountFactory(organization=organization)
    elsewhere.premise.house.organization = organization
    make_fund(funded.premise.house)
    contribution = ServiceFactory(
        organization=organization, name="Взнос на капитальный ремонт",
        method=CalculationMethod.CAPITAL_REPAIR,
    )  # fmt: skip
    TariffFactory(service=contribution, value=D("12.40"))
    return funded, elsewhere, contribution


def test_the_run_charges_the_contribution_per_m2_only_in_houses_that_collect_it():
    funded, elsewhere, contribution = capital_repair_world()
    october = PeriodFactory(organization=funded.organization, month=OCTOBER,
                            status=PeriodStatus.OPEN)  # fmt: skip
    result = run_billing(october)
    line = Charge.objects.get(account=funded, service=contribution, period=october)
    assert (line.volume, line.tariff, line.charged) == (D("24.25"), D("12.40"), D("300.70"))
    assert not Charge.objects.filter(account=elsewhere, service=contribution).exists()
    assert not any("Взнос на капитальный ремонт" in problem for problem in result.problems)


def penalty_world():
    """September's contribution of 1 000,00 and other charges of 1 000,00, both unpaid; the
    October run (September 2026 is due on 15 October by 177-ФЗ)."""
    funded, _, contribution = capital_repair_world()
    organization = funded.organization
    september = PeriodFactory(organization=organization, month=SEPTEMBER)
    ChargeFactory(account=funded, service=contribution, period=september, charged=D("1000"))
    upkeep = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    ChargeFactory(account=funded, service=upkeep, period=september, charged=D("1000"))
    main_penalty = ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    repair_penalty = ServiceFactory(
        organization=organization, method=CalculationMethod.CAPITAL_REPAIR_PENALTY
    )
    october = PeriodFactory(organization=organization, month=OCTOBER, status=PeriodStatus.OPEN)
    return funded, october, main_penalty, repair_penalty


def test_the_contribution_earns_its_penalty_from_the_day_after_the_due_date():
    account, october, main_penalty, repair_penalty = penalty_world()
    run_billing(october)
    # 16–31 October, 16 days; the key rate of 31.10.2026 (15,5 %) capped at 9,5 % by
    # Постановление № 329: 1 000 × 16 × 9,5 % / 300 = 5,066… → 5,07
    line = Charge.objects.get(account=account, period=october, service=repair_penalty)
    assert line.charged == D("5.07")
    days = Penalty.objects.get(account=account, period=october)
    assert (days.capital_repair, days.date_from, days.date_to, days.fraction, days.debt) == (
        True, day(10, 16), day(10, 31), 300, D("1000.00")
    )  # fmt: skip
    # the rest of September's bill is inside ч. 14's 30 free days
    assert not Charge.objects.filter(account=account, period=october, service=main_penalty)


def test_a_payment_to_the_capital_repair_payee_settles_the_contribution_only():
    account, october, _, repair_penalty = penalty_world()
    PaymentFactory(account=account, paid_on=day(10, 10), amount=D("1000"), capital_repair=True)
    run_billing(october)
    assert not Charge.objects.filter(account=account, period=october, service=repair_penalty)
    assert capital_repair_balance(account) == D("0.00")
    assert account_balance(account) == D("1000.00")


def test_a_payment_of_the_rest_of_the_bill_leaves_the_contribution_owed():
    account, october, _, repair_penalty = penalty_world()
    PaymentFactory(account=account, paid_on=day(10, 10), amount=D("1000"))
    run_billing(october)
    line = Charge.objects.get(account=account, period=october, service=repair_penalty)
    assert line.charged == D("5.07")
    assert capital_repair_balance(account) == D("1000.00")
    assert account_balance(account) == D("0.00")


def test_the_ch14_penalty_ignores_contributions_and_their_payments():
    account, october, main_penalty, _ = penalty_world()
    organization = account.organization
    august = PeriodFactory(organization=organization, month=datetime.date(2026, 8, 1))
    upkeep = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    ChargeFactory(account=account, service=upkeep, period=august, charged=D("10000"))
    contribution = Service.objects.get(organization=organization,
                                       method=CalculationMethod.CAPITAL_REPAIR)  # fmt: skip
    ChargeFactory(account=account, service=contribution, period=august, charged=D("3000"))
    # paid to the capital repair payee before: it settles no debt of the rest of the bill
    PaymentFactory(account=account, paid_on=day(7, 25), amount=D("5000"), capital_repair=True)
    run_billing(october)
    line = Charge.objects.get(account=account, period=october, service=main_penalty)
    assert line.charged == D("50.67")  # 10 000 × 16 × 9,5 % / 300, 16–31 October
    # August's contribution is ч. 14.1's debt, never ч. 14's
    assert Penalty.objects.filter(account=account, capital_repair=False).get().debt == D("10000")


def test_without_a_penalty_service_for_contributions_the_run_says_so():
    _, october, _, repair_penalty = penalty_world()
    repair_penalty.delete()
    result = run_billing(october)
    assert any("14.1" in problem for problem in result.problems)


def test_an_account_without_contributions_has_no_capital_repair_balance():
    account = PersonalAccountFactory()
    ChargeFactory(account=account)
    assert capital_repair_balance(account) is None


# The payment document -----------------------------------------------------------------------


def all_qr_codes(pdf: bytes) -> list[str]:
    """What a phone reads from every page: each QR code decoded by a real decoder (zxing-cpp)."""
    codes = []
    for page in pypdfium2.PdfDocument(pdf):
        image = page.render(scale=3).to_pil()
        codes += [c.text for c in zxingcpp.read_barcodes(image) if c.format.name == "QRCode"]
    return codes


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    return text.replace("\u00a0", " ").replace("\r", "")


def receipt_world():
    """October 2026, closed: the rest of the bill 970,00, the contribution 300,70 and its
    penalty 5,07; September's contribution of 1 000,00 was paid 400,00 to its payee."""
    account, _, contribution = capital_repair_world()
    organization = account.organization
    september = PeriodFactory(organization=organization, month=SEPTEMBER)
    ChargeFactory(account=account, service=contribution, period=september, charged=D("1000"))
    PaymentFactory(account=account, paid_on=day(9, 20), amount=D("400"), capital_repair=True)
    october = PeriodFactory(organization=organization, month=OCTOBER)
    ChargeFactory(account=account, period=october, service__organization=organization,
                  service__name="Содержание жилья", charged=D("970"))  # fmt: skip
    ChargeFactory(account=account, period=october, service=contribution, tariff=D("12.40"),
                  volume=D("24.25"), charged=D("300.70"))  # fmt: skip
    repair_penalty = ServiceFactory(
        organization=organization, method=CalculationMethod.CAPITAL_REPAIR_PENALTY, name="Пени КР"
    )
    ChargeFactory(account=account, period=october, service=repair_penalty, charged=D("5.07"))
    PaymentFactory(account=account, paid_on=day(10, 12), amount=D("100"), capital_repair=True)
    return account, october


def test_the_contribution_has_its_own_part_of_the_receipt_and_the_rest_of_the_bill_the_rest():
    account, october = receipt_world()
    receipt = receipt_data(account, october)
    part = receipt.capital_repair
    assert [line.service for line in part.lines] == ["Взнос на капитальный ремонт"]
    # 1 000,00 − 400,00 before October; + 300,70 + 5,07 − 100,00 in it
    assert (part.opening, part.charged, part.penalties, part.paid) == (
        D("600.00"), D("300.70"), D("5.07"), D("100.00")
    )  # fmt: skip
    assert part.to_pay == D("805.77")
    assert [line.service for line in receipt.lines] == ["Содержание жилья"]
    assert (receipt.opening, receipt.charged, receipt.penalties, receipt.paid) == (
        D("0.00"), D("970.00"), D("0.00"), D("0.00")
    )  # fmt: skip
    assert receipt.to_pay == D("970.00")


def test_the_pdf_carries_a_second_qr_code_for_the_capital_repair_payee():
    account, october = receipt_world()
    pdf = receipt_pdf(receipt_data(account, october))
    codes = [parse_payload(code) for code in all_qr_codes(pdf)]
    by_account = {code["PersonalAcc"]: code for code in codes}
    assert set(by_account) == {"40702810462000012345", "40705810662000000154"}
    repair = by_account["40705810662000000154"]
    assert (repair["Sum"], repair["PayeeINN"], repair["PersAcc"], repair["PaymPeriod"]) == (
        "80577", "1659001230", account.number, "102026"
    )  # fmt: skip
    assert repair["BankName"] == "Банк Татарстан № 8610 ПАО Сбербанк"
    assert repair["Purpose"].startswith("Взнос на капитальный ремонт за октябрь 2026")
    assert by_account["40702810462000012345"]["Sum"] == "97000"
    text = pdf_text(pdf)
    assert "Расчёт размера взноса на капитальный ремонт" in text
    assert "Пени (ЖК РФ ст. 155 ч. 14.1)" in text


def test_the_print_page_shows_the_same_section_with_its_qr_code(client):
    account, _ = receipt_world()
    link = AccountLinkFactory(account=account)
    client.force_login(link.user)
    page = client.get(reverse("portal:receipt", args=[account.pk, 2026, "10"])).content.decode()
    assert 'data-section="capital_repair"' in page
    assert page.count("<svg") == 2
    assert "40705810662000000154" in page
    assert "Итого к оплате: 805,77" in page.replace("\u00a0", " ")


def test_an_account_of_a_house_without_contributions_has_one_payee():
    account = PersonalAccountFactory()
    charge = ChargeFactory(account=account)
    receipt = receipt_data(account, charge.period)
    assert receipt.capital_repair is None
    assert len(all_qr_codes(receipt_pdf(receipt))) == 1


def test_the_card_shows_the_contribution_debt_beside_the_rest_of_the_bill(client):
    account, _ = receipt_world()
    client.force_login(AccountLinkFactory(account=account).user)
    page = client.get(reverse("portal:account", args=[account.pk])).content.decode()
    page = page.replace("\u00a0", " ")
    assert re.search(r'data-testid="balance">Долг: 970,00 ₽<', page)
    assert re.search(r'data-testid="capital-repair-balance">Долг: 805,77 ₽<', page)


def test_the_card_of_an_account_without_contributions_has_no_such_line(client):
    link = AccountLinkFactory()
    ChargeFactory(account=link.account)
    client.force_login(link.user)
    page = client.get(reverse("portal:account", args=[link.account.pk])).content.decode()
    assert "capital-repair-balance" not in page


# The back office ------------------------------------------------------------------------------


FUND_FORM = {
    "kind": CapitalRepairFundKind.SPECIAL_ACCOUNT, "payee_name": 'ОАО "Камал"',
    "inn": "1659001230", "kpp": "165901001", "bank_name": "ПАО Сбербанк",
    "bank_short_name": "", "bik": "049205603", "correspondent_account": "30101810600000000603",
    "settlement_account": "40705810662000000154",
}  # fmt: skip


def test_an_accountant_sets_up_the_fund_of_a_house_of_their_own_organisation(client):
    account, stranger = PersonalAccountFactory(), PersonalAccountFactory()
    client.force_login(staff_user(account.organization, StaffRole.ACCOUNTANT))
    url = reverse("admin:billing_capitalrepairfund_add")
    form = client.get(url).context["adminform"].form
    assert list(form.fields["house"].queryset) == [account.premise.house]
    refused = client.post(url, {**FUND_FORM, "house": stranger.premise.house_id})
    assert refused.status_code == 200
    assert not CapitalRepairFund.objects.exists()
    wrong_key = client.post(url, {**FUND_FORM, "house": account.premise.house_id,
                                  "settlement_account": "40705810662000000155"})  # fmt: skip
    assert "settlement_account" in wrong_key.context["adminform"].form.errors
    client.post(url, {**FUND_FORM, "house": account.premise.house_id})
    fund = CapitalRepairFund.objects.get()
    assert (fund.house, fund.payment_bank_name) == (account.premise.house, "ПАО Сбербанк")
    # where the contributions go is money: the audit log keeps it
    entry = AuditEntry.objects.get(action=AuditAction.ADDED)
    assert (entry.organization, entry.changes["settlement_account"]) == (
        account.organization, [None, "40705810662000000154"]
    )  # fmt: skip


def test_an_operator_may_not_change_the_payees_details(client):
    account = PersonalAccountFactory()
    client.force_login(staff_user(account.organization, StaffRole.OPERATOR))
    assert client.get(reverse("admin:billing_capitalrepairfund_add")).status_code == 403


def test_an_overpaid_contribution_does_not_hide_a_debt_of_the_rest_of_the_bill():
    """The stored balances mix both payees: the run must not skip an account whose balance
    an overpaid contribution brought to zero while the rest of its bill is owed."""
    account, october, main_penalty, _ = penalty_world()
    organization = account.organization
    august = PeriodFactory(organization=organization, month=datetime.date(2026, 8, 1))
    upkeep = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    ChargeFactory(account=account, service=upkeep, period=august, charged=D("10000"))
    PaymentFactory(account=account, paid_on=day(7, 25), amount=D("20000"), capital_repair=True)
    september = Period.objects.get(organization=organization, month=SEPTEMBER)
    AccountBalance.objects.bulk_create([AccountBalance(
        period=september, account=account, opening=D("-10000"), charged=D("2000"),
        recalculation=D(0), penalties=D(0), paid=D(0), closing=D("-8000"),
    )])  # fmt: skip
    run_billing(october)
    line = Charge.objects.get(account=account, period=october, service=main_penalty)
    assert line.charged == D("50.67")


def test_the_charges_page_shows_the_contribution_apart(client):
    account, _ = receipt_world()
    client.force_login(AccountLinkFactory(account=account).user)
    url = reverse("portal:account_charges", args=[account.pk])
    page = client.get(url, {"period": "2026-10"}).content.decode().replace("\u00a0", " ")
    summary = page[page.index('data-testid="capital-repair-summary"') :]
    assert 'Итого к оплате</dt><dd class="fw-bold">805,77 ₽' in summary
    assert "24,25 м² × 12,40 ₽</dt><dd>300,70 ₽" in summary


# The resident's «Пени» ------------------------------------------------------------------------


def penalty_page_cells(page: str, testid: str) -> list[list[str]]:
    """The rows of the penalty table inside the block marked ``testid``, cell by cell."""
    block = page[page.index(f'data-testid="{testid}"') :]
    table = block[: block.index("</table>")]
    cell = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
    return [
        [re.sub(r"<[^>]+>", "", text).strip() for text in cell.findall(row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    ]


def test_the_residents_penalty_page_shows_the_ch14_1_days_in_a_block_of_their_own(client):
    """October's run on September's unpaid contribution (due 15.10.2026), with a moratorium
    row made for the test on 20–22 October: 16–19 October 1 000 × 4 × 9,5 % / 300 = 1,27
    (the cap of № 329 below the key rate 15,5 %), 20–22 October none, 23–31 October
    1 000 × 9 × 9,5 % / 300 = 2,85. The rest of the bill is inside ч. 14's free 30 days."""
    account, october, _, _ = penalty_world()
    PenaltyRule.objects.create(kind=PenaltyRuleKind.MORATORIUM, first_day=day(10, 20),
                               last_day=day(10, 22), source="мораторий для теста")  # fmt: skip
    run_billing(october)
    close_period(october)
    client.force_login(AccountLinkFactory(account=account).user)
    response = client.get(reverse("portal:account_penalties", args=[account.pk]))
    page = response.content.decode().replace("\u00a0", " ")
    assert response.context["period"].month == OCTOBER
    assert "Пени по части 14 за этот месяц не начислялись." in page
    rows = penalty_page_cells(page, "capital-repair-penalties")
    cap = "ч. 14.1, ставка не выше предельной (ПП РФ № 474, № 329)"
    moratorium = "мораторий: пени не начисляются (ПП РФ № 424, № 497)"
    assert [[row[2], row[3], row[4], row[7], row[8], row[10]] for row in rows[:3]] == [
        ["16.10.2026 – 19.10.2026", "4", "1-го", "1/300", cap, "1,27"],
        ["20.10.2026 – 22.10.2026", "3", "5-го", "1/300", moratorium, "0,00"],
        ["23.10.2026 – 31.10.2026", "9", "8-го", "1/300", cap, "2,85"],
    ]
    assert rows[-1][-1] == "4,12"  # the month's total, as charged
    assert 'class="table-secondary kb-moratorium"' in page
    block = page[page.index('data-testid="capital-repair-penalties"') :]
    assert "ЖК РФ ст. 155 ч. 14.1" in block[block.index("Правовое основание") :]
    assert "мораторий для теста" in block
    months = response.context["months"]
    assert [(m.period.month, m.penalty, m.capital_repair_penalty) for m in months] == [
        (OCTOBER, None, D("4.12"))
    ]


# Paid online to its own payee, and a payment naming a month ----------------------------------


def online_world(client):
    """September 2026's contribution of 1 000,00 (closed) and 500,00 of the rest of the bill,
    both unpaid; the resident logged in."""
    account, _, contribution = capital_repair_world()
    september = PeriodFactory(organization=account.organization, month=SEPTEMBER)
    ChargeFactory(account=account, service=contribution, period=september, charged=D("1000"))
    ChargeFactory(account=account, period=september, charged=D("500"),
                  service__organization=account.organization)  # fmt: skip
    client.force_login(AccountLinkFactory(account=account).user)
    return account


def test_the_contribution_is_paid_online_to_its_payee_and_credited_once(client):
    account = online_world(client)
    card = client.get(reverse("portal:account", args=[account.pk])).content.decode()
    pay_url = reverse("portal:pay", args=[account.pk]) + "?payee=capital_repair"
    assert 'data-testid="pay-capital-repair"' in card
    assert pay_url in card
    page = client.get(pay_url)
    assert 'ОАО "Камал" (спецсчёт капремонта)' in page.content.decode().replace("&quot;", '"')
    assert page.context["form"].initial["amount"] == Decimal("1000.00")  # the contribution's debt
    assert 'value="1000,00"' in page.content.decode()
    # the months offered are the contribution's, with what each still owes
    assert page.context["form"].fields["period"].choices[1][0] == "2026-09"
    response = client.post(pay_url, {"amount": "1000,00", "period": "2026-09"})
    online_payment = OnlinePayment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == online_payment.confirmation_url
    assert (online_payment.capital_repair, online_payment.period) == (True, SEPTEMBER)
    sandbox = SandboxPayment.objects.get(pk=online_payment.gateway_id)
    assert sandbox.description.startswith("Взнос на капитальный ремонт, ЛС № ")
    assert 'получатель ОАО "Камал" (спецсчёт капремонта), за сентябрь 2026' in sandbox.description
    gateway.decide(sandbox, paid=True)
    for _ in range(3):  # the notification repeated, the return page, the re-check
        body = gateway.notification_body(sandbox)
        client.post("/payments/notify/sandbox/", body, content_type="application/json",
                    HTTP_X_SANDBOX_SIGNATURE=gateway.sign(body))  # fmt: skip
        client.get(reverse("portal:online_payment", args=[account.pk, online_payment.pk]))
    payment = Payment.objects.get()
    assert (payment.capital_repair, payment.amount, payment.period) == (
        True, D("1000.00"), SEPTEMBER
    )  # fmt: skip
    assert capital_repair_balance(account) == D("0.00")
    assert account_balance(account) == D("500.00")  # the rest of the bill is still owed


def test_an_ordinary_online_payment_still_pays_the_organisation(client):
    account = online_world(client)
    page = client.get(reverse("portal:pay", args=[account.pk]))
    assert page.context["form"].initial["amount"] == D("500.00")
    client.post(reverse("portal:pay", args=[account.pk]), {"amount": "500,00"})
    assert not OnlinePayment.objects.get().capital_repair


def test_a_house_without_a_fund_has_no_online_contribution(client):
    account = PersonalAccountFactory()
    client.force_login(AccountLinkFactory(account=account).user)
    url = reverse("portal:pay", args=[account.pk]) + "?payee=capital_repair"
    assert client.get(url).status_code == 404
    assert (
        "pay-capital-repair"
        not in client.get(reverse("portal:account", args=[account.pk])).content.decode()
    )


def test_yookassa_sends_the_contribution_to_the_funds_shop_only_when_it_has_one(settings):
    account, _, _ = capital_repair_world()
    fund = account.premise.house.capital_repair_fund
    settings.PAYMENT_PROVIDER = "yookassa"
    settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "1", "k"
    assert capital_repair_payee(account) is None  # no shop of the payee: not paid online
    fund.online_account_id = "123456"
    fund.save()
    assert capital_repair_payee(account) == fund
    sent = {}

    def create(params, key):
        sent.update(params)
        raise RuntimeError("no network in the test")

    online_payment = OnlinePayment(account=account, amount=D("250.00"))
    provider = YooKassaProvider()
    with (
        mock.patch("kabinet.payments.providers.yookassa.YooPayment.create", create),
        pytest.raises(GatewayError),
    ):
        provider.create_payment(online_payment, description="Взнос", return_url="https://x/",
                                notification_url="https://x/n/", payee=fund)  # fmt: skip
    assert sent["transfers"] == [
        {"account_id": "123456", "amount": {"value": "250.00", "currency": "RUB"}}
    ]


def named_world():
    """August's and September's contributions of 1 000,00 each, unpaid, and 1 000,00 paid to
    the capital repair payee on 5 October; the October run."""
    account, october, _, _ = penalty_world()
    contribution = Service.objects.get(organization=account.organization,
                                       method=CalculationMethod.CAPITAL_REPAIR)  # fmt: skip
    august = PeriodFactory(organization=account.organization, month=datetime.date(2026, 8, 1))
    ChargeFactory(account=account, service=contribution, period=august, charged=D("1000"))
    return account, october


@pytest.mark.parametrize(
    ("named", "months", "total"),
    [(None, {AUGUST, SEPTEMBER}, D("6.65")), (SEPTEMBER, {AUGUST}, D("9.82"))],
)
def test_a_payment_to_the_capital_repair_payee_naming_a_month_settles_it_first(
    named, months, total
):
    """Unnamed, the payment settles August, the oldest (ГК РФ ст. 319.1 п. 3): August (due
    15.09.2026) is late 1–5 October, 1 000 × 5 × 9,5 % / 300 = 1,58, and September bears the
    penalty from 16 October, 1 000 × 16 × 9,5 % / 300 = 5,07. Naming September (п. 1), it
    settles September before its due date: August stays unpaid all October,
    1 000 × 31 × 9,5 % / 300 = 9,82."""
    account, october = named_world()
    PaymentFactory(account=account, paid_on=day(10, 5), amount=D("1000"), capital_repair=True,
                   period=named)  # fmt: skip
    run_billing(october)
    lines = Penalty.objects.filter(account=account, period=october, capital_repair=True)
    assert {line.debt_month for line in lines} == months
    assert sum(line.amount for line in lines) == total


# A region's own due date (ЖК РФ ст. 171 ч. 1) ------------------------------------------------

BY_THE_20TH = RegionalDueDay(datetime.date(2026, 1, 1), datetime.date(2026, 12, 1), 20)


def test_a_regions_day_of_the_next_month_moved_to_a_working_day():
    law = PenaltyLaw(working_day=is_working_day)
    assert regional_due_date(SEPTEMBER, [BY_THE_20TH], law) == day(10, 20)  # a Tuesday
    # 20.06.2026 is a Saturday: Monday 22 June
    assert regional_due_date(datetime.date(2026, 5, 1), [BY_THE_20TH], law) == day(6, 22)
    last_day = RegionalDueDay(datetime.date(2026, 1, 1), None, 31)
    # February 2026 has 28 days; the 28th is a Saturday: Monday 2 March
    assert regional_due_date(datetime.date(2026, 1, 1), [last_day], law) == day(3, 2)
    # outside the rule's months the federal date applies
    assert regional_due_date(datetime.date(2025, 12, 1), [BY_THE_20TH], law) is None
    assert regional_due_date(datetime.date(2027, 1, 1), [BY_THE_20TH], law) is None


def regional_row(organization, **fields):
    values = {
        "day": 20,
        "source": "закон субъекта (тест)",
        "valid_from": datetime.date(2026, 1, 1),
    }
    row = CapitalRepairDueDay(organization=organization, **{**values, **fields})
    row.full_clean()
    row.save()
    return row


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        # 21–31 October: 1 000 × 11 × 9,5 % / 300 = 3,483… → 3,48
        (CapitalRepairFundKind.REGIONAL_OPERATOR, D("3.48")),
        # ч. 2 has no exception for a special account: due 15.10, 16–31 October → 5,07
        (CapitalRepairFundKind.SPECIAL_ACCOUNT, D("5.07")),
    ],
)
def test_the_ch14_1_penalty_counts_from_the_regions_date_for_the_regional_operator(kind, amount):
    account, october, _, repair_penalty = penalty_world()
    CapitalRepairFund.objects.filter(house=account.premise.house).update(kind=kind)
    regional_row(account.organization)
    run_billing(october)
    line = Charge.objects.get(account=account, period=october, service=repair_penalty)
    assert line.charged == amount
    days = Penalty.objects.filter(account=account, period=october, capital_repair=True)
    statement = statement_of(days, account=account, to=day(10, 31), capital_repair=True)
    bases = " ".join(basis.text for basis in statement.bases)
    regional = kind == CapitalRepairFundKind.REGIONAL_OPERATOR
    assert ("ЖК РФ ст. 171 ч. 1, закон субъекта РФ): закон субъекта (тест)" in bases) == regional


def test_a_row_that_ended_leaves_the_federal_date():
    account, october, _, repair_penalty = penalty_world()
    CapitalRepairFund.objects.filter(house=account.premise.house).update(
        kind=CapitalRepairFundKind.REGIONAL_OPERATOR
    )
    regional_row(account.organization, valid_to=datetime.date(2026, 8, 1))
    run_billing(october)
    line = Charge.objects.get(account=account, period=october, service=repair_penalty)
    assert line.charged == D("5.07")  # September is due on the 15th


def test_the_receipts_capital_repair_section_is_due_on_the_regions_date():
    account, october = receipt_world()
    fund = account.premise.house.capital_repair_fund
    receipt = receipt_data(account, october)
    # October 2026 is due on Monday 16.11.2026 (the 15th is a Sunday), both sections alike
    assert receipt.pay_by == receipt.capital_repair.pay_by == day(11, 16)
    regional_row(account.organization)
    assert receipt_data(account, october).capital_repair.pay_by == day(11, 16)  # special account
    fund.kind = CapitalRepairFundKind.REGIONAL_OPERATOR
    fund.save()
    receipt = receipt_data(account, october)
    assert (receipt.pay_by, receipt.capital_repair.pay_by) == (day(11, 16), day(11, 20))
    assert "Оплатить до 20.11.2026" in pdf_text(receipt_pdf(receipt))


def test_a_regions_row_checks_its_months():
    account = PersonalAccountFactory()
    with pytest.raises(ValidationError) as error:
        regional_row(account.organization, valid_to=datetime.date(2025, 12, 1))
    assert "valid_to" in error.value.message_dict
    with pytest.raises(ValidationError):
        regional_row(account.organization, day=32)
