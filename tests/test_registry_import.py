"""Bank payment registries: every row checked, a bad file imports nothing, nothing twice."""

import contextlib
import datetime
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kabinet.payments.models import Payment, PaymentRegistry, PaymentSource, RegistryStatus
from kabinet.payments.registry import crediting
from kabinet.payments.registry.crediting import import_registry
from kabinet.payments.registry.formats import parse_registry
from kabinet.payments.registry.uploads import DuplicateRegistry, import_good_rows, upload_registry
from kabinet.tabular import TableError
from tests.factories import OrganizationFactory, PersonalAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
TODAY = datetime.date(2026, 11, 26)

# The full Sberbank line: date;time;branch;office;operation;ЛС;ФИО;address;period;amount;
# transfer;commission — and the closing summary «=count;amount;transfer;commission;…».
SBERBANK = """\
24-11-2026;10-15-32;8610;8610/0123;120345;1000154;МУРАВЬЕВ СЕРГЕЙ ИВАНОВИЧ;Г КАЗАНЬ, УЛ ГРАЖДАНСКАЯ, Д 12, КВ 154;102026;6889.37;6820.48;68.89;
24-11-2026;11-02-07;8610;8610/0456;120346;1000155;НИКИТИНА ЕЛЕНА АНДРЕЕВНА;Г КАЗАНЬ, УЛ ГРАЖДАНСКАЯ, Д 12, КВ 155;102026;2345.67;2322.21;23.46;
25-11-2026;09-00-00;8610;8610/0123;120401;1000154;МУРАВЬЕВ СЕРГЕЙ ИВАНОВИЧ;Г КАЗАНЬ, УЛ ГРАЖДАНСКАЯ, Д 12, КВ 154;112026;100.00;99.00;1.00;
=3;9335.04;9241.69;93.35;4512;25-11-2026
"""  # noqa: E501


@pytest.fixture
def organization():
    return OrganizationFactory()


@pytest.fixture
def accounts(organization):
    return {
        number: PersonalAccountFactory(premise__house__organization=organization, number=number)
        for number in ("1000154", "1000155")
    }


def run_import(organization, text, name="reestr.txt", encoding="cp1251", good_rows_only=False):
    """Upload a registry as staff do and run its import (the background task) at once."""
    data = text if isinstance(text, bytes) else text.encode(encoding)
    registry = upload_registry(organization, name, data, None, good_rows_only=good_rows_only)
    import_registry(registry.pk)
    registry.refresh_from_db()
    return registry


def test_sberbank_registry_in_cp1251_is_credited_row_by_row(organization, accounts):
    registry = run_import(organization, SBERBANK)

    assert registry.status == RegistryStatus.IMPORTED
    assert registry.format == "sberbank"
    assert (registry.rows_total, registry.rows_credited, registry.rows_rejected) == (3, 3, 0)
    assert registry.amount_credited == Decimal("9335.04")
    assert registry.commission == Decimal("93.35")
    assert (registry.declared_count, registry.declared_amount) == (3, Decimal("9335.04"))
    payment = Payment.objects.get(account=accounts["1000155"])
    assert payment.source == PaymentSource.BANK
    assert payment.paid_on == datetime.date(2026, 11, 24)
    assert payment.period == datetime.date(2026, 10, 1)
    assert payment.amount == Decimal("2345.67")
    assert payment.commission == Decimal("23.46")
    assert payment.payer_name == "НИКИТИНА ЕЛЕНА АНДРЕЕВНА"
    assert payment.registry == registry
    assert [(d.day.day, d.count, d.amount) for d in registry.days.order_by("day")] == [
        (24, 2, Decimal("9235.04")),
        (25, 1, Decimal("100.00")),
    ]
    assert registry.job.status == "succeeded"


def test_short_lines_in_utf8_with_header_lines_and_a_period_with_a_dot(organization, accounts):
    text = (
        "#FILESUM 1500,50\n"
        "#TYPE 7\n"
        "20.11.2026;1000154;Муравьев С. И.;ул. Гражданская, д. 12, кв. 154;10.2026;1 000,50;10,00\n"
        "21/11/2026;1000155;Никитина Е. А.;ул. Гражданская, д. 12, кв. 155;1026;500;\n"
    )
    registry = run_import(organization, text, encoding="utf-8")

    assert registry.status == RegistryStatus.IMPORTED
    assert sorted(Payment.objects.values_list("amount", "period")) == [
        (Decimal("500.00"), datetime.date(2026, 10, 1)),
        (Decimal("1000.50"), datetime.date(2026, 10, 1)),
    ]


