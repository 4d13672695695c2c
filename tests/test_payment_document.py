"""The payment document after the form of Приказ Минстроя России № 43/пр: ГИС ЖКХ's
identifiers, the bank's short name in the QR code, «Справочная информация», suppliers, and the
print page and the PDF showing the same sections in the same order with the same totals."""

import datetime

import pypdfium2
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kabinet.housing.gis import validate_payment_document_id, validate_unified_account
from kabinet.receipts.models import PaymentDocumentId
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import receipt_data
from tests.factories import AccountLinkFactory, ChargeFactory

pytestmark = pytest.mark.django_db
OCT = datetime.date(2026, 10, 1)
ELS, SERVICE_ID, DOCUMENT_ID = "16АБ015400", "16АБ015400-01", "16АБ015400-01-1026"


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    return text.replace("\u00a0", " ").replace("\r", "")


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
