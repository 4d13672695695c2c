"""Importing a period's charges from CSV/XLSX: every row checked first, a bad file names its bad
rows and imports nothing, a good file replaces the period's lines, the same file twice changes
nothing the second time."""

import datetime
from decimal import Decimal

import pytest

from kabinet.billing.imports import TARIFF, import_charges, parse_number, read_import
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    Charge,
    ChargeBasis,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
)
from kabinet.tabular import TableError
from tests.factories import (
    ChargeFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
)
from tests.test_tabular import xlsx

pytestmark = pytest.mark.django_db
D = Decimal
OCTOBER, NOVEMBER = datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)
HEADER = "ЛС;Услуга;Тариф;Объём;Начислено;Перерасчёт\n"
GOOD = (
    HEADER
    + "100;Содержание жилья;18,40;54;993,60;\n"
    + "100;Холодная вода;45.1234;3,5;157,93;-12,50\n"
    + "200;содержание  жилья;18,40;60,25;1 108,60;0\n"
)


@pytest.fixture
def organization():
    organization = OrganizationFactory(name="УК Загрузка")
    for number in ("100", "200"):
        PersonalAccountFactory(premise__house__organization=organization, number=number)
    for name in ("Содержание жилья", "Холодная вода"):
        ServiceFactory(organization=organization, name=name)
    return organization


@pytest.fixture
def period(organization):
    return PeriodFactory(organization=organization, month=NOVEMBER, status=PeriodStatus.OPEN)


def run(text, period):
    return import_charges(read_import(text.encode()), period)


def lines(period):
    return {
        (c.account.number, c.service.name): (c.tariff, c.volume, c.charged, c.recalculation,
                                              c.total, c.basis)
        for c in Charge.objects.filter(period=period).select_related("account", "service")
    }  # fmt: skip


def test_a_good_file_replaces_the_periods_lines(organization, period):
    stale = ChargeFactory(account__number="300", account__premise__house__organization=organization,
                          period=period)  # fmt: skip
    result = run(GOOD, period)
    assert result.errors == []
    assert lines(period) == {
        ("100", "Содержание жилья"): (D("18.4"), D("54"), D("993.60"), D("0"), D("993.60"),
                                      ChargeBasis.IMPORT),
        ("100", "Холодная вода"): (D("45.1234"), D("3.5"), D("157.93"), D("-12.50"),
                                   D("145.43"), ChargeBasis.IMPORT),
        ("200", "Содержание жилья"): (D("18.4"), D("60.25"), D("1108.60"), D("0"),
                                      D("1108.60"), ChargeBasis.IMPORT),
    }  # fmt: skip
    assert not Charge.objects.filter(pk=stale.pk).exists()
    period.refresh_from_db()
    assert period.calculated_at is not None
    assert result.summary() == {
        "Лицевых счетов": 2,
        "Строк начислений": 3,
        "Начислено, ₽": "2\u00a0260,13",
        "Перерасчёты, ₽": "-12,50",
        "Итого начислено, ₽": "2\u00a0247,63",
    }


def test_the_same_file_twice_changes_nothing_the_second_time(organization, period):
    run(GOOD, period)
    before = lines(period)
    result = run(GOOD, period)
    assert result.errors == []
    assert lines(period) == before
    assert Charge.objects.filter(period=period).count() == 3


def test_bad_rows_are_named_and_nothing_is_imported(organization, period):
    kept = ChargeFactory(account=organization.accounts.get(number="100"), period=period,
                         service=organization.services.get(name="Холодная вода"))  # fmt: skip
    text = (
        HEADER
        + "100;Содержание жилья;18,40;54;993,60;\n"
        + "999;Содержание жилья;18,40;54;993,60;\n"
        + "100;Газ;1;1;1;\n"
        + "200;Холодная вода;десять;3,5;157,935;\n"
        + "200;Содержание жилья;-1;1;;\n"
        + "100;Содержание жилья;18,40;54;993,60;\n"
    )
    result = run(text, period)
    assert [str(error) for error in result.errors] == [
        "Строка 3: лицевой счёт № 999 не найден.",
        "Строка 4: услуги «Газ» нет у организации.",
        "Строка 5: тариф «десять» — не число; начислено «157,935» — больше 2 знаков после запятой.",
        "Строка 6: тариф «-1» меньше нуля; нет суммы «Начислено».",
        "Строка 7: ЛС № 100 и услуга «Содержание жилья» уже есть в строке 2.",
    ]
    assert list(Charge.objects.filter(period=period)) == [kept]
    period.refresh_from_db()
    assert period.calculated_at is None


def test_an_xlsx_file_is_imported_with_its_numbers(organization, period):
    data = xlsx([
        ["ЛС", "Услуга", "Тариф", "Объём", "Начислено"],
        [100, "Холодная вода", 45.1234, 3.5, 157.93],
        ["200", "Содержание жилья", 18.4, 60.25, 1108.6],
    ])  # fmt: skip
    result = import_charges(read_import(data), period)
    assert result.errors == []
    assert lines(period) == {
        ("100", "Холодная вода"): (D("45.1234"), D("3.5"), D("157.93"), D("0"), D("157.93"),
                                   ChargeBasis.IMPORT),
        ("200", "Содержание жилья"): (D("18.4"), D("60.25"), D("1108.60"), D("0"),
                                      D("1108.60"), ChargeBasis.IMPORT),
    }  # fmt: skip


def test_a_closed_period_is_refused(organization):
    closed = PeriodFactory(organization=organization, month=OCTOBER, status=PeriodStatus.CLOSED)
    with pytest.raises(BillingError, match="закрыт"):
        run(GOOD, closed)
    assert not Charge.objects.filter(period=closed).exists()


def test_a_file_without_a_needed_column_is_refused():
    with pytest.raises(TableError, match="«Начислено»"):
        read_import("ЛС;Услуга;Тариф;Объём\n100;Газ;1;1\n".encode())


def test_recalculations_of_the_period_are_added_as_a_run_adds_them(organization, period):
    account = organization.accounts.get(number="100")
    water = organization.services.get(name="Холодная вода")
    closed = PeriodFactory(organization=organization, month=OCTOBER, status=PeriodStatus.CLOSED)
    Recalculation.objects.create(
        period=period, corrected_period=closed, account=account, service=water,
        amount=D("-7.50"), kind=RecalculationKind.OTHER, reason="Акт № 3",
    )  # fmt: skip
    run(GOOD, period)
    assert lines(period)["100", "Холодная вода"][3:5] == (D("-20.00"), D("137.93"))


def test_numbers_as_people_and_spreadsheets_write_them():
    assert parse_number("1 234,5678", TARIFF) == D("1234.5678")
    assert parse_number("1E+3", TARIFF) == D("1000")
    with pytest.raises(ValueError, match="больше 4 знаков"):
        parse_number("1,23456", TARIFF)
    with pytest.raises(ValueError, match="слишком большое"):
        parse_number("12345678901", TARIFF)
