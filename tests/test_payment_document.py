"""The payment document after the form of Приказ Минстроя России № 43/пр: ГИС ЖКХ's
identifiers, the bank's short name in the QR code, «Справочная информация», suppliers, and the
print page and the PDF showing the same sections in the same order with the same totals."""

import datetime
import re
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kabinet.billing.models import CalculationMethod, Charge, Recalculation
from kabinet.housing.gis import validate_payment_document_id, validate_unified_account
from kabinet.housing.models import PersonalAccount
from kabinet.metering.models import ReadingSource, Resource
from kabinet.orgs.models import Organization, StaffRole
from kabinet.receipts.layout import services_grid
from kabinet.receipts.models import PaymentDocumentId
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.qr import parse_payload
from kabinet.receipts.selectors import receipt_data
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    MeterFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db
OCT = datetime.date(2026, 10, 1)
ELS, SERVICE_ID, DOCUMENT_ID = "16АБ015400", "16АБ015400-01", "16АБ015400-01-1026"


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    return text.replace("\u00a0", " ").replace("\r", "")


def qr_codes(pdf: bytes) -> list[str]:
    """What a phone reads from the first page: every QR code decoded by a real decoder."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(image) if code.format.name == "QRCode"]


@pytest.fixture
def resident(client):
    link = AccountLinkFactory()
    client.force_login(link.user)
    client.account = link.account
    return client


def receipt_page(client, account) -> str:
    url = reverse("portal:receipt", args=[account.pk, 2026, "10"])
    return client.get(url).content.decode()


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validate_unified_account, "16АБ01540"),  # 9 characters
        (validate_unified_account, "16АБ 15400"),  # a space
        (validate_payment_document_id, "16АБ015400-01-10261"),  # 19
        (validate_payment_document_id, "16АБ015400-01/1026"),
    ],
)
def test_gis_identifiers_of_another_length_or_alphabet_are_refused(validator, value):
    with pytest.raises(ValidationError):
        validator(value)


def test_gis_identifiers_of_the_schemas_length_are_accepted(resident):
    account = resident.account
    account.unified_account, account.gis_service_id = ELS, SERVICE_ID
    account.full_clean()
    charge = ChargeFactory(account=account)
    PaymentDocumentId(account=account, period=charge.period, value=DOCUMENT_ID).full_clean()


def test_the_identifiers_are_printed_where_the_form_puts_them_when_gis_gave_them(resident):
    account = resident.account
    account.unified_account, account.gis_service_id = ELS, SERVICE_ID
    account.save()
    charge = ChargeFactory(account=account)
    PaymentDocumentId.objects.create(account=account, period=charge.period, value=DOCUMENT_ID)
    receipt = receipt_data(account, charge.period)
    assert (receipt.unified_account, receipt.service_id, receipt.document_id) == (
        ELS, SERVICE_ID, DOCUMENT_ID,
    )  # fmt: skip
    for text in (pdf_text(receipt_pdf(receipt)), receipt_page(resident, account)):
        assert ELS in text
        assert SERVICE_ID in text
        assert DOCUMENT_ID in text


def test_the_qr_carries_the_imported_ipd_in_docidx_and_nothing_without_it(resident):
    account = resident.account
    charge = ChargeFactory(account=account)
    assert "DocIdx" not in parse_payload(receipt_data(account, charge.period).qr_payload)
    PaymentDocumentId.objects.create(account=account, period=charge.period, value=DOCUMENT_ID)
    requisites = parse_payload(receipt_data(account, charge.period).qr_payload)
    assert requisites["DocIdx"] == DOCUMENT_ID
    assert requisites["PersAcc"] == account.number  # the account number stays where it was


def test_without_identifiers_no_empty_labels_are_printed(resident):
    account = resident.account
    ChargeFactory(account=account)
    page = receipt_page(resident, account)
    pdf = pdf_text(receipt_pdf(receipt_data(account, account.charges.get().period)))
    for text in (page, pdf):
        assert "ЕЛС" not in text
        assert "Идентификатор ЖКУ" not in text
        assert "ИПД" not in text


def test_an_identifier_of_another_organisations_period_is_refused():
    charge = ChargeFactory()
    stranger = ChargeFactory()
    with pytest.raises(ValidationError, match="другой организации"):
        PaymentDocumentId(account=charge.account, period=stranger.period,
                          value=DOCUMENT_ID).full_clean()  # fmt: skip


LONG_BANK = "Отделение «Банк Татарстан» № 8610 ПАО Сбербанк"  # 46 characters


def test_the_qr_code_names_the_bank_by_its_short_name():
    organization = OrganizationFactory(bank_name=LONG_BANK, bank_short_name="ПАО Сбербанк")
    charge = ChargeFactory(account__premise__house__organization=organization)
    receipt = receipt_data(charge.account, charge.period)
    [payload] = qr_codes(receipt_pdf(receipt))
    assert parse_payload(payload)["BankName"] == "ПАО Сбербанк"
    assert LONG_BANK in pdf_text(receipt_pdf(receipt))  # the requisites print the full name


def test_without_a_short_name_the_long_one_is_cut_after_a_whole_word():
    charge = ChargeFactory(account__premise__house__organization__bank_name=LONG_BANK)
    [payload] = qr_codes(receipt_pdf(receipt_data(charge.account, charge.period)))
    assert parse_payload(payload)["BankName"] == "Отделение «Банк Татарстан» № 8610 ПАО"


@pytest.mark.parametrize("short_name", ["Б" * 46, "ПАО | Сбербанк", "ПАО\nСбербанк"])
def test_a_short_name_the_code_cannot_carry_is_refused(short_name):
    organization = OrganizationFactory.build(bank_short_name=short_name)  # PostgreSQL would
    with pytest.raises(ValidationError) as error:  # refuse to store 46 characters at all
        organization.full_clean()
    assert "bank_short_name" in error.value.message_dict


def test_the_migration_gives_existing_organisations_a_short_name_cut_at_a_word():
    long = OrganizationFactory(bank_name=LONG_BANK)
    short = OrganizationFactory(bank_name="ПАО Сбербанк")
    named = OrganizationFactory(bank_name=LONG_BANK, bank_short_name="Сбербанк")
    [key] = [key for key in MigrationLoader(None).disk_migrations
             if key[0] == "orgs" and key[1].endswith("organization_bank_short_name")]  # fmt: skip
    migration = MigrationLoader(None).disk_migrations[key]
    migration.operations[-1].code(apps, None)
    names = dict(Organization.objects.values_list("pk", "bank_short_name"))
    assert names[long.pk] == "Отделение «Банк Татарстан» № 8610 ПАО"
    assert names[short.pk] == "ПАО Сбербанк"
    assert names[named.pk] == "Сбербанк"


def house_of_two(charge_fields=None, **service_fields):
    """Two flats of one house, both charged for cold water by meter with ОДН; the house meter
    read in September and October."""
    first = PersonalAccountFactory(premise__area=Decimal("54.00"))
    house = first.premise.house
    second = PersonalAccountFactory(premise__house=house, premise__area=Decimal("46.00"))
    water = ServiceFactory(organization=house.organization, name="Холодное водоснабжение",
                           unit="куб м", method=CalculationMethod.METER,
                           resource=Resource.COLD_WATER, normative=Decimal("4.5"),
                           **service_fields)  # fmt: skip
    period = PeriodFactory(organization=house.organization, month=OCT)
    for account, volume, common in ((first, "5.273", "0.412"), (second, "3.100", "0.288")):
        ChargeFactory(account=account, period=period, service=water, tariff=Decimal("51.2"),
                      volume=Decimal(volume), common_volume=Decimal(common),
                      charged=Decimal("300.00"), common_charged=Decimal("21.09"),
                      **(charge_fields or {}))  # fmt: skip
    meter = MeterFactory(account=None, house=house, serial_number="ОДПУ-ХВ-1")
    ReadingFactory(meter=meter, period=datetime.date(2026, 9, 1), value=Decimal("1000.000"),
                   source=ReadingSource.STAFF)  # fmt: skip
    ReadingFactory(meter=meter, period=OCT, value=Decimal("1009.073"), source=ReadingSource.STAFF)
    return first, period


def test_reference_gives_the_house_meters_volumes_normatives_and_areas():
    account, period = house_of_two()
    receipt = receipt_data(account, period)
    house = receipt.house
    assert house.total_area == Decimal("100.00")
    [meter] = house.house_meters
    assert (meter.serial_number, meter.consumption) == ("ОДПУ-ХВ-1", Decimal("9.073"))
    [water] = house.resources
    assert water.normative == Decimal("4.5")
    assert water.house_meter_volume == Decimal("9.073")
    assert water.premises_volume == Decimal("8.373")  # 5.273 + 3.100
    assert water.common_volume == Decimal("0.700")  # 0.412 + 0.288
    text = pdf_text(receipt_pdf(receipt))
    for expected in ("Справочная информация", "Показания общедомовых приборов учёта (ОДПУ)",
                     "ОДПУ-ХВ-1", "4,50 на чел.", "9,073", "8,373", "0,700",
                     "общая площадь жилых и нежилых помещений дома: 100,00 м²",
                     "8,373 0,700 9,073"):  # fmt: skip
        assert expected in text, expected


def test_a_mass_run_reads_each_houses_figures_once():
    account, period = house_of_two()
    account, neighbour = PersonalAccount.objects.select_related(
        "organization", "premise__house"
    ).filter(premise__house=account.premise.house_id)  # as the mailing loads them
    shared = {}
    with CaptureQueriesContext(connection) as first_queries:
        first = receipt_data(account, period, shared=shared)
    with CaptureQueriesContext(connection) as second_queries:
        second = receipt_data(neighbour, period, shared=shared)
    assert second.house is first.house
    # the house's volumes, its meters' readings, its areas (two queries) and common-property
    # area, the normatives for common needs, the period's ИПД, the house's capital repair fund,
    # the organisation's instalment plans of the month: not read again
    assert len(second_queries) == len(first_queries) - 9


def test_sections_without_figures_are_not_drawn(resident):
    account = resident.account
    ChargeFactory(account=account)  # by area: no meters, no normative, no recalculation
    receipt = receipt_data(account, account.charges.get().period)
    page, pdf = receipt_page(resident, account), pdf_text(receipt_pdf(receipt))
    titles = [SERVICES_TITLE, "Справочная информация"]
    assert html_sections(page) == titles
    assert [line for line in pdf.splitlines() if line in SECTION_AND_CAPTION_TITLES] == titles
    for text in (page, pdf):
        assert "Площадь помещения" in text
        assert "ОДН" not in text  # no common-house columns without a common-house share


def test_a_line_names_its_supplier_when_it_is_not_the_payee(resident):
    """The suppliers' section lists each one other than the payee with its services (their
    requisites: tests/test_receipt_suppliers.py)."""
    account = resident.account
    period = PeriodFactory(organization=account.organization, month=OCT)
    ChargeFactory(account=account, period=period, service__name="Водоотведение",
                  service__supplier='АО "Водоканал"')  # fmt: skip
    ChargeFactory(account=account, period=period, service__name="Содержание жилья",
                  service__supplier=account.organization.name)  # fmt: skip
    page = receipt_page(resident, account).replace("&quot;", '"')
    pdf = pdf_text(receipt_pdf(receipt_data(account, period)))
    for text in (page, pdf):
        section = text[text.index("Сведения о поставщиках услуг") :]
        section = section[: section.index("Справочная информация")]
        assert 'АО "Водоканал"' in section
        assert "Водоотведение" in section
        assert account.organization.name not in section
        assert "Содержание жилья" not in section


SERVICES_TITLE = (
    "Расчёт размера платы за содержание и ремонт жилого помещения и коммунальные услуги"
)
SECTION_AND_CAPTION_TITLES = (
    SERVICES_TITLE,
    "Перерасчёты",
    "Справочная информация",
    "Показания индивидуальных приборов учёта",
    "Показания общедомовых приборов учёта (ОДПУ)",
    "Объёмы коммунальных ресурсов по дому и нормативы потребления за месяц",
)


def html_sections(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", title)
        for title in re.findall(
            r'<h[23] class="kb-receipt-(?:heading|caption)">(.*?)</h[23]>', page
        )
    ]


def html_footer(page: str) -> tuple[list[str], list[str]]:
    """The services table's header labels and its «Итого» row's cells, one per column."""
    table = re.search(r'data-section="services">.*?</table>', page, re.S).group(0)
    header = re.findall(r'<th scope="col">(.*?)</th>', table)
    footer = re.search(r"<tfoot>(.*?)</tfoot>", table, re.S).group(1)
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", footer)
    return header, [cell.replace("\u00a0", " ") for cell in cells]


def test_the_page_and_the_pdf_show_the_same_sections_in_order_and_the_same_totals():
    account, period = house_of_two()
    link = AccountLinkFactory(account=account)
    client = Client()
    client.force_login(link.user)
    Recalculation.objects.bulk_create([  # history of a closed month: past save()
        Recalculation(period=period, corrected_period=period, account=account,
                      service=account.charges.get().service, amount=Decimal("-10.00"),
                      reason="Ошибочные показания")
    ])  # fmt: skip
    Charge._base_manager.filter(account=account).update(  # the history as loaded, not edited
        recalculation=Decimal("-10.00"), total=Decimal("290.00")
    )
    MeterFactory(account=account, serial_number="ИПУ-1")
    ReadingFactory(meter=account.meters.get(), period=OCT)
    receipt = receipt_data(account, period)
    page = receipt_page(client, account)
    pdf = pdf_text(receipt_pdf(receipt))

    titles = html_sections(page)
    assert titles == list(SECTION_AND_CAPTION_TITLES)
    lines = pdf.splitlines()
    positions = [lines.index(title) for title in titles]
    assert positions == sorted(positions), "the PDF draws them in the page's order"

    header, footer = html_footer(page)
    assert len(footer) == len(header), "one «Итого» cell under every column"
    totals = dict(zip(header, footer, strict=True))
    assert totals["Итого, ₽"] == "290,00"
    assert totals["Перерасчёт, ₽"] == "-10,00"
    assert totals["Начислено инд., ₽"] == "278,91"
    assert totals["Начислено ОДН, ₽"] == "21,09"
    assert totals["Тариф, ₽"] == ""
    pdf_footer = next(line for line in pdf.splitlines() if re.match(r"Итого [\d—-]", line))
    assert pdf_footer == " ".join(cell for cell in footer if cell)


def test_staff_enter_the_account_identifiers_in_the_back_office(client):
    account = PersonalAccountFactory()
    client.force_login(staff_user(account.organization, StaffRole.OPERATOR))
    url = reverse("admin:housing_personalaccount_change", args=[account.pk])
    fields = {"organization": account.organization_id, "number": account.number,
              "holder_name": account.holder_name, "premise": account.premise_id, "share": "1",
              "residents": "2", "owners": "1", "is_open": "on"}  # fmt: skip
    refused = client.post(url, {**fields, "unified_account": "16АБ 15400"})
    assert "unified_account" in refused.context["adminform"].form.errors
    saved = client.post(url, {**fields, "unified_account": ELS, "gis_service_id": SERVICE_ID})
    assert saved.status_code == 302
    account.refresh_from_db()
    assert (account.unified_account, account.gis_service_id) == (ELS, SERVICE_ID)
    client.post(url, {**fields, "unified_account": "", "gis_service_id": ""})
    account.refresh_from_db()
    assert (account.unified_account, account.gis_service_id) == (None, None)  # not ""


def test_the_increasing_coefficient_gets_its_columns_only_when_a_line_has_one():
    account, period = house_of_two()
    plain = services_grid(receipt_data(account, period))
    assert "Повыш. коэфф." not in [column.label for column in plain.columns]
    account, period = house_of_two(
        {"coefficient": Decimal("3"), "coefficient_charged": Decimal("185.21")}
    )
    grid = services_grid(receipt_data(account, period))
    labels = [column.label for column in grid.columns]
    row = dict(zip(labels, grid.rows[0], strict=True))
    assert (row["Повыш. коэфф."], row["В т. ч. за коэфф., ₽"]) == ("3", "185,21")
    assert dict(zip(labels, grid.footer, strict=True))["В т. ч. за коэфф., ₽"] == "185,21"


def test_a_tariff_changed_mid_month_shows_each_approved_tariff_with_its_days():
    spans = [
        {"tariff": "50.0000", "from": "2026-10-01", "to": "2026-10-15", "days": 15,
         "volume": "2.551452", "amount": "127.57"},
        {"tariff": "52.4000", "from": "2026-10-16", "to": "2026-10-31", "days": 16,
         "volume": "2.721548", "amount": "142.61"},
    ]  # fmt: skip
    account, period = house_of_two({"tariff_spans": spans})
    grid = services_grid(receipt_data(account, period))
    labels = [column.label for column in grid.columns]
    main, first, second = (dict(zip(labels, row, strict=True)) for row in grid.rows)
    assert main["Тариф, ₽"] == "—"
    assert (first["Вид услуги"].strip(), first["Тариф, ₽"], first["Объём инд."]) == (
        "с 01.10 по 15.10 (15 дн.)", "50,00", "2,551452"
    )  # fmt: skip
    assert second["Начислено инд., ₽"] == "в т. ч. 142,61"
    assert second["Итого, ₽"] == ""
