"""A payment made by the receipt's QR code (ГОСТ Р 56042-2014: PersAcc, PaymPeriod, Purpose)
and reported by the bank's registry only in its purpose settles the month it names."""

import datetime
from decimal import Decimal

import pytest

from kabinet.billing.selectors import unpaid_months
from kabinet.payments.models import Payment
from kabinet.payments.registry.crediting import import_registry
from kabinet.payments.registry.formats import parse_registry
from kabinet.payments.registry.purpose import read_purpose
from kabinet.payments.registry.uploads import upload_registry
from kabinet.receipts.payees import payment_code
from tests.factories import ChargeFactory, PeriodFactory, PersonalAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
SEPTEMBER, OCTOBER = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Оплата ЖКУ за октябрь 2026, ЛС 5000001", ("5000001", OCTOBER)),
        ("PersAcc=5000001|PaymPeriod=092026|Purpose=Оплата ЖКУ", ("5000001", SEPTEMBER)),
        ("persacc=5000001;paymperiod=102026", ("5000001", OCTOBER)),
        ("Квартплата л/с № 5000001 за 09.2026", ("5000001", SEPTEMBER)),
        ("PaymPeriod=132026", ("", None)),  # no 13th month
        ("Оплата по договору", ("", None)),
    ],
)
def test_the_purpose_names_the_account_and_the_month(text, expected):
    assert read_purpose(text) == expected


def test_the_receipts_own_qr_string_is_read_back():
    account = PersonalAccountFactory(number="5000077")
    account.organization.bank_short_name = "ПАО Сбербанк"
    payload = payment_code(
        account.organization, account.number, Decimal("100.00"),
        f"Оплата ЖКУ за октябрь 2026, ЛС {account.number}", OCTOBER,
    )  # fmt: skip
    assert read_purpose(payload) == ("5000077", OCTOBER)


def test_a_registry_row_paid_by_qr_settles_the_named_month():
    account = PersonalAccountFactory(number="5000001")
    organization = account.organization
    for month in (SEPTEMBER, OCTOBER):
        period = PeriodFactory(organization=organization, month=month)
        ChargeFactory(account=account, period=period, charged=Decimal("1000.00"))
    text = (
        "Дата;Лицевой счёт;Сумма;Назначение платежа\n"
        "2026-11-20;;1000,00;PersAcc=5000001|PaymPeriod=102026|Purpose=Оплата ЖКУ\n"
    )
    parsed = parse_registry(text.encode(), datetime.date(2026, 11, 26))
    assert not parsed.errors
    assert (parsed.rows[0].account_number, parsed.rows[0].period) == ("5000001", OCTOBER)

    registry = upload_registry(organization, "qr.csv", text.encode(), None)
    import_registry(registry.pk)
    payment = Payment.objects.get()
    assert (payment.account, payment.period) == (account, OCTOBER)
    # October is paid off, although September is older: the payment named October.
    assert unpaid_months(account) == [(SEPTEMBER, Decimal("1000.00"))]


def test_the_registrys_own_columns_win_over_the_purpose():
    text = (
        "Дата;Лицевой счёт;Период;Сумма;Назначение\n"
        "2026-11-20;5000002;09.2026;10,00;Оплата ЖКУ за октябрь 2026, ЛС 5000001\n"
    )
    row = parse_registry(text.encode(), datetime.date(2026, 11, 26)).rows[0]
    assert (row.account_number, row.period) == ("5000002", SEPTEMBER)
