"""A bank registry is read as a stream, once (each row checked and sent to be credited, all of
it rolled back when the file is refused), never held whole: what that must not change — errors
named in line order, the first MAX_ERRORS of them, nothing credited from a bad file, a line the
bank repeated credited once, days totalled."""

import datetime
import io
from decimal import Decimal

import pytest

from kabinet.payments.models import Payment, RegistryStatus
from kabinet.payments.registry import crediting
from kabinet.payments.registry.crediting import import_registry
from kabinet.payments.registry.formats import RegistryRow, read_registry
from kabinet.payments.registry.uploads import upload_registry
from kabinet.tabular import TableError
from tests.factories import OrganizationFactory, PersonalAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
TODAY = datetime.date(2026, 11, 26)


@pytest.fixture
def organization():
    organization = OrganizationFactory()
    for number in ("1000154", "1000155"):
        PersonalAccountFactory(premise__house__organization=organization, number=number)
    return organization


def run_import(organization, text: str, name="reestr.txt", good_rows_only=False):
    registry = upload_registry(organization, name, text.encode(), None,
                               good_rows_only=good_rows_only)  # fmt: skip
    import_registry(registry.pk)
    registry.refresh_from_db()
    return registry


def full_line(operation, account="1000154", amount="100.00", day="20-11-2026"):
    return f"{day};10-00-00;8610;8610/1;{operation};{account};И;;102026;{amount};{amount};0.00"


def test_more_errors_than_kept_names_the_first_by_line_and_counts_them_all(organization):
    bad = [full_line(n, account="9999999") for n in range(1, 251)]
    text = "\n".join([*bad, full_line(251), "=252;25100.00"]) + "\n"
    registry = run_import(organization, text)

    assert registry.status == RegistryStatus.REJECTED
    assert not Payment.objects.exists()
    assert len(registry.errors) == crediting.MAX_ERRORS
    assert registry.errors[0] == "Строка 1: неизвестный лицевой счёт «9999999»"
    assert (
        registry.errors[-1] == f"Строка {crediting.MAX_ERRORS}: неизвестный лицевой счёт «9999999»"
    )
    # the summary's disagreement (line 252) is counted, though not among the first named
    assert registry.job.result["Ошибок в файле"] == 251


def test_an_error_of_the_whole_file_found_at_its_end_is_named_in_line_order(organization):
    text = (
        "20.11.2026;1000154;И;;102026;999999999999.99;0\n"
        "20.11.2026;1000154;И;;102026;сто;0\n"
        "20.11.2026;1000155;И;;102026;999999999999.99;1\n"
    )
    registry = run_import(organization, text)

    assert registry.status == RegistryStatus.REJECTED
    assert [error[:9] for error in registry.errors] == ["Строка 1:", "Строка 2:"]
    assert "много для одного реестра" in registry.errors[0]
    assert not Payment.objects.exists()


def test_a_line_the_bank_repeated_in_one_file_is_credited_once(organization):
    text = "\n".join([full_line(7), full_line(7), full_line(8, amount="50.00")]) + "\n"
    registry = run_import(organization, text)

    assert registry.status == RegistryStatus.IMPORTED
    assert (registry.rows_credited, registry.rows_duplicate) == (2, 1)
    assert registry.amount_credited == Decimal("150.00")
    assert [(day.count, day.amount) for day in registry.days.all()] == [(2, Decimal("150.00"))]


def test_identical_rows_without_a_reference_stay_apart(organization):
    row = "20.11.2026;1000154;Муравьев;;102026;500,00;0\n"
    registry = run_import(organization, row * 3)

    assert registry.rows_credited == 3
    assert registry.amount_credited == Decimal("1500.00")


def test_days_count_the_credited_rows_and_the_rows_of_unknown_accounts(organization):
    text = "\n".join([
        full_line(1, day="19-11-2026"),
        full_line(2, account="9999999", amount="30.00", day="19-11-2026"),
        full_line(3, amount="20.00"),
    ]) + "\n"  # fmt: skip
    registry = run_import(organization, text, good_rows_only=True)

    assert registry.status == RegistryStatus.PARTIAL
    assert registry.rows_credited == 2
    assert [(day.day.day, day.count, day.amount) for day in registry.days.order_by("day")] == [
        (19, 2, Decimal("130.00")),
        (20, 1, Decimal("20.00")),
    ]


class NoWholeReads(io.BytesIO):
    """A file that refuses to be read whole: the registry must be read a piece at a time."""

    def read(self, size=-1):
        assert size is not None, "the file was read whole"
        assert size >= 0, "the file was read whole"
        return super().read(size)


@pytest.mark.parametrize(
    "text",
    [
        full_line(1) + "\n" + full_line(2, account="1000155") + "\n=2;200.00\n",
        "Дата;ЛС;Сумма\n2026-11-20;1000154;100,00\n2026-11-20;1000155;200,00\n",
    ],
)
def test_a_registry_is_read_a_piece_at_a_time(text):
    scan, items = read_registry(NoWholeReads(text.encode("cp1251")), TODAY)
    rows = [item for item in items if type(item) is RegistryRow]

    assert [row.account_number for row in rows] == ["1000154", "1000155"]
    assert (scan.lines, scan.rows) == (2, 2)


def test_an_empty_registry_is_refused_when_its_rows_are_read():
    _scan, items = read_registry(io.BytesIO(b"=0;0.00\n"), TODAY)
    with pytest.raises(TableError, match="нет ни одного платежа"):
        list(items)


def test_a_bad_last_row_credits_nothing_of_the_rows_before_it(organization):
    text = "\n".join([full_line(1), full_line(2), full_line(3, account="9999999")]) + "\n"
    registry = run_import(organization, text)

    assert registry.status == RegistryStatus.REJECTED
    assert (registry.rows_total, registry.rows_rejected) == (3, 1)
    assert registry.errors == ["Строка 3: неизвестный лицевой счёт «9999999»"]
    assert registry.job.total == 3
    assert not Payment.objects.exists()


def test_a_file_refused_whole_after_rows_were_sent_credits_nothing(organization, settings):
    settings.IMPORT_MAX_ROWS = 2
    text = "\n".join([full_line(1), full_line(2), full_line(3)]) + "\n"
    registry = run_import(organization, text)

    assert registry.status == RegistryStatus.FAILED
    assert registry.errors == ["В файле больше 2 строк: разделите его на части."]
    assert registry.job.status == "failed"
    assert not Payment.objects.exists()
