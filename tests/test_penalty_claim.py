"""«Расчёт пени» for a court claim: the staff page of one account, its PDF and XLSX, and the
resident's «Пени» drawn by the same table. Figures are checked by hand and against what the
monthly billing runs stored."""

import datetime
import io
from decimal import Decimal

import pypdfium2
import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from kabinet.billing.closing import close_period
from kabinet.billing.models import CalculationMethod, Period, PeriodStatus
from kabinet.billing.penalty_rules import MORATORIUM, RATE_CAP
from kabinet.billing.penalty_statement import penalty_statement
from kabinet.billing.run import run_billing
from kabinet.orgs.models import StaffRole
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    OrganizationFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    staff_user,
)
from tests.test_account_pages import NBSP, text_of

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = datetime.date(2026, 3, 1)
TO = datetime.date(2026, 8, 31)


@pytest.fixture
def organization():
    return OrganizationFactory(
        name='ООО "УК Правый берег"',
        inn="1659001230",
        ogrn="1021600012345",
        address="г. Казань, ул. Пушкина, д. 1",
    )


@pytest.fixture
def account(organization):
    """1 000,00 for March 2026, due 15.04.2026 (Федеральный закон № 177-ФЗ); 400,00 paid on
    01.06.2026, the rest unpaid."""
    account = PersonalAccountFactory(
        organization=organization,
        premise__house__organization=organization,
        holder_name="Иванов Иван Иванович",
    )
    service = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    period = PeriodFactory(organization=organization, month=MARCH)
    ChargeFactory(account=account, service=service, period=period, charged=D("1000.00"))
    PaymentFactory(account=account, paid_on=datetime.date(2026, 6, 1), amount=D("400.00"))
    return account


@pytest.fixture
def accountant(client, organization):
    client.force_login(staff_user(organization, StaffRole.ACCOUNTANT))
    return client


def page_url(account, **query):
    url = reverse("backoffice:penalty_claim", args=[account.pk])
    return f"{url}?to={query['to']}" if "to" in query else url


def document_url(account, file_format, to=TO):
    url = reverse("backoffice:penalty_claim_document", args=[account.pk, file_format])
    return f"{url}?to={to:%Y-%m-%d}"


def figures(statement):
    return [
        (line.first, line.last, line.days, line.debt, line.rate, line.fraction, line.amount)
        for line in statement.lines
    ]


def test_hand_checked_history_day_31_and_day_91(account):
    """Day 31 after 15.04 is 16.05, day 91 is 15.07. The key rate on the days of payment
    (15,5 %) is capped at 9,5 % (Постановление № 329). Lines end at month ends, as the monthly
    runs store them."""
    statement = penalty_statement(account, to=TO)
    d = datetime.date
    assert figures(statement) == [
        # 1 000 × 16 × 9,5 % / 300 = 5,066…; 1 000 × 1 × 9,5 % / 300 = 0,316… (the day of
        # payment is still a day of delay)
        (d(2026, 5, 16), d(2026, 5, 31), 16, D("1000.00"), D("9.50"), 300, D("5.07")),
        (d(2026, 6, 1), d(2026, 6, 1), 1, D("1000.00"), D("9.50"), 300, D("0.32")),
        # 600 × 29 × 9,5 % / 300 = 5,51; 600 × 14 × 9,5 % / 300 = 2,66
        (d(2026, 6, 2), d(2026, 6, 30), 29, D("600.00"), D("9.50"), 300, D("5.51")),
        (d(2026, 7, 1), d(2026, 7, 14), 14, D("600.00"), D("9.50"), 300, D("2.66")),
        # from day 91: 600 × 17 × 9,5 % / 130 = 7,453…; 600 × 31 × 9,5 % / 130 = 13,592…
        (d(2026, 7, 15), d(2026, 7, 31), 17, D("600.00"), D("9.50"), 130, D("7.45")),
        (d(2026, 8, 1), d(2026, 8, 31), 31, D("600.00"), D("9.50"), 130, D("13.59")),
    ]
    assert statement.total == D("34.60")
    assert [(month.month, month.due, month.total) for month in statement.months] == [
        (MARCH, d(2026, 4, 15), D("34.60"))
    ]
    assert {line.rule for line in statement.lines} == {RATE_CAP}
    assert statement.first == d(2026, 5, 16)