def test_a_file_with_bad_rows_imports_nothing_and_names_each_bad_row(organization, accounts):
    text = SBERBANK.replace("1000155;", "9999999;").replace("100.00;99.00", "сто;99.00")
    text = text.replace("24-11-2026;10-15-32", "31-02-2026;10-15-32")
    registry = run_import(organization, text)

    assert registry.status == RegistryStatus.REJECTED
    assert Payment.objects.count() == 0
    assert registry.errors == [
        "Строка 1: неверная дата платежа «31-02-2026» (нужно ДД.ММ.ГГГГ)",
        "Строка 2: неизвестный лицевой счёт «9999999»",
        "Строка 3: сумма «сто» — не число",
    ]
    assert registry.rows_rejected == 3
    assert not registry.days.exists()


def test_staff_may_credit_only_the_good_rows(organization, accounts):
    text = SBERBANK.replace("1000155;", "9999999;").replace("=3;9335.04", "=3;9335.04")
    registry = run_import(organization, text, good_rows_only=True)

    assert registry.status == RegistryStatus.PARTIAL
    assert registry.rows_credited == 2
    assert registry.errors == ["Строка 2: неизвестный лицевой счёт «9999999»"]
    # The bank did receive the uncredited row's money: reconciliation must show it.
    assert sum(day.amount for day in registry.days.all()) == Decimal("9335.04")


def test_a_rejected_registry_can_have_its_good_rows_credited_later(organization, accounts):
    registry = run_import(organization, SBERBANK.replace("1000155;", "9999999;"))
    assert registry.status == RegistryStatus.REJECTED

    import_good_rows(registry, None)
    import_registry(registry.pk)
    registry.refresh_from_db()

    assert registry.status == RegistryStatus.PARTIAL
    assert Payment.objects.count() == 2


def test_the_same_file_is_refused_and_names_the_first_upload(organization, accounts):
    data = SBERBANK.encode("cp1251")
    first = upload_registry(organization, "a.txt", data, None)
    with pytest.raises(DuplicateRegistry) as refused:
        upload_registry(organization, "copy-of-a.txt", data, None)
    assert refused.value.registry == first
    assert "уже загружен" in str(refused.value)


def test_the_same_payments_in_another_file_are_not_credited_twice(organization, accounts):
    run_import(organization, SBERBANK)
    overlapping = (
        SBERBANK.splitlines()[2]
        + "\n"
        + SBERBANK.splitlines()[2].replace("120401;1000154", "120999;1000155")
    )
    second = run_import(organization, overlapping, name="next.txt")

    assert (second.rows_credited, second.rows_duplicate) == (1, 1)
    assert Payment.objects.count() == 4
    assert sum(day.count for day in second.days.all()) == 1


def test_without_an_operation_number_identical_rows_of_one_file_are_two_payments(
    organization, accounts
):
    row = "20.11.2026;1000154;Муравьев С. И.;;102026;500,00;0\n"
    first = run_import(organization, row * 2, encoding="utf-8")
    again = run_import(organization, row, name="again.txt", encoding="utf-8")

    assert first.rows_credited == 2
    assert (again.rows_credited, again.rows_duplicate) == (0, 1)
    assert Payment.objects.count() == 2


def test_a_summary_line_that_does_not_agree_is_an_error(organization, accounts):
    registry = run_import(organization, SBERBANK.replace("=3;9335.04", "=4;9400.00"))

    assert registry.status == RegistryStatus.REJECTED
    assert registry.errors == [
        "Строка 4: итог не сходится: по итоговой строке платежей 4, а в файле 3; "
        "итоговая сумма 9\u00a0400,00\u00a0₽, а строки дают 9\u00a0335,04\u00a0₽"
    ]


def test_a_payment_dated_in_the_future_is_an_error(organization, accounts):
    future = datetime.date.today() + datetime.timedelta(days=3)
    row = f"{future:%d.%m.%Y};1000154;Муравьев;;;500,00;0\n"
    registry = run_import(organization, row, encoding="utf-8")
    assert registry.errors == [f"Строка 1: дата платежа {future:%d.%m.%Y} ещё не наступила"]


def test_an_account_of_another_organisation_is_unknown(organization, accounts):
    other = PersonalAccountFactory(number="7777777")
    registry = run_import(organization, "20.11.2026;7777777;Чужой;;;500,00;0\n", encoding="utf-8")
    assert registry.errors == ["Строка 1: неизвестный лицевой счёт «7777777»"]
    assert not other.payments.exists()


