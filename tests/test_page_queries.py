"""The cost of every resident page in database queries is fixed: it does not grow with the
account's history (months of charges, payments, readings) nor with the number of linked
accounts. Each page is asked in a small world and in a big one and must cost the same."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kabinet.billing.models import CalculationMethod
from kabinet.billing.selectors import (
    account_balance,
    capital_repair_balance,
    card_balances,
    charge_table,
    latest_charge_table,
    latest_charged_period,
)
from kabinet.data_versions import bump_accounts
from kabinet.months import add_months
from kabinet.receipts import issuing
from tests.conftest import built_once
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    HouseFactory,
    MeterFactory,
    OrganizationFactory,
    PaymentFactory,
    PeriodFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
    UserFactory,
    make_appeal,
)

pytestmark = pytest.mark.django_db

LAST = datetime.date(2026, 10, 1)
ISSUED = add_months(LAST, -1)  # the month whose documents the worlds issue


def build_world(months: int, accounts: int):
    """A resident with ``accounts`` linked accounts in one house, each charged for three
    services (one by meter, with a reading every month) and paying every month for ``months``
    closed months up to October 2026, with a penalty line and an appeal. Returns the user and
    the first account."""
    organization = OrganizationFactory()
    house = HouseFactory(organization=organization)
    services = [
        ServiceFactory(organization=organization, name="Содержание жилья", position=1),
        ServiceFactory(
            organization=organization, name="Холодная вода", unit="куб м",
            method=CalculationMethod.METER, position=2,
        ),
        ServiceFactory(
            organization=organization, name="Взнос на капитальный ремонт",
            method=CalculationMethod.CAPITAL_REPAIR, position=3,
        ),
    ]  # fmt: skip
    for service in services:
        TariffFactory(service=service, valid_from=datetime.date(2020, 1, 1))
    penalty = ServiceFactory(
        organization=organization, name="Пени", method=CalculationMethod.PENALTY, position=9
    )
    periods = [
        PeriodFactory(organization=organization, month=add_months(LAST, -n))
        for n in reversed(range(months))
    ]
    user = UserFactory()
    linked = []
    for _ in range(accounts):
        link = AccountLinkFactory(
            user=user, account__premise__house=house, account__organization=organization
        )
        account = link.account
        linked.append(account)
        meter = MeterFactory(account=account)
        for n, period in enumerate(periods):
            for service in services:
                ChargeFactory(account=account, service=service, period=period)
            if n:
                ChargeFactory(
                    account=account, service=penalty, period=period, charged=Decimal("3.10"),
                    tariff=Decimal("0"), volume=Decimal("0"),
                )  # fmt: skip
            PaymentFactory(
                account=account, paid_on=period.month + datetime.timedelta(days=14),
                amount=Decimal("1900.00"),
            )  # fmt: skip
            ReadingFactory(
                meter=meter, period=period.month, taken_on=period.month + datetime.timedelta(20),
                value=Decimal(100 + 3 * n),
            )  # fmt: skip
        make_appeal(user, account)
        # the month before the last has its document issued («Начисления» shows it; the last
        # month's is issued when first asked for, as the receipt's tests below want)
        issuing.issued_document(account, periods[-2])
    return user, linked[0]


SMALL = (2, 1)  # months of history, linked accounts
BIG = (24, 5)


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    """The small world and the big one, built once for the module."""
    with built_once(django_db_blocker):
        yield {size: build_world(*size) for size in (SMALL, BIG)}


def _account_pages(account):
    args = [account.pk]
    month = [account.pk, LAST.year, LAST.month]
    return {
        "card": reverse("portal:account", args=args),
        "charges": reverse("portal:account_charges", args=args) + f"?period={ISSUED:%Y-%m}",
        "receipt": reverse("portal:receipt", args=month),
        "receipt_pdf": reverse("portal:receipt_pdf", args=month),
        "meters": reverse("portal:account_meters", args=args),
        "payments": reverse("portal:account_payments", args=args),
        "penalties": reverse("portal:account_penalties", args=args),
        "tariffs": reverse("portal:account_tariffs", args=args),
        "account_appeals": reverse("portal:account_appeals", args=args),
    }


ACCOUNT_PAGES = [
    "card", "charges", "receipt", "receipt_pdf", "meters", "payments", "penalties", "tariffs",
    "account_appeals",
]  # fmt: skip
USER_PAGES = {"home": "portal:home", "profile": "portal:profile", "appeals": "portal:appeals"}


def _queries(client, user, url):
    client.force_login(user)
    client.get(url)  # the first request warms what is cached per process, records a delivery
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("page", [*USER_PAGES, *ACCOUNT_PAGES])
def test_a_page_costs_the_same_whatever_the_history_and_the_accounts(client, worlds, page):
    counts = {}
    for size, (user, account) in worlds.items():
        url = reverse(USER_PAGES[page]) if page in USER_PAGES else _account_pages(account)[page]
        response, counts[size] = _queries(client, user, url)
        if page == "charges":  # the worlds are what they claim: the history is all shown
            assert len(response.context["history"]) == size[0]
        if page == "card":
            assert len(response.context["other_accounts"]) == size[1] - 1
    small, big = counts[SMALL], counts[BIG]
    assert len(big) == len(small), "\n".join(big)


# What the session, the user and the linked accounts cost every account page, and what the
# pages whose figures are cached (``portal.figures``) add to them then.
# The card: the house's capital repair fund (the contribution's payee); «Платежи»: the user's
# online payments (their parts, when there are any, one more); «Начисления»: nothing (its
# months, its history and the month's issued document all come from the cache).
CACHED_PAGES = {"card": 1, "payments": 1, "charges": 0}


@pytest.mark.parametrize("page", CACHED_PAGES)
def test_a_cached_page_costs_the_same_read_anew_and_little_from_the_cache(client, worlds, page):
    anew, cached = {}, {}
    for size, (user, account) in worlds.items():
        url = _account_pages(account)[page]
        _queries(client, user, url)
        bump_accounts([account.pk])  # a payment arrived: the figures are read anew
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        anew[size] = [query["sql"] for query in queries.captured_queries]
        _response, cached[size] = _queries(client, user, url)
    assert len(anew[BIG]) == len(anew[SMALL]), "\n".join(anew[BIG])
    assert len(cached[BIG]) == len(cached[SMALL]) == 3 + CACHED_PAGES[page], "\n".join(cached[BIG])


def test_the_cards_balances_are_the_separate_sums(worlds):
    _user, account = worlds[BIG]
    PaymentFactory(account=account, amount=Decimal("500.00"), capital_repair=True)

    figures = card_balances(account)

    assert figures == {
        "balance": account_balance(account),
        "capital_repair": capital_repair_balance(account),
    }
    assert figures["capital_repair"] is not None


def test_an_account_without_capital_repair_shows_no_such_line():
    account = ChargeFactory(charged=Decimal("100.00")).account

    assert card_balances(account) == {"balance": Decimal("100.00"), "capital_repair": None}


def test_the_receipt_pdf_is_drawn_once_and_then_served_as_stored(client, worlds, monkeypatch):
    user, account = worlds[SMALL]
    drawn = []
    real_pdf = issuing.receipt_pdf
    monkeypatch.setattr(issuing, "receipt_pdf", lambda data: drawn.append(data) or real_pdf(data))
    client.force_login(user)
    url = _account_pages(account)["receipt_pdf"]

    first = b"".join(client.get(url).streaming_content)
    again = b"".join(client.get(url).streaming_content)
    # a payment of the month recorded late: the issued document stays as it was issued
    PaymentFactory(account=account, paid_on=LAST + datetime.timedelta(days=20))
    later = b"".join(client.get(url).streaming_content)

    assert first.startswith(b"%PDF")
    assert again == first
    assert later == first
    assert len(drawn) == 1  # drawn when first asked for, never again


def test_the_cards_table_is_the_latest_months_in_one_query(worlds, django_assert_num_queries):
    _user, account = worlds[BIG]
    expected = charge_table(account, latest_charged_period(account))

    with django_assert_num_queries(1):
        table = latest_charge_table(account)

    assert table.period == expected.period
    assert table.period.month == LAST
    assert table.lines == expected.lines
    assert (table.charged, table.recalculation, table.total) == (
        expected.charged, expected.recalculation, expected.total,
    )  # fmt: skip


def test_an_account_never_charged_has_an_empty_table():
    account = AccountLinkFactory().account

    assert latest_charge_table(account).period is None
    assert latest_charge_table(account).lines == []
