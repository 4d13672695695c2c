"""The payment document after the form of Приказ Минстроя России № 43/пр: ГИС ЖКХ's
identifiers, the bank's short name in the QR code, «Справочная информация», suppliers, and the
print page and the PDF showing the same sections in the same order with the same totals."""

import datetime

import pypdfium2
import pytest
import zxingcpp
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from kabinet.housing.gis import validate_payment_document_id, validate_unified_account
from kabinet.orgs.models import Organization
from kabinet.receipts.models import PaymentDocumentId
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.qr import parse_payload
from kabinet.receipts.selectors import receipt_data
from tests.factories import AccountLinkFactory, ChargeFactory, OrganizationFactory

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
    organization = OrganizationFactory(bank_short_name=short_name)
    with pytest.raises(ValidationError) as error:
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
