"""Importing readings from CSV/XLSX: every row checked first, a bad file names its bad rows and
imports nothing, the same file twice changes nothing the second time."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from kabinet.jobs.models import Job, JobStatus
from kabinet.metering import streamed_import
from kabinet.metering.imports import import_readings, parse_period, read_import
from kabinet.metering.models import Reading, ReadingSource
from kabinet.orgs.models import StaffRole
from kabinet.tabular import TableError
from tests.factories import (
    MeterFactory,
    OrganizationFactory,
    PersonalAccountFactory,
    ReadingFactory,
    staff_user,
)
from tests.test_tabular import xlsx

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 11, 26)
OCTOBER, NOVEMBER = datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)
HEADER = "ЛС;Заводской номер;Показание;Дата\n"


@pytest.fixture
def organization():
    return OrganizationFactory(name="УК Импорт")


@pytest.fixture
def meters(organization):
    """Two meters of ЛС 100, one of ЛС 200, each read at 100 in October."""
    first = PersonalAccountFactory(premise__house__organization=organization, number="100")
    second = PersonalAccountFactory(premise__house__organization=organization, number="200")
    meters = [
        MeterFactory(account=first, serial_number="ХВ-1"),
        MeterFactory(account=first, serial_number="ГВ-1"),
        MeterFactory(account=second, serial_number="ХВ-2"),
    ]
    for meter in meters:
        ReadingFactory(meter=meter, period=OCTOBER, value=D("100"))
    return meters


@pytest.fixture(params=["rows", "streamed"])
def importer(request):
    """Both imports on the same tests: the rows checked in Python (SQLite's, the embedded
    default) and the streamed one of PostgreSQL (temporary table, SQL checks, upsert)."""
    if request.param == "streamed":
        if connection.vendor != "postgresql":
            pytest.skip("the streamed import is PostgreSQL's")
        return lambda data, organization, **kw: streamed_import.import_readings(
            io.BytesIO(data), organization, **kw
        )
    return lambda data, organization, **kw: import_readings(read_import(data), organization, **kw)


@pytest.fixture
def run(importer):
    def run(text, organization, *, today=TODAY, **kwargs):
        return importer(text.encode(), organization, today=today, **kwargs)

    return run


def november():
    return {
        reading.meter.serial_number: (reading.value, reading.source)
        for reading in Reading.objects.filter(period=NOVEMBER).select_related("meter")
    }


GOOD = HEADER + "100;ХВ-1;104,5;20.11.2026\n100;ГВ-1;102;20.11.2026\n200;ХВ-2;103.25;21.11.2026\n"


def test_a_good_file_is_imported(organization, meters, run):
    result = run(GOOD, organization)
    assert result.errors == []
    assert result.summary()["Добавлено показаний"] == 3
    assert november() == {
        "ХВ-1": (D("104.5"), ReadingSource.IMPORT),
        "ГВ-1": (D("102"), ReadingSource.IMPORT),
        "ХВ-2": (D("103.25"), ReadingSource.IMPORT),
    }


def test_the_same_file_twice_changes_nothing_the_second_time(organization, meters, run):
    run(GOOD, organization)
    before = list(Reading.objects.order_by("pk").values())
    result = run(GOOD, organization)
    assert (result.created, result.changed, result.unchanged) == (0, 0, 3)
    assert list(Reading.objects.order_by("pk").values()) == before


def test_a_row_replaces_the_reading_of_its_month(organization, meters, run):
    ReadingFactory(meter=meters[0], period=NOVEMBER, value=D("104"))
    ReadingFactory(meter=meters[1], period=NOVEMBER, value=D("101"), source=ReadingSource.AVERAGE)
    result = run(GOOD, organization)
    assert (result.created, result.changed) == (1, 2)
    assert november()["ХВ-1"] == (D("104.5"), ReadingSource.IMPORT)
    assert november()["ГВ-1"] == (D("102"), ReadingSource.IMPORT)


def test_changed_readings_are_written_a_batch_at_a_time(organization, meters, monkeypatch):
    monkeypatch.setattr("kabinet.metering.imports.UPDATE_BATCH", 1)
    for meter, value in zip(meters, ("104", "101", "103"), strict=True):
        ReadingFactory(meter=meter, period=NOVEMBER, value=D(value))
    result = import_readings(read_import(GOOD.encode()), organization, today=TODAY)
    assert (result.created, result.changed) == (0, 3)
    assert november() == {
        "ХВ-1": (D("104.5"), ReadingSource.IMPORT),
        "ГВ-1": (D("102"), ReadingSource.IMPORT),
        "ХВ-2": (D("103.25"), ReadingSource.IMPORT),
    }


def test_a_bad_file_names_its_bad_rows_and_imports_nothing(organization, meters, run):
    text = HEADER + (
        "100;ХВ-1;104,5;20.11.2026\n"  # good
        "999;ХВ-1;1;20.11.2026\n"  # no such account
        "200;ХВ-9;1;20.11.2026\n"  # no such meter on the account
        "100;ГВ-1;сто;32.11.2026\n"  # neither a value nor a date
        "200;ХВ-2;99;20.11.2026\n"  # below October's 100
        "100;ХВ-1;105;21.11.2026\n"  # the same meter and month again
        "100;ГВ-1;;20.11.2026\n"  # a date without a value
        "200;ХВ-2;101;01.12.2026\n"  # in the future
    )
    result = run(text, organization)
    assert [str(error) for error in result.errors] == [
        "Строка 3: лицевой счёт № 999 не найден.",
        "Строка 4: у лицевого счёта № 200 нет действующего счётчика № ХВ-9.",
        "Строка 5: «сто» — не показание: нужно число, например 123,456 (не больше трёх знаков "
        "после запятой и 11 цифр до неё); неверная дата «32.11.2026» (нужно ДД.ММ.ГГГГ).",
        "Строка 6: Показание 99,000 меньше предыдущего (100,000 за октябрь 2026). Проверьте цифры "
        "до запятой.",
        "Строка 7: показание этого счётчика за ноябрь 2026 уже есть в строке 2.",
        "Строка 8: нет показания.",
        "Строка 9: дата 01.12.2026 ещё не наступила; период декабрь 2026 ещё не наступил.",
    ]
    assert november() == {}


def test_another_organisations_accounts_are_not_found(organization, meters, run):
    stranger = PersonalAccountFactory(number="300")
    MeterFactory(account=stranger, serial_number="ЧУЖОЙ")
    result = run(HEADER + "300;ЧУЖОЙ;5;20.11.2026\n", organization)
    assert [str(error) for error in result.errors] == ["Строка 2: лицевой счёт № 300 не найден."]
    assert not Reading.objects.filter(meter__account=stranger).exists()


def test_rows_without_a_value_and_a_date_are_skipped(organization, meters, run):
    result = run(HEADER + "100;ХВ-1;;\n200;ХВ-2;103;20.11.2026\n", organization)
    assert result.errors == []
    assert (result.created, result.skipped) == (1, 1)


def test_a_period_column_sets_the_month(organization, meters, run):
    text = "ЛС;Заводской номер;Показание;Дата;Период\n100;ХВ-1;104;02.12.2026;11.2026\n"
    result = run(text, organization, today=TODAY.replace(day=2, month=12))
    assert result.errors == []
    assert november()["ХВ-1"] == (D("104"), ReadingSource.IMPORT)


def test_rows_of_one_meter_for_several_months_are_checked_against_each_other(
    organization, meters, run
):
    text = "ЛС;Заводской номер;Показание;Дата;Период\n"
    text += "100;ХВ-1;110;20.11.2026;11.2026\n100;ХВ-1;105;20.09.2026;09.2026\n"
    result = run(text, organization)
    assert [str(error) for error in result.errors] == [
        "Строка 3: Показание 105,000 больше следующего (100,000 за октябрь 2026)."
    ]
    text = "ЛС;Заводской номер;Показание;Дата;Период\n"
    text += "100;ХВ-1;95;20.11.2026;11.2026\n100;ХВ-1;90;20.10.2026;10.2026\n"
    assert run(text, organization).errors == []  # October's 100 is replaced by 90


def test_a_repeated_month_is_named_after_the_rows_own_problems(organization, meters, run):
    text = HEADER + "100;ХВ-1;сто;20.11.2026\n100;ХВ-1;сто;21.11.2026\n200;ХВ-2;103;20.11.2026\n"
    assert [str(error) for error in run(text, organization).errors] == [
        "Строка 2: «сто» — не показание: нужно число, например 123,456 (не больше трёх знаков "
        "после запятой и 11 цифр до неё).",
        "Строка 3: «сто» — не показание: нужно число, например 123,456 (не больше трёх знаков "
        "после запятой и 11 цифр до неё); показание этого счётчика за ноябрь 2026 уже есть в "
        "строке 2.",
    ]
    assert november() == {}


def test_a_dial_that_went_round_is_no_error_and_a_value_past_the_dial_is(organization, meters, run):
    Reading.objects.filter(meter=meters[0]).update(value=D("99990"))
    text = HEADER + "100;ХВ-1;5;20.11.2026\n100;ГВ-1;100000;20.11.2026\n"
    assert [str(error) for error in run(text, organization).errors] == [
        "Строка 3: Показание 100\xa0000,000 не помещается на счётчике: у него 5 знаков до запятой."
    ]
    assert run(HEADER + "100;ХВ-1;5;20.11.2026\n", organization).errors == []
    assert november() == {"ХВ-1": (D("5"), ReadingSource.IMPORT)}


def test_an_estimate_bounds_no_value_and_is_replaced(organization, meters, run):
    ReadingFactory(meter=meters[0], period=datetime.date(2026, 9, 1), value=D("150"),
                   source=ReadingSource.AVERAGE)  # fmt: skip
    ReadingFactory(meter=meters[0], period=NOVEMBER, value=D("90"), source=ReadingSource.NORMATIVE)
    text = "ЛС;Заводской номер;Показание;Дата;Период\n100;ХВ-1;101;20.11.2026;11.2026\n"
    result = run(text + "100;ХВ-1;99;20.09.2026;09.2026\n", organization)
    assert result.errors == []
    assert (result.created, result.changed) == (0, 2)
    assert november()["ХВ-1"] == (D("101"), ReadingSource.IMPORT)


@pytest.mark.parametrize(
    ("text", "month"),
    [("11.2026", NOVEMBER), ("2026-11", NOVEMBER), ("ноябрь 2026", NOVEMBER),
     ("15.11.2026", NOVEMBER), ("2026-11-01", NOVEMBER), ("1.2027", datetime.date(2027, 1, 1))],
)  # fmt: skip
def test_periods_as_people_write_them(text, month):
    assert parse_period(text) == month


def test_a_missing_column_is_named():
    with pytest.raises(TableError, match="«Заводской номер»"):
        read_import("ЛС;Показание;Дата\n100;1;20.11.2026\n".encode())


def test_an_xlsx_file_with_numbers_and_dates(organization, meters, importer):
    data = xlsx([["ЛС", "Заводской номер", "Показание", "Дата"],
                 [100, "ХВ-1", 104.125, datetime.datetime(2026, 11, 20)]])  # fmt: skip
    result = importer(data, organization, today=TODAY)
    assert result.errors == []
    assert november()["ХВ-1"] == (D("104.125"), ReadingSource.IMPORT)


# Through the staff page and its job


@pytest.fixture
def operator(client, organization, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = staff_user(organization, StaffRole.OPERATOR)
    client.force_login(user)
    return user


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    """Post a file to «Импорт показаний»; the job's task runs when the request commits."""

    def post(content, name="readings.csv", **data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("backoffice:readings_import"),
                {"file": SimpleUploadedFile(name, content), **data},
            )
        return client.get(response.url) if response.status_code == 302 else response

    return post


