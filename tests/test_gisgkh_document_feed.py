"""The payment documents of the demo's last closed period posted to ГИС ЖКХ as the residents
got them: fed from the issued documents (or the data their issue would draw), with penalties,
the capital repair contribution to its own payee, the readings, the recalculations and the
instalment plan; every message valid by the pinned schema, the totals equal to the receipts'
to the kopeck, and the message signed, verified and taken by the fake service."""

import uuid
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from kabinet.billing.models import (
    PENALTY_METHODS,
    CalculationMethod,
    Period,
    PeriodStatus,
    Service,
)
from kabinet.gisgkh import exchange, sending
from kabinet.gisgkh.document_feed import payment_document_data
from kabinet.gisgkh.messages import BASE
from kabinet.gisgkh.models import (
    Exchange,
    ExchangeState,
    GisAccount,
    GisOrganization,
    ServiceNsiItem,
)
from kabinet.gisgkh.nsi import NO_NSI_METHODS
from kabinet.gisgkh.payment_documents import BILLS, payment_document_messages
from kabinet.gisgkh.schemas import MessageError, check
from kabinet.gisgkh.signing import verify
from kabinet.housing.models import PersonalAccount
from kabinet.jobs.models import JobStatus
from kabinet.orgs.models import Organization, StaffRole
from kabinet.receipts.issuing import issued_document, issued_receipt
from kabinet.receipts.selectors import receipt_data
from tests.factories import staff_user
from tests.gisgkh_fake import FakeGis
from tests.test_gisgkh_signing import key_pair  # noqa: F401 (the module's GOST key fixture)

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"
UTILITY_METHODS = {
    CalculationMethod.METER,
    CalculationMethod.NORMATIVE,
    CalculationMethod.WASTEWATER,
    CalculationMethod.AREA_NORMATIVE,
}
pytestmark = pytest.mark.django_db


def registry(service) -> int | None:
    """The НСИ registry a demo service would be mapped to by staff."""
    if service.method in NO_NSI_METHODS:
        return None
    if service.method in PENALTY_METHODS:
        return 329
    if service.resource or service.method in UTILITY_METHODS:
        return 51
    if service.method in (CalculationMethod.AREA,):
        return 50
    return 1


def guid(*parts) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def mapped(name: str, org_ppa_guid: str = ORG) -> Organization:
    """The demo's organisation ``name`` with its identifiers imported and its services mapped
    to НСИ."""
    organization = Organization.objects.get(name=name)
    GisOrganization.objects.create(organization=organization, org_ppa_guid=org_ppa_guid)
    for account in PersonalAccount.objects.filter(organization=organization):
        GisAccount.objects.create(account=account, account_guid=guid("account", account.pk))
    for service in Service.objects.filter(organization=organization):
        if (number := registry(service)) is not None:
            ServiceNsiItem.objects.create(
                service=service, registry=number, code=str(service.pk),
                guid=guid("nsi", number, service.method if number == 329 else service.pk),
            )  # fmt: skip
    return organization


@pytest.fixture
def kamal(demo_world):
    return mapped('ОАО "Камал"')


def last_closed(organization) -> Period:
    return (
        Period.objects.filter(organization=organization, status=PeriodStatus.CLOSED)
        .order_by("-month")
        .first()
    )


def build(organization, documents, month=None):
    return payment_document_messages(
        ORG,
        month or last_closed(organization).month,
        bik=organization.bik,
        account_number=organization.settlement_account,
        documents=documents,
    )


def by_number(message) -> dict[str, ET.Element]:
    return {
        element.findtext(".//{*}PaymentDocumentNumber"): element
        for element in message.body.findall(f"{{{BILLS}}}PaymentDocument")
    }


def amount(element, path) -> Decimal:
    return sum((Decimal(e.text) for e in element.findall(path)), Decimal("0"))


def test_the_last_closed_periods_documents_validate_and_agree_with_the_receipts(kamal):
    period = last_closed(kamal)
    issued = PersonalAccount.objects.filter(organization=kamal).order_by("number").first()
    issued_document(issued, period)  # one document issued, the others drawn as they would be
    _, documents = payment_document_data(kamal, period.month)
    [message] = build(kamal, documents)
    check(message.body, "bills")
    posted = by_number(message)
    assert len(posted) == len(documents) > 1
    for account in PersonalAccount.objects.filter(organization=kamal, charges__period=period):
        receipt = receipt_data(account, period, frozen=True)
        element = posted[f"{account.number}-{period.month:%m.%Y}"]
        repair = receipt.capital_repair
        with_debt = receipt.closing + (repair.closing if repair else Decimal(0))
        assert Decimal(element.findtext(f"{{{BILLS}}}TotalPayableByPDWithDebtAndAdvance")) == (
            with_debt
        ), account.number
        assert amount(element, f"{{{BILLS}}}TotalByPenaltiesAndCourtCosts") == (
            receipt.penalties + (repair.penalties if repair else 0)
        )
    number = f"{issued.number}-{period.month:%m.%Y}"
    assert number == issued_receipt(issued_document(issued, period)).number
    assert number in posted


