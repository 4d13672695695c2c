"""Pages and documents as the demo shows them (ЛС 1000154 of the seed, 24.11.2026). The demo
is loaded once for the module (tests/conftest.py ``demo_world``): every test here asks for it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kabinet.billing.explanation import explain_charge
from kabinet.billing.models import Charge, Penalty, PeriodStatus
from kabinet.billing.penalty_statement import penalty_statement
from kabinet.housing.models import PersonalAccount
from kabinet.months import add_months, first_of_month
from kabinet.users.models import User
from tests.factories import AccountLinkFactory, PersonalAccountFactory
from tests.test_account_pages import NBSP, text_of
from tests.test_charges_pages import charges_url
from tests.test_payments_page import payments_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_account(demo_world):
    return PersonalAccount.objects.get(number="1000154")


@pytest.fixture
def demo_client(client, demo_world):
    """The demo resident signed in."""
    client.force_login(User.objects.get(username="demo"))
    return client


def test_card_shows_the_seed_account(demo_client, seed_account):
    page = text_of(demo_client.get(reverse("portal:account", args=[seed_account.pk])))
    for text in [
        "ЛС № 1000154",
        "Муравьев Сергей Иванович",
        'ОАО "Камал"',
        "ул. Гражданская, д. 12, кв. 154",
        "Площадь помещения",
        "54,00 м²",
        "Тип",
        "Муниципальная",
        f"Долг: 6{NBSP}889,37",
        "Начисления за октябрь 2026 года",
    ]:
        assert text in page, text


def test_card_table_has_the_seed_columns_services_and_a_bold_total(demo_client, seed_account):
    content = demo_client.get(reverse("portal:account", args=[seed_account.pk])).content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', content)
    assert headers == [
        "Услуга",
        "Единица измерения",
        "Тариф",
        "Объем",
        "Начислено",
        "Перерасчет",
        "Итого начислено",
    ]
    services = re.findall(r'<th scope="row" class="fw-normal">([^<]+)<a class="kb-explain', content)
    assert services[:3] == ["Ремонт жилья", "Содержание жилья", "Найм жилья"]
    assert "Отопление" in services
    assert re.search(r'<tr class="fw-bold">\s*<th scope="row">Итого</th>', content)
    assert '<td data-label="Перерасчет" class="text-end">—</td>' in content


def test_home_lists_every_linked_account_with_its_debt(demo_client, seed_account):
    user = User.objects.get(username="demo")
    second = PersonalAccountFactory(premise__house__organization__name="ООО Вторая")
    AccountLinkFactory(user=user, account=second)
    page = text_of(demo_client.get(reverse("portal:home")))
    assert "ЛС № 1000154" in page
    assert f"Долг: 6{NBSP}889,37{NBSP}₽" in page
    assert f"ЛС № {second.number}" in page
    assert "ООО Вторая" in page
    assert "Задолженности нет" in page


def test_help_box_stays_closed_once_closed(demo_client):
    assert "Справка." in text_of(demo_client.get(reverse("portal:home")))
    demo_client.post(reverse("portal:dismiss_help"))
    assert "Справка." not in text_of(demo_client.get(reverse("portal:home")))
    assert User.objects.get(username="demo").help_dismissed


def test_payments_default_to_the_last_twelve_months_and_end_with_the_debt(
    demo_client, seed_account
):
    response = demo_client.get(payments_url(seed_account))
    ledger = response.context["ledger"]
    current = first_of_month(timezone.localdate())

    assert (ledger.first_month, ledger.last_month) == (add_months(current, -11), current)
    assert len(ledger.months) == 12
    assert ledger.closing == Decimal("6889.37")
    assert ledger.closing == (
        ledger.opening + ledger.charged + ledger.recalculation + ledger.penalties - ledger.paid
    )
    page = text_of(response)
    assert "Период отображения" in page
    assert "Движение финансов" in page
    assert f"долг 6{NBSP}889,37{NBSP}₽" in page
    assert "Квитанция" in page


@pytest.mark.parametrize("months", [1, 3, 6, 12])
def test_payments_quick_choices(demo_client, seed_account, months):
    response = demo_client.get(payments_url(seed_account, months=months))
    ledger = response.context["ledger"]
    assert len(ledger.months) == months
    assert ledger.last_month == first_of_month(timezone.localdate())
    assert f'aria-current="true" href="?months={months}"' in response.text


def test_payments_page_links_to_online_payment(demo_client, seed_account):
    response = demo_client.get(payments_url(seed_account))
    assert reverse("portal:pay", args=[seed_account.pk]) in response.text


def test_demo_resident_pays_the_seed_debt(demo_client, seed_account):
    response = demo_client.get(charges_url(seed_account))
    assert response.context["receipt"].to_pay == Decimal("6889.37")
    assert f"6{NBSP}889,37" in text_of(response)


def test_the_penalty_statement_agrees_with_what_the_monthly_runs_stored(seed_account):
    """The demo: twelve months calculated and closed by the billing run. Over the same days
    the statement has the stored lines, kopeck for kopeck."""
    account = seed_account
    stored = Penalty.objects.filter(account=account, period__status=PeriodStatus.CLOSED)
    last = max(line.date_to for line in stored)
    first = min(line.period.month for line in stored.select_related("period"))
    statement = penalty_statement(account, to=last)
    ours = sorted(
        (line.debt_month, line.first, line.last, line.debt, line.rate, line.fraction, line.rule,
         line.amount)
        for line in statement.lines
        if line.first >= first
    )  # fmt: skip
    theirs = sorted(
        (line.debt_month, line.date_from, line.date_to, line.debt, line.rate, line.fraction,
         line.rule, line.amount)
        for line in stored
    )  # fmt: skip
    assert ours == theirs
    assert len(theirs) > 3


def test_card_explains_each_line_by_the_figures_the_run_stored(demo_client, seed_account):
    """Each line of the card's table opens «Как рассчитано», which prints the inputs the run
    stored (the area, the persons and the normative, the meters' readings, the house's ОДН
    figures) in steps adding up to the stored amount."""
    card = demo_client.get(reverse("portal:account", args=[seed_account.pk])).content.decode()
    lines = Charge.objects.published().filter(
        account=seed_account, period__month=datetime.date(2026, 10, 1)
    ).select_related("service", "period", "account__premise")  # fmt: skip
    told = set()
    for charge in lines:
        url = reverse("portal:charge_explanation",
                      args=[seed_account.pk, 2026, 10, charge.service_id])  # fmt: skip
        assert url in card.replace("&amp;", "&"), charge.service.name
        explanation = explain_charge(charge)
        amounts = [step.amount for step in explanation.steps if step.amount is not None]
        assert explanation.total == charge.total, charge.service.name
        if charge.inputs is None:  # penalties, an instalment: told on their own pages
            continue
        assert amounts[-1 if not charge.recalculation else -3] == charge.charged
        page = text_of(demo_client.get(url))
        if "meters" in charge.inputs:
            meter = charge.inputs["meters"][0]
            assert f"Прибор учёта № {meter['serial']}" in page
            told.add("meters")
        if "persons" in charge.inputs:
            assert f"× {charge.inputs['persons']} чел." in page
            told.add("persons")
        if charge.basis == "area":
            assert "Площадь помещения 54,00 м²" in page
            told.add("area")
        if charge.common_charged:
            assert "Доля помещения:" in page
            assert "площадь всех помещений дома" in page
            told.add("common")
    assert {"area", "meters", "common"} <= told