def test_bases_name_the_statute_the_cap_and_the_due_day_from_the_law_rows(account):
    statement = penalty_statement(account, to=TO)
    texts = [basis.text for basis in statement.bases]
    assert texts[0].startswith("ЖК РФ ст. 155 ч. 14")
    assert any("№ 177-ФЗ" in text for text in texts)
    cap = next(text for text in texts if "№ 329" in text)
    assert cap.startswith("Предельная ставка пеней с 01.01.2025 по 31.12.2026")
    line = statement.lines[0]
    assert texts[line.basis - 1] == cap


def test_unpaid_debt_bears_the_key_rate_of_the_calculation_day_with_its_source(account):
    """After the cap (to 31.12.2026) the unpaid 600,00 bears the key rate of the day of the
    calculation; the table names that rate's decision."""
    statement = penalty_statement(account, to=datetime.date(2027, 1, 31))
    january = [line for line in statement.lines if line.first.year == 2027]
    assert [(line.debt, line.rate, line.rule, line.amount) for line in january] == [
        # 600 × 31 × 15,5 % / 130 = 22,176…
        (D("600.00"), D("15.50"), "key_rate", D("22.18"))
    ]
    basis = statement.bases[january[0].basis - 1].text
    assert basis.startswith(
        "Ключевая ставка Банка России 15,50 % годовых с 16.02.2026: Банк России"
    )


def test_moratorium_days_are_lines_of_their_own_with_their_act():
    """January 2022's debt (due 10.02.2022) on 01.04–01.10.2022: Постановление № 497."""
    account = PersonalAccountFactory()
    period = PeriodFactory(organization=account.organization, month=datetime.date(2022, 1, 1))
    ChargeFactory(account=account, period=period, charged=D("3000.00"))
    statement = penalty_statement(account, to=datetime.date(2022, 10, 31))
    moratorium = [line for line in statement.lines if line.rule == MORATORIUM]
    assert (moratorium[0].first, moratorium[-1].last) == (
        datetime.date(2022, 4, 1),
        datetime.date(2022, 10, 1),
    )
    assert all(line.amount == 0 for line in moratorium)
    basis = statement.bases[moratorium[0].basis - 1].text
    assert basis.startswith("Мораторий на пени с 01.04.2022 по 01.10.2022: Постановление")
    assert "№ 497" in basis


def test_a_debt_of_2015_names_the_edition_of_part_14_and_the_refinancing_rate_it_bore():
    """October 2015's 1 000,00 (due 10.11.2015) paid on 20.12.2015: ЖК РФ ст. 155 ч. 14 before
    Федеральный закон № 307-ФЗ — 1/300 of the refinancing rate (8,25 %, Указание Банка России
    № 2873-У) from the day after the due date: 40 days, 1 000 × 40 × 8,25 % / 300 = 11,00."""
    account = PersonalAccountFactory(organization__payment_due_day=10)
    period = PeriodFactory(organization=account.organization, month=datetime.date(2015, 10, 1))
    ChargeFactory(account=account, period=period, charged=D("1000.00"))
    PaymentFactory(account=account, paid_on=datetime.date(2015, 12, 20), amount=D("1000.00"))
    statement = penalty_statement(account, to=datetime.date(2016, 1, 31))
    assert [(line.first, line.last, line.rate, line.fraction, line.amount)
            for line in statement.lines] == [
        (datetime.date(2015, 11, 11), datetime.date(2015, 11, 30), D("8.25"), 300, D("5.50")),
        (datetime.date(2015, 12, 1), datetime.date(2015, 12, 20), D("8.25"), 300, D("5.50")),
    ]  # fmt: skip
    texts = [basis.text for basis in statement.bases]
    assert texts[statement.lines[0].basis - 1].startswith(
        "Ставка рефинансирования Банка России 8,25 % годовых с 14.09.2012: Указание Банка России "
        "от 13.09.2012 № 2873-У"
    )
    edition = next(text for text in texts if text.startswith("Размер пени за дни просрочки"))
    assert edition.startswith("Размер пени за дни просрочки с 01.03.2005 по 31.12.2015: ЖК РФ")
    assert "до Федерального закона от 03.11.2015 № 307-ФЗ" in edition


def test_a_statement_of_2016_on_needs_no_earlier_edition(account):
    texts = [basis.text for basis in penalty_statement(account, to=TO).bases]
    assert not any(text.startswith("Размер пени за дни просрочки") for text in texts)


# The staff page ---------------------------------------------------------------------------


def test_the_page_shows_the_table_with_month_and_overall_totals(accountant, account):
    response = accountant.get(page_url(account, to="2026-08-31"))
    assert response.status_code == 200
    page = text_of(response)
    assert "16.05.2026 – 31.05.2026" in page
    assert "15.07.2026 – 31.07.2026" in page
    assert "Итого за март 2026" in page
    assert "ставка не выше предельной (ПП РФ № 474, № 329)" in page
    assert 'data-testid="penalty-total">34,60<' in response.text
    assert "Иванов Иван Иванович" in page
    for file_format in ("pdf", "xlsx"):
        assert document_url(account, file_format) in response.text


