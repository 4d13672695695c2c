"""Importing the ИПД that ГИС ЖКХ gave the payment documents, per account and month: from the
XML result of exportPaymentDocumentData (checked against the pinned schema first) and from the
spreadsheet register of ГИС's web interface; all or nothing, the same file twice changes
nothing, and the receipt prints what was imported."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.gisgkh.document_identifiers import parse_period
from kabinet.gisgkh.identifiers import IdentifierImportError, parse_xml, state_result
from kabinet.gisgkh.models import GisAccount
from kabinet.gisgkh.schemas import schema_errors
from kabinet.gisgkh.services import import_identifiers_file
from kabinet.orgs.models import StaffRole
from kabinet.receipts.models import PaymentDocumentId
from kabinet.receipts.selectors import receipt_data
from kabinet.tabular import write_xlsx
from tests.factories import ChargeFactory, PeriodFactory, PersonalAccountFactory, staff_user
from tests.gisgkh_samples import (
    GUID_1,
    GUID_2,
    GUID_3,
    document_export,
    payment_document,
)

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)
NOVEMBER = datetime.date(2026, 11, 1)
IPD_1 = "16АБ015400-01-1026"
IPD_2 = "16АБ015500-01-1026"
IPD_3 = "16АБ015400-01-1126"


@pytest.fixture
def accounts():
    first = PersonalAccountFactory(number="154")
    second = PersonalAccountFactory(number="155", organization=first.organization)
    GisAccount.objects.create(account=first, account_guid=GUID_1)
    GisAccount.objects.create(account=second, account_guid=GUID_2)
    for month in (OCTOBER, NOVEMBER):
        PeriodFactory(organization=first.organization, month=month)
    return first, second


def stored():
    return {
        (document.account.number, document.period.month): document.value
        for document in PaymentDocumentId.objects.select_related("account", "period")
    }


def refused(organization, data, **kwargs) -> list[str]:
    with pytest.raises(IdentifierImportError) as error:
        import_identifiers_file(organization, data, **kwargs)
    assert not PaymentDocumentId.objects.exists()
    return error.value.errors


def test_the_sample_export_is_valid_by_the_pinned_schema():
    data = document_export(
        payment_document(GUID_1, IPD_1, OCTOBER, number="154-10", account_number="154"),
        payment_document(GUID_2, IPD_2),
    )
    assert schema_errors(parse_xml(data), "bills") == []


def test_the_xml_export_gives_each_document_its_identifier_and_the_receipt_prints_it(accounts):
    first = accounts[0]
    organization = first.organization
    ChargeFactory(account=first, period=organization.periods.get(month=OCTOBER))
    data = document_export(
        payment_document(GUID_1, IPD_1, OCTOBER), payment_document(GUID_2, IPD_2, OCTOBER)
    )
    outcome = import_identifiers_file(organization, data)
    assert (outcome.rows, outcome.changed, outcome.label) == (2, 2, "платёжных документов")
    assert stored() == {("154", OCTOBER): IPD_1, ("155", OCTOBER): IPD_2}
    october = organization.periods.get(month=OCTOBER)
    assert receipt_data(first, october).document_id == IPD_1


def test_the_same_export_twice_changes_nothing_and_logs_once(accounts):
    organization = accounts[0].organization
    operator = staff_user(organization, StaffRole.OPERATOR)
    data = document_export(payment_document(GUID_1, IPD_1, OCTOBER))
    import_identifiers_file(organization, data, by=operator, ip="192.0.2.9")
    assert import_identifiers_file(organization, data, by=operator).changed == 0
    entry = AuditEntry.objects.get(action=AuditAction.GIS_IDENTIFIERS_IMPORT)
    assert (entry.actor, entry.ip, entry.organization) == (operator, "192.0.2.9", organization)
    assert entry.object_repr == IPD_1
    assert entry.changes == {
        "account": [None, "ЛС № 154"],
        "period": [None, "октябрь 2026"],
        "value": [None, IPD_1],
    }


def test_the_result_is_found_inside_its_soap_envelope(accounts):
    data = document_export(payment_document(GUID_1, IPD_1, OCTOBER), envelope=True)
    assert import_identifiers_file(accounts[0].organization, data).changed == 1


def test_an_export_that_breaks_the_schema_is_refused_with_its_reasons(accounts):
    data = document_export(payment_document(GUID_1, IPD_1[:17], OCTOBER))
    errors = refused(accounts[0].organization, data)
    assert len(errors) == 1
    assert errors[0].startswith("Файл не соответствует схеме ГИС ЖКХ 16.3.0.0: ")
    assert "PaymentDocumentID" in errors[0]


def test_a_file_of_another_export_is_refused():
    with pytest.raises(IdentifierImportError, match="не выгрузка платёжных документов"):
        state_result(parse_xml(b"<exportPaymentDocResult/>"), "bills", "exportPaymentDocResult",
                     "не выгрузка платёжных документов")  # fmt: skip


def test_an_account_whose_guid_is_not_imported_is_found_by_its_number(accounts):
    GisAccount.objects.filter(account=accounts[0]).delete()
    data = document_export(payment_document(GUID_3, IPD_1, OCTOBER, account_number="154"))
    import_identifiers_file(accounts[0].organization, data)
    assert stored() == {("154", OCTOBER): IPD_1}


def test_an_unknown_account_guid_without_a_number_asks_for_the_accounts_import(accounts):
    data = document_export(payment_document(GUID_3, IPD_1, OCTOBER))
    assert refused(accounts[0].organization, data) == [
        f"Документ 1 (ИПД {IPD_1}): лицевого счёта с идентификатором «{GUID_3}» в организации "
        "нет: загрузите сначала идентификаторы лицевых счетов (exportAccountData)"
    ]


def test_an_account_guid_and_a_number_naming_two_accounts_are_refused(accounts):
    data = document_export(payment_document(GUID_1, IPD_1, OCTOBER, account_number="155"))
    assert refused(accounts[0].organization, data) == [
        f"Документ 1 (ИПД {IPD_1}): идентификатор ЛС указывает на лицевой счёт № 154, "
        "а номер — на № 155"
    ]


def test_an_account_of_another_organisation_is_not_found(accounts):
    stranger = PersonalAccountFactory(number="999")
    GisAccount.objects.create(account=stranger, account_guid=GUID_3)
    data = document_export(payment_document(GUID_3, IPD_1, OCTOBER))
    assert "в организации нет" in refused(accounts[0].organization, data)[0]


def test_a_document_without_its_month_takes_the_month_chosen_on_upload(accounts):
    organization = accounts[0].organization
    data = document_export(payment_document(GUID_1, IPD_1))
    assert refused(organization, data) == [
        f"Документ 1 (ИПД {IPD_1}): не указан расчётный период: выберите его при загрузке файла"
    ]
    import_identifiers_file(organization, data, month=NOVEMBER)
    assert stored() == {("154", NOVEMBER): IPD_1}


def test_a_month_without_a_period_in_the_organisation_is_refused(accounts):
    data = document_export(payment_document(GUID_1, IPD_1, datetime.date(2026, 9, 1)))
    assert refused(accounts[0].organization, data) == [
        f"Документ 1 (ИПД {IPD_1}): периода «сентябрь 2026» в организации нет"
    ]


def test_one_identifier_for_two_documents_of_the_file_is_refused(accounts):
    data = document_export(
        payment_document(GUID_1, IPD_1, OCTOBER), payment_document(GUID_2, IPD_1, OCTOBER)
    )
    assert refused(accounts[0].organization, data) == [
        f"Документ 2 (ИПД {IPD_1}): ИПД «{IPD_1}» в файле уже у другого документа "
        f"(Документ 1 (ИПД {IPD_1}))"
    ]


def test_two_identifiers_for_one_document_of_the_file_are_refused(accounts):
    data = document_export(
        payment_document(GUID_1, IPD_1, OCTOBER), payment_document(GUID_1, IPD_2, OCTOBER)
    )
    assert refused(accounts[0].organization, data) == [
        f"Документ 2 (ИПД {IPD_2}): у документа ЛС № 154 за октябрь 2026 в файле уже другой "
        f"ИПД (Документ 1 (ИПД {IPD_1}))"
    ]


def test_an_identifier_of_a_document_the_file_leaves_alone_names_that_document(accounts):
    first, second = accounts
    november = first.organization.periods.get(month=NOVEMBER)
    PaymentDocumentId.objects.create(account=second, period=november, value=IPD_1)
    data = document_export(payment_document(GUID_1, IPD_1, OCTOBER))
    with pytest.raises(IdentifierImportError) as error:
        import_identifiers_file(first.organization, data)
    assert error.value.errors == [
        f"Документ 1 (ИПД {IPD_1}): ИПД «{IPD_1}» уже у документа ЛС № 155 за ноябрь 2026"
    ]


def test_an_identifier_of_another_organisation_names_nothing_of_it(accounts):
    secret = ChargeFactory(account=PersonalAccountFactory(number="777-СЕКРЕТ"))
    PaymentDocumentId.objects.create(account=secret.account, period=secret.period, value=IPD_1)
    data = document_export(payment_document(GUID_1, IPD_1, OCTOBER))
    with pytest.raises(IdentifierImportError) as error:
        import_identifiers_file(accounts[0].organization, data)
    assert error.value.errors == [
        f"Документ 1 (ИПД {IPD_1}): ИПД «{IPD_1}» уже указан в другой организации"
    ]
    assert "777" not in error.value.errors[0]


def test_a_document_may_get_a_new_identifier_and_two_may_swap_theirs(accounts):
    organization = accounts[0].organization
    import_identifiers_file(
        organization,
        document_export(
            payment_document(GUID_1, IPD_1, OCTOBER), payment_document(GUID_2, IPD_2, OCTOBER)
        ),
    )
    swapped = document_export(
        payment_document(GUID_1, IPD_2, OCTOBER), payment_document(GUID_2, IPD_1, OCTOBER)
    )
    assert import_identifiers_file(organization, swapped).changed == 2
    assert stored() == {("154", OCTOBER): IPD_2, ("155", OCTOBER): IPD_1}
    reissued = document_export(payment_document(GUID_1, IPD_3, OCTOBER))
    assert import_identifiers_file(organization, reissued).changed == 1
    assert stored()[("154", OCTOBER)] == IPD_3
    replaced = AuditEntry.objects.filter(action=AuditAction.GIS_IDENTIFIERS_IMPORT).latest("pk")
    assert replaced.changes["value"] == [IPD_2, IPD_3]


def test_the_spreadsheet_register_is_read_by_its_header_names(accounts):
    data = write_xlsx(
        ["№", "Номер ЛС", "Идентификатор платёжного документа", "Расчётный период"],
        [[1, "154", IPD_1, OCTOBER], [2, "155", IPD_2, "ноябрь 2026"]],
        "Платёжные документы",
    )
    assert import_identifiers_file(accounts[0].organization, data).changed == 2
    assert stored() == {("154", OCTOBER): IPD_1, ("155", NOVEMBER): IPD_2}


def test_a_register_row_is_named_by_its_line(accounts):
    data = f"ИПД;Идентификатор ЛС;Период\n{IPD_1};{GUID_1};10.2026\n{IPD_2};{GUID_2};13.2026\n"
    assert refused(accounts[0].organization, data.encode()) == [
        "Строка 3: расчётный период «13.2026» — не месяц (нужно ММ.ГГГГ)"
    ]


def test_a_register_without_the_accounts_column_is_refused_naming_its_columns(accounts):
    data = f"ИПД;Адрес\n{IPD_1};ул. Ленина, 1\n".encode()
    assert refused(accounts[0].organization, data) == [
        "Заголовки файла не совпадают с реестром платёжных документов ГИС ЖКХ: нет «Номер ЛС» "
        "или «Идентификатор ЛС»; столбцы файла: «ИПД», «Адрес»."
    ]


@pytest.mark.parametrize(
    "text", ["10.2026", "2026-10", "01.10.2026", "2026-10-01", "Октябрь 2026", " октябрь  2026"]
)
def test_a_period_is_read_as_people_and_spreadsheets_write_it(text):
    assert parse_period(text) == OCTOBER


def test_staff_upload_the_register_with_the_month_it_does_not_name(client, accounts):
    organization = accounts[0].organization
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    data = f"Номер ЛС;ИПД\n154;{IPD_1}\n".encode()
    response = client.post(
        reverse("backoffice:gisgkh"),
        {
            "organization": organization.pk,
            "file": SimpleUploadedFile("ipd.csv", data),
            "month": "2026-10",
        },
        follow=True,
    )
    assert "изменено платёжных документов: 1" in response.content.decode()
    assert stored() == {("154", OCTOBER): IPD_1}


def test_staff_of_another_organisation_cannot_import_into_it(client, accounts):
    client.force_login(staff_user(PersonalAccountFactory().organization, StaffRole.MANAGER))
    data = f"Номер ЛС;ИПД;Период\n154;{IPD_1};10.2026\n".encode()
    response = client.post(
        reverse("backoffice:gisgkh"),
        {"organization": accounts[0].organization.pk, "file": SimpleUploadedFile("i.csv", data)},
    )
    assert response.status_code == 200  # the form refuses an organisation not theirs
    assert not PaymentDocumentId.objects.exists()