def test_every_closed_month_carries_penalties_repair_readings_recalculations_instalments(kamal):
    """The demo's months between them have each part: the ч. 14.1 penalty (08.2026), the
    recalculations (06.2026), the instalment plan (the last one)."""
    bodies = []
    for period in Period.objects.filter(organization=kamal, status=PeriodStatus.CLOSED):
        _, documents = payment_document_data(kamal, period.month)
        for message in build(kamal, documents, period.month):
            check(message.body, "bills")
            bodies.append(message.body)
            for document in message.body.findall(f"{{{BILLS}}}PaymentDocument"):
                if document.find(f"{{{BILLS}}}DetailsPaymentInformation") is None:
                    continue  # each payee's part adds up to the document's total
                parts = f"{{{BILLS}}}DetailsPaymentInformation/{{{BILLS}}}"
                assert amount(document, parts + "TotalPayableWithDebtAndAdvance") == amount(
                    document, f"{{{BILLS}}}TotalPayableByPDWithDebtAndAdvance"
                )
                assert amount(document, parts + "TotalPayableByPaymentInformation") == amount(
                    document, f"{{{BILLS}}}TotalPayableByPD"
                )

    def found(path):
        return [element for body in bodies for element in body.iterfind(f".//{{{BILLS}}}" + path)]

    # two payees: the УК and the house's special account for capital repair (demo/capital_repair)
    assert {e.findtext("{*}operatingAccountNumber") for e in found("PaymentInformation")} == {
        kamal.settlement_account,
        "40705810762000000012",
    }
    assert all(Decimal(e.text) > 0 for e in found("CapitalRepairCharge/{*}Contribution"))
    causes = {e.text for e in found("PenaltiesAndCourtCosts/{*}Cause")}
    assert any("ч. 14)" in cause for cause in causes), causes
    assert any("ч. 14.1" in cause for cause in causes), causes
    assert found("IndividualMDReadings/{*}MDServiceCode")
    assert found("ServiceInformation/{*}houseTotalIndividualConsumption")
    assert found("PiecemealPayment/{*}piecemealPaymentSum")  # ЛС 1000158's heating
    reasons = [e.text for e in found("PaymentRecalculation/{*}recalculationReason")]
    assert any("Холодное водоснабжение" in reason for reason in reasons), reasons


def test_the_other_organisations_closed_months_validate(demo_world):
    """ООО «УК Уютный дом»: no capital repair fund of its own, no instalments."""
    uyut = mapped('ООО "УК Уютный дом"', "6d6c7b8a-1234-4abc-9def-0123456789ab")
    periods = Period.objects.filter(organization=uyut, status=PeriodStatus.CLOSED)
    assert periods.exists()
    for period in periods:
        _, documents = payment_document_data(uyut, period.month)
        for message in build(uyut, documents, period.month):
            check(message.body, "bills")
            assert message.body.find(f".//{{{BILLS}}}DetailsPaymentInformation") is None


def test_a_penalty_service_without_its_nsi_element_is_named(kamal):
    ServiceNsiItem.objects.filter(service__method=CalculationMethod.PENALTY).delete()
    period = last_closed(kamal)
    with pytest.raises(MessageError) as refused:
        build(kamal, payment_document_data(kamal, period.month)[1])
    assert any("ч. 14)" in error and "НСИ 329" in error for error in refused.value.errors)
    assert all(error.startswith("ЛС ") for error in refused.value.errors)


def test_the_documents_go_signed_through_the_fake_service(
    kamal,
    settings,
    monkeypatch,
    key_pair,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(exchange.time, "sleep", lambda seconds: None)
    settings.GISGKH_SIGNER = "openssl-gost"
    settings.GISGKH_KEY_FILE, settings.GISGKH_CERT_FILE = map(str, key_pair)
    user = staff_user(kamal, StaffRole.ACCOUNTANT)
    month = last_closed(kamal).month
    with FakeGis() as fake:
        settings.GISGKH_URL = fake.url
        # the demo's world is one transaction: the job starts when the posting would commit
        with django_capture_on_commit_callbacks(execute=True):
            job = sending.start_posting(kamal, "importPaymentDocumentData", month, user=user)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.problems
        [(operation, request)] = fake.requests.values()
    assert operation == "importPaymentDocumentData"
    stored = Exchange.objects.get()
    assert stored.state == ExchangeState.DONE
    assert "УК Тест" in verify(stored.envelope.encode()).subject.rfc4514_string()
    assert request.find(f"{{{BILLS}}}PaymentDocument") is not None
    assert request.find(f"{{{BASE}}}Month").text == str(month.month)