def test_the_page_calculates_to_today_by_default(accountant, account):
    response = accountant.get(page_url(account))
    assert response.context["statement"].to == datetime.date.today()


def test_every_staff_role_of_the_organisation_may_read(client, account, organization):
    for role in StaffRole:
        client.force_login(staff_user(organization, role))
        assert client.get(page_url(account)).status_code == 200
        assert client.get(document_url(account, "xlsx")).status_code == 200


def test_another_organisations_account_is_not_found(client, account):
    client.force_login(staff_user(OrganizationFactory(), StaffRole.MANAGER))
    assert client.get(page_url(account)).status_code == 404
    assert client.get(document_url(account, "pdf")).status_code == 404


def test_a_resident_is_refused_even_for_their_own_account(client, account):
    """Staff pages do not exist for residents (``staff_required``: 404, as every staff page)."""
    link = AccountLinkFactory(account=account)
    client.force_login(link.user)
    assert client.get(page_url(account)).status_code == 404
    assert client.get(document_url(account, "pdf")).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, account):
    for url in (page_url(account), document_url(account, "pdf")):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_a_day_before_the_first_due_date_gives_an_empty_table_with_a_message(accountant, account):
    response = accountant.get(page_url(account, to="2026-04-10"))
    assert response.status_code == 200
    assert response.context["statement"].months == []
    assert "Пени за период расчёта не начислены" in text_of(response)
    assert 'data-testid="penalty-table"' not in response.text


@pytest.mark.parametrize("to", ["2026-13-45", "вчера", "2026-02-30"])
def test_a_malformed_date_is_a_form_error(accountant, account, to):
    response = accountant.get(page_url(account, to=to))
    assert response.status_code == 200
    assert "Введите дату в виде ДД.ММ.ГГГГ." in text_of(response)
    assert response.context["statement"] is None
    document = accountant.get(
        reverse("backoffice:penalty_claim_document", args=[account.pk, "pdf"]) + f"?to={to}"
    )
    assert document.status_code == 400


def test_a_future_date_is_refused(accountant, account):
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    response = accountant.get(page_url(account, to=f"{tomorrow:%Y-%m-%d}"))
    assert "Дата расчёта не может быть позже сегодняшней." in text_of(response)


def test_the_account_admin_page_and_the_billing_page_link_to_it(accountant, account):
    change = accountant.get(reverse("admin:housing_personalaccount_change", args=[account.pk]))
    assert page_url(account) in change.text
    billing = accountant.get(reverse("backoffice:billing"))
    assert reverse("backoffice:penalty_find_account") in billing.text
    found = accountant.get(reverse("backoffice:penalty_find_account") + f"?number={account.number}")
    assert found.status_code == 302
    assert found["Location"] == page_url(account)


def test_the_finder_does_not_find_another_organisations_account(accountant):
    other = PersonalAccountFactory(number="777")
    response = accountant.get(reverse("backoffice:penalty_find_account") + "?number=777")
    assert response.status_code == 200
    assert "Лицевой счёт № 777 не найден." in text_of(response)
    assert reverse("backoffice:penalty_claim", args=[other.pk]) not in response.text


# The documents ----------------------------------------------------------------------------