def test_staff_import_a_file_and_see_the_result(upload, operator, meters, tmp_path):
    response = upload(GOOD.encode("cp1251"))
    job = Job.objects.get()
    assert response.request["PATH_INFO"] == reverse("backoffice:job", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["Добавлено показаний"] == 3
    assert "Добавлено показаний" in response.text
    assert job.created_by == operator
    assert len(november()) == 3
    assert list(tmp_path.rglob("*.csv")) == []  # the uploaded file is not kept


def test_a_bad_file_fails_its_job_with_the_rows_named(upload, operator, meters):
    upload((HEADER + "100;ХВ-1;104;20.11.2026\n200;ХВ-2;50;20.11.2026\n").encode())
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.problems[0].startswith("Строка 3: Показание 50,000 меньше предыдущего")
    assert "Файл не импортирован: строк с ошибками — 1" in job.problems[-1]
    assert november() == {}


def test_the_job_counts_the_rows_it_checked(upload, operator, meters):
    upload((GOOD + "100;ХВ-1;;\n").encode())
    job = Job.objects.get()
    assert (job.status, job.total, job.done, job.failed) == (JobStatus.SUCCEEDED, 4, 4, 0)
    assert job.result["Пропущено строк без показания"] == 1


def test_a_file_of_many_bad_rows_keeps_the_first_and_counts_all(
    upload, operator, meters, monkeypatch
):
    monkeypatch.setattr("kabinet.metering.streamed_import.MAX_ERRORS", 2)
    monkeypatch.setattr("kabinet.jobs.services.MAX_PROBLEMS", 3)
    bad = "".join(f"999;ХВ-1;1;20.11.2026\n100;ХВ-1;{99 - n};20.11.2026\n" for n in range(3))
    upload((HEADER + bad).encode())
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.problems == [
        "Строка 2: лицевой счёт № 999 не найден.",
        "Строка 3: Показание 99,000 меньше предыдущего (100,000 за октябрь 2026). Проверьте "
        "цифры до запятой.",
        "Файл не импортирован: строк с ошибками — 6. Исправьте их и загрузите файл снова.",
    ]
    assert (job.total, job.failed) == (6, 6)
    assert november() == {}


def test_a_file_that_is_not_a_table_fails_with_a_clear_reason(upload, operator, meters):
    upload(b"PK\x03\x04 not really a workbook", name="readings.xlsx")
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.problems == [
        "Файл не импортирован: Файл XLSX повреждён или не является таблицей Excel."
    ]


def test_a_file_without_a_column_fails_naming_it(upload, operator, meters):
    upload("ЛС;Показание;Дата\n100;104;20.11.2026\n".encode())
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.problems == ["Файл не импортирован: В файле нет столбца «Заводской номер»."]
    assert november() == {}


def test_staff_of_several_organisations_choose_among_their_own(upload, operator, meters):
    second = OrganizationFactory(name="УК Вторая своя")
    staff_user(second, StaffRole.OPERATOR)
    operator.staff_memberships.create(organization=second, role=StaffRole.OPERATOR)
    stranger = OrganizationFactory(name="УК Чужая")
    response = upload(GOOD.encode(), organization=stranger.pk)
    assert "organization" in response.context["form"].errors
    assert not Job.objects.exists()
    upload(GOOD.encode(), organization=second.pk)
    job = Job.objects.get()
    assert job.organization == second
    assert job.status == JobStatus.FAILED  # ЛС 100 is not the second organisation's
    assert job.problems[0] == "Строка 2: лицевой счёт № 100 не найден."


def test_only_table_files_are_accepted(upload, operator):
    response = upload(b"%PDF-1.4", name="readings.pdf")
    assert "file" in response.context["form"].errors
    assert not Job.objects.exists()