def test_csv_table_with_a_header_and_an_operation_number(organization, accounts):
    text = (
        "Дата;Лицевой счёт;Плательщик;Сумма;Комиссия;Номер операции\n"
        "2026-11-20;1000154;Муравьев С. И.;1500,00;15,00;A-1\n"
        "2026-11-20;1000154;Муравьев С. И.;1500,00;15,00;A-2\n"
    )
    registry = run_import(organization, text, name="bank.csv", encoding="utf-8")

    assert registry.format == "table"
    assert registry.rows_credited == 2
    assert registry.commission == Decimal("30.00")


def test_xlsx_table(organization, accounts):
    workbook = Workbook()
    workbook.active.append(["Дата платежа", "ЛС", "Сумма", "Период"])
    workbook.active.append([datetime.datetime(2026, 11, 20), 1000155, 2345.67, "11.2026"])
    workbook.active.append(["Итого", None, 2345.67, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    registry = run_import(organization, buffer.getvalue(), name="bank.xlsx")

    assert registry.status == RegistryStatus.IMPORTED
    assert Payment.objects.get().amount == Decimal("2345.67")


def test_a_table_without_the_amount_column_is_not_read(organization, accounts):
    registry = run_import(organization, "Дата;ЛС\n2026-11-20;1000154\n", encoding="utf-8")
    assert registry.status == RegistryStatus.FAILED
    assert registry.errors == ["В файле нет столбца «сумма»."]
    assert registry.job.status == "failed"


def test_an_empty_registry_is_not_read():
    with pytest.raises(TableError, match="нет ни одного платежа"):
        parse_registry(b"=0;0.00\n", TODAY)


registry_rows = st.lists(
    st.tuples(
        st.integers(1, 20),  # day of November
        st.sampled_from(["1000154", "1000155"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
        st.integers(1, 999999),  # the bank's operation number
    ),
    min_size=1,
    max_size=15,
    unique_by=lambda row: row[3],
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(rows=registry_rows, cuts=st.lists(st.integers(0, 15), min_size=2, max_size=4))
def test_overlapping_registries_credit_every_payment_exactly_once(organization, accounts, rows,
                                                                  cuts):  # fmt: skip
    Payment.objects.all().delete()
    PaymentRegistry.objects.all().delete()
    lines = [
        f"{day:02d}-11-2026;12-00-00;8610;8610/1;{operation};{account};ПЛАТЕЛЬЩИК;;102026;"
        f"{amount};{amount};0.00"
        for day, account, amount, operation in rows
    ]
    # Files cover overlapping stretches of the same bank day-book, in any order.
    for index, cut in enumerate(cuts):
        start, end = sorted((cut % len(lines), (cut * 7 + index) % (len(lines) + 1)))
        with contextlib.suppress(DuplicateRegistry):  # the same file: refused
            run_import(organization, "\n".join(lines[start : end + 1]) + "\n", name=f"{index}")
    with contextlib.suppress(DuplicateRegistry):
        run_import(organization, "\n".join(lines) + "\n", name="all.txt")

    assert Payment.objects.count() == len(rows)
    assert sum(Payment.objects.values_list("amount", flat=True)) == sum(row[2] for row in rows)


def test_full_lines_without_a_commission_are_read(organization, accounts):
    row = "24.11.2026;10:15:32;8610;8610/0123;77;1000154;МУРАВЬЕВ С И;Г КАЗАНЬ;102026;500.00\n"
    registry = run_import(organization, row)
    assert registry.status == RegistryStatus.IMPORTED
    assert Payment.objects.get().commission == 0


def test_an_import_that_breaks_credits_nothing_and_says_so(organization, accounts, monkeypatch):
    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(crediting, "_record_days", broken)
    registry = upload_registry(organization, "r.txt", SBERBANK.encode("cp1251"), None)
    with pytest.raises(RuntimeError):
        import_registry(registry.pk)

    registry.refresh_from_db()
    assert registry.status == RegistryStatus.FAILED
    assert "внутренней ошибки" in registry.errors[0]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("text", ["1026", "102026", "10.2026", "10/26", "2026-10", "2026-10-01"])
def test_periods_as_banks_and_spreadsheets_write_them(text):
    row = f"20.11.2026;1000154;Иванов;;{text};500,00;0\n"
    parsed = parse_registry(row.encode(), TODAY)
    assert parsed.rows[0].period == datetime.date(2026, 10, 1)


def test_a_wrong_period_is_named():
    parsed = parse_registry("20.11.2026;1000154;Иванов;;13.2026;500,00;0\n".encode(), TODAY)
    assert [str(error) for error in parsed.errors] == [
        "Строка 1: неверный период «13.2026» (нужно ММГГГГ или ММ.ГГГГ)"
    ]