def test_the_pdf_names_the_organisation_the_debtor_and_the_total(accountant, account):
    response = accountant.get(document_url(account, "pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        "Расчёт пени",
        'ООО "УК Правый берег"',
        "1659001230",
        "1021600012345",
        "Иванов Иван Иванович",
        "с 16.05.2026 по 31.08.2026",
        "ЖК РФ ст. 155 ч. 14",
        "Итого пени: 34,60",
        "Руководитель",
        "Главный бухгалтер",
    ):
        assert expected in text.replace(NBSP, " ").replace(" ", " "), expected


def test_the_pdf_first_page_renders(accountant, account, tmp_path):
    pdf = pypdfium2.PdfDocument(accountant.get(document_url(account, "pdf")).content)
    image = pdf[0].render(scale=1.5).to_pil()
    assert image.width > image.height  # landscape A4
    image.save(tmp_path / "page.png")


def test_the_xlsx_has_the_heading_the_lines_and_the_totals(accountant, account):
    response = accountant.get(document_url(account, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Расчёт пени"
    cells = [value for row in rows for value in row if value is not None]
    assert 'ООО "УК Правый берег"' in cells
    assert "Иванов Иван Иванович" in cells
    header = next(index for index, row in enumerate(rows) if row[0] == "Долг за")
    first = rows[header + 1]
    assert first[:7] == [
        "март 2026", datetime.datetime(2026, 4, 15), "16.05.2026 – 31.05.2026", 16, 31,
        D("1000.00"), D("9.50"),
    ]  # fmt: skip
    assert D(str(first[-1])) == D("5.07")
    totals = {row[0]: D(str(row[-1])) for row in rows if str(row[0]).startswith("Итого")}
    assert totals == {"Итого за март 2026": D("34.60"), "Итого пени": D("34.60")}


def test_xlsx_text_never_becomes_a_formula(accountant, account):
    account.holder_name = '=HYPERLINK("http://evil")'
    account.save()
    response = accountant.get(document_url(account, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == account.holder_name)
    assert cell.data_type == "s"


# The resident's «Пени» --------------------------------------------------------------------


def test_the_residents_penalties_show_the_same_columns(client, organization):
    link = AccountLinkFactory(account__organization=organization,
                              account__premise__house__organization=organization)  # fmt: skip
    ServiceFactory(organization=organization, name="Пени", method=CalculationMethod.PENALTY)
    base = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    june = PeriodFactory(organization=organization, month=datetime.date(2026, 6, 1))
    ChargeFactory(account=link.account, service=base, period=june, charged=D("2000.00"))
    september = PeriodFactory(organization=organization, month=datetime.date(2026, 9, 1),
                              status=PeriodStatus.OPEN)  # fmt: skip
    run_billing(september)
    close_period(september)
    client.force_login(link.user)
    resident = client.get(reverse("portal:account_penalties", args=[link.account.pk]))
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    staff = client.get(page_url(link.account, to="2026-09-30"))

    def header(response):
        text = response.text
        table = text[text.index('data-testid="penalty-table"') :]
        return table[: table.index("</thead>")]

    assert header(resident) == header(staff)
    # June's 2 000 in September: 2 000 × 30 × 9,5 % / 300 = 19,00 on both
    assert 'data-testid="penalty-total">19,00<' in resident.text
    assert "[3]" in text_of(resident) or "[4]" in text_of(resident)
    assert "Правовое основание" in text_of(resident)


def test_moratorium_days_are_marked_in_the_table(client):
    account = PersonalAccountFactory()
    period = PeriodFactory(organization=account.organization, month=datetime.date(2022, 1, 1))
    ChargeFactory(account=account, period=period, charged=D("3000.00"))
    client.force_login(staff_user(account.organization, StaffRole.OPERATOR))
    response = client.get(page_url(account, to="2022-10-31"))
    assert 'class="table-secondary kb-moratorium"' in response.text
    assert 'data-rule="moratorium">мораторий: пени не начисляются (ПП РФ № 424, № 497)<' in (
        response.text
    )


def test_documents_of_an_empty_calculation_say_so(accountant, account):
    early = datetime.date(2026, 4, 10)
    pdf = accountant.get(document_url(account, "pdf", to=early)).content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Пени за период расчёта не начислены" in text
    assert "Итого пени: 0,00" in text
    workbook = accountant.get(document_url(account, "xlsx", to=early)).content
    cells = [c for row in load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True)
             for c in row if c is not None]  # fmt: skip
    assert any(str(cell).startswith("Пени за период расчёта не начислены") for cell in cells)


# ч. 14.1: the penalty on capital repair contributions, a block of its own ------------------


@pytest.fixture
def contributor(account):
    """The account of the fixture above and March 2026's contribution of 500,00 (due 15.04.2026
    with the rest of the bill), 200,00 of it paid to the capital repair payee on 10.05.2026."""
    organization = account.organization
    contribution = ServiceFactory(organization=organization, name="Взнос на капитальный ремонт",
                                  method=CalculationMethod.CAPITAL_REPAIR)  # fmt: skip
    march = Period.objects.get(organization=organization, month=MARCH)
    ChargeFactory(account=account, service=contribution, period=march, charged=D("500.00"))
    PaymentFactory(account=account, paid_on=datetime.date(2026, 5, 10), amount=D("200.00"),
                   capital_repair=True)  # fmt: skip
    return account


REPAIR_CAP = "ч. 14.1, ставка не выше предельной (ПП РФ № 474, № 329)"


def test_the_ch14_1_penalty_is_a_block_of_its_own_with_its_total(contributor):
    """ЖК РФ ст. 155 ч. 14.1: 1/300 from the day after 15.04.2026, no 30 free days, no 1/130,
    the rate capped at 9,5 % (Постановление № 329); the 200,00 paid on 10.05 counts to that day
    inclusive. The ч. 14 block is the fixture's 34,60, untouched by the contribution and its
    payment."""
    statement = penalty_statement(contributor, to=TO)
    assert statement.total == D("34.60")
    repair = statement.capital_repair
    d = datetime.date
    assert figures(repair) == [
        # 500 × 15 × 9,5 % / 300 = 2,375 → 2,38 (half up); 500 × 10 × 9,5 % / 300 = 1,583…
        (d(2026, 4, 16), d(2026, 4, 30), 15, D("500.00"), D("9.50"), 300, D("2.38")),
        (d(2026, 5, 1), d(2026, 5, 10), 10, D("500.00"), D("9.50"), 300, D("1.58")),
        # 300 × 21 × 9,5 % / 300 = 1,995 → 2,00; June 30 days 2,85; July, August 2,945 → 2,95
        (d(2026, 5, 11), d(2026, 5, 31), 21, D("300.00"), D("9.50"), 300, D("2.00")),
        (d(2026, 6, 1), d(2026, 6, 30), 30, D("300.00"), D("9.50"), 300, D("2.85")),
        (d(2026, 7, 1), d(2026, 7, 31), 31, D("300.00"), D("9.50"), 300, D("2.95")),
        (d(2026, 8, 1), d(2026, 8, 31), 31, D("300.00"), D("9.50"), 300, D("2.95")),
    ]
    assert repair.total == D("14.71")
    assert statement.grand_total == D("49.31")
    assert {line.rule_label for line in repair.lines} == {REPAIR_CAP}
    assert repair.lines[0].first_overdue_day == 1
    assert statement.first == d(2026, 4, 16)
    texts = [basis.text for basis in statement.bases]
    assert texts[0].startswith("ЖК РФ ст. 155 ч. 14:")
    assert any(text.startswith("ЖК РФ ст. 155 ч. 14.1:") for text in texts)
    assert repair.bases is statement.bases  # one numbering for the whole document
    assert texts[repair.lines[0].basis - 1].startswith("Предельная ставка пеней")


def test_without_contributions_there_is_no_ch14_1_block(account):
    assert penalty_statement(account, to=TO).capital_repair is None


def test_the_page_shows_the_ch14_1_block_and_both_totals(accountant, contributor):
    response = accountant.get(page_url(contributor, to="2026-08-31"))
    block = response.text[response.text.index('data-testid="capital-repair-claim"') :]
    assert "ЖК РФ ст. 155 ч. 14.1" in block
    assert "без 30 дней без пени и без 1/130" in block
    assert f'data-rule="rate_cap">{REPAIR_CAP}<' in block
    assert 'data-testid="penalty-total">14,71<' in block
    assert 'data-testid="penalty-total">34,60<' in response.text
    assert "49,31" in block[block.index('data-testid="penalty-grand-total"') :]
    assert response.text.count('data-testid="penalty-bases"') == 1


def test_the_pdf_and_the_xlsx_carry_the_ch14_1_block_with_its_totals(accountant, contributor):
    pdf = accountant.get(document_url(contributor, "pdf")).content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = text.replace(NBSP, " ").replace("\u202f", " ")
    for expected in (
        "Расчёт пени по ЖК РФ ст. 155 ч. 14 (плата за жилое помещение",
        "Итого пени по ч. 14: 34,60",
        "Расчёт пени на взносы на капитальный ремонт по ЖК РФ ст. 155 ч. 14.1",
        "Итого пени на взносы на капитальный ремонт (ч. 14.1): 14,71",
        "Всего пени: 49,31",
        "с 16.04.2026 по 31.08.2026",
    ):
        assert expected in text, expected
    workbook = accountant.get(document_url(contributor, "xlsx")).content
    rows = list(load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True))
    totals = [
        (row[0], D(str(row[-1]))) for row in rows if str(row[0]).startswith(("Итого", "Всего"))
    ]
    assert totals == [
        ("Итого за март 2026", D("34.60")),
        ("Итого пени по ч. 14", D("34.60")),
        ("Итого за март 2026", D("14.71")),
        ("Итого пени на взносы на капитальный ремонт (ч. 14.1)", D("14.71")),
        ("Всего пени", D("49.31")),
    ]
    repair_rows = [row for row in rows if row[8] == REPAIR_CAP]
    assert [(row[3], row[7]) for row in repair_rows][:2] == [(15, "1/300"), (10, "1/300")]
