"""Uploaded tables are checked as files before they are parsed: a zip bomb dressed as XLSX, a
table of too many rows or a text in UTF-16 is refused with a message that says what to do."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile

from kabinet import tabular
from kabinet.billing import imports as charges
from kabinet.billing import jobs as billing_jobs
from kabinet.billing.models import PeriodStatus
from kabinet.jobs.models import Job, JobStatus
from kabinet.metering import imports as readings
from kabinet.metering import services as metering
from kabinet.payments.models import RegistryStatus
from kabinet.payments.registry.formats import parse_registry
from kabinet.payments.registry.uploads import upload_registry
from kabinet.tabular import TableError, read_rows, read_table
from tests.factories import OrganizationFactory, PeriodFactory

COLUMNS = {"account": ("ЛС",), "amount": ("Сумма",)}

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)


def bomb_xlsx(rows: int) -> bytes:
    """A workbook whose one sheet repeats the same row ``rows`` times: tiny packed, huge
    unpacked (the sheet's XML is written straight into the zip, as an attacker would)."""
    row = '<row><c t="inlineStr"><is><t>1000154</t></is></c><c><v>100</v></c></row>'
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + row * rows
        + "</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
            "</Relationships>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


@pytest.fixture
def openpyxl_must_not_run(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse the file")

    monkeypatch.setattr(tabular, "load_workbook", refuse)


def test_a_small_bomb_is_refused_before_openpyxl_parses_it(openpyxl_must_not_run):
    data = bomb_xlsx(300_000)  # ~21 MB of XML packed into a few dozen kilobytes
    assert len(data) < 200_000
    with pytest.raises(TableError, match="сжат слишком сильно"):
        list(read_rows(data))


def test_an_xlsx_larger_than_the_limit_unpacked_is_refused(settings, openpyxl_must_not_run):
    settings.IMPORT_MAX_UNPACKED_MB = 1
    settings.IMPORT_MAX_COMPRESSION_RATIO = 10**6
    with pytest.raises(TableError, match="больше 1 МБ"):
        list(read_rows(bomb_xlsx(20_000)))


def test_an_honest_xlsx_of_the_same_rows_is_read():
    data = bomb_xlsx(3)
    assert list(read_rows(data)) == [(line, ["1000154", "100"]) for line in (1, 2, 3)]


def test_rows_past_the_limit_are_refused_in_xlsx_and_csv(settings):
    settings.IMPORT_MAX_ROWS = 5
    with pytest.raises(TableError, match="больше 5 строк"):
        list(read_rows(bomb_xlsx(6)))
    with pytest.raises(TableError, match="больше 5 строк"):
        list(read_table(("ЛС;Сумма\n" + "1;2\n" * 5).encode(), COLUMNS))
    assert len(list(read_table(("ЛС;Сумма\n" + "1;2\n" * 4).encode(), COLUMNS))) == 4


def test_default_limits_let_the_benchmark_sizes_through(settings):
    """100 000-payment registries and 900 000 charge lines (100 000 accounts × 9 services,
    ``bench/``) must still be read; an honest XLSX of them packs 7–8 times (measured)."""
    assert settings.IMPORT_MAX_ROWS >= 900_001
    assert settings.IMPORT_MAX_UNPACKED_MB * 2**20 >= 900_000 * 270  # bytes of sheet XML a row
    assert settings.IMPORT_MAX_COMPRESSION_RATIO >= 10


def test_rows_past_the_limit_are_refused_in_a_sberbank_registry(settings):
    settings.IMPORT_MAX_ROWS = 3
    data = "20.11.2026;1;А;;;1,00;0\n" * 4
    with pytest.raises(TableError, match="больше 3 строк"):
        parse_registry(data.encode())


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-32", "UTF-32")],
)
def test_utf16_and_utf32_text_is_named(encoding, name):
    text = "ЛС;Сумма\n1000154;10,00\n"
    data = (text if encoding in ("utf-16", "utf-32") else "\ufeff" + text).encode(encoding)
    with pytest.raises(TableError, match=f"в кодировке {name}: сохраните его как UTF-8"):
        list(read_table(data, COLUMNS))


def test_utf16_without_bom_is_recognised_by_its_zero_bytes():
    data = "ЛС;Сумма\n1000154;10,00\n".encode("utf-16-le")
    with pytest.raises(TableError, match="UTF-16"):
        list(read_table(data, COLUMNS))


def test_a_utf16_registry_says_so():
    with pytest.raises(TableError, match="UTF-16"):
        parse_registry("20.11.2026;1;А;;;1,00;0\n".encode("utf-16"))


@pytest.mark.django_db
def test_a_bomb_readings_import_fails_its_job_with_the_reason(
    media, openpyxl_must_not_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = metering.queue_readings_import(
            OrganizationFactory(), ContentFile(bomb_xlsx(300_000), name="r.xlsx"), None
        )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "сжат слишком сильно" in job.problems[-1]
    assert not any((media / "imports" / "readings").iterdir())  # the file is not kept


@pytest.mark.django_db
def test_a_bomb_registry_fails_with_the_reason(
    media, openpyxl_must_not_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registry = upload_registry(OrganizationFactory(), "r.xlsx", bomb_xlsx(300_000), None)
    registry.refresh_from_db()
    assert registry.status == RegistryStatus.FAILED
    assert "сжат слишком сильно" in registry.errors[0]
    assert Job.objects.get().status == JobStatus.FAILED


@pytest.mark.parametrize("read_import", [charges.read_import, readings.read_import])
def test_imports_read_their_tables_through_the_checked_reader(openpyxl_must_not_run, read_import):
    with pytest.raises(TableError, match="сжат слишком сильно"):
        read_import(bomb_xlsx(300_000))


@pytest.mark.django_db
def test_a_bomb_charges_import_fails_its_job_with_the_reason(
    media, openpyxl_must_not_run, django_capture_on_commit_callbacks
):
    period = PeriodFactory(status=PeriodStatus.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        job = billing_jobs.queue_charges_import(
            period, ContentFile(bomb_xlsx(300_000), name="c.xlsx"), None
        )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "сжат слишком сильно" in job.problems[-1]
    assert not any((media / "imports" / "charges").iterdir())
