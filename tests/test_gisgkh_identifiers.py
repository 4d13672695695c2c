"""Importing the identifiers ГИС ЖКХ assigned to accounts: from the XML result of
exportAccountData and from the spreadsheet registry of its web interface; all or nothing, and
a second import of the same file changes nothing."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kabinet.gisgkh.identifiers import (
    IdentifierImportError,
    import_account_identifiers,
    parse_account_export,
    parse_account_registry,
    parse_xml,
)
from kabinet.gisgkh.models import GisAccount, GisMeter, GisOrganization
from kabinet.gisgkh.schemas import schema_errors
from kabinet.gisgkh.services import import_identifiers_file
from kabinet.orgs.models import StaffRole
from kabinet.tabular import write_xlsx
from tests.factories import MeterFactory, PersonalAccountFactory, staff_user
from tests.gisgkh_samples import GUID_1, GUID_2, account_result, export_xml, meter_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    first = PersonalAccountFactory(number="154")
    second = PersonalAccountFactory(number="155", organization=first.organization)
    return first, second


def test_the_xml_export_fills_the_accounts_identifiers(accounts):
    first, second = accounts
    rows = parse_account_export(
        export_xml(
            account_result("154", "75АБ012345", "75АБ012345-01", GUID_1),
            account_result("155", "75АБ012346", "75АБ012346-01", GUID_2),
        )
    )
    outcome = import_account_identifiers(first.organization, rows)
    assert (outcome.rows, outcome.changed) == (2, 2)
    first.refresh_from_db()
    assert (first.unified_account, first.gis_service_id) == ("75АБ012345", "75АБ012345-01")
    assert str(first.gis.account_guid) == GUID_1
    assert str(GisAccount.objects.get(account=second).account_guid) == GUID_2


def test_the_same_file_twice_changes_nothing_the_second_time(accounts):
    data = export_xml(account_result("154", "75АБ012345", "75АБ012345-01", GUID_1))
    import_account_identifiers(accounts[0].organization, parse_account_export(data))
    outcome = import_account_identifiers(accounts[0].organization, parse_account_export(data))
    assert outcome.changed == 0
    assert GisAccount.objects.count() == 1


def test_a_bad_row_is_named_and_nothing_is_imported(accounts):
    rows = parse_account_export(
        export_xml(
            account_result("154", "75АБ012345", "75АБ012345-01", GUID_1),
            account_result("155", "75АБ 12346", "75АБ012346-01", GUID_2),
        )
    )
    with pytest.raises(IdentifierImportError) as refused:
        import_account_identifiers(accounts[0].organization, rows)
    assert any(e.startswith("Счёт 2 (ЛС 155)") and "пробелов" in e for e in refused.value.errors)
    accounts[0].refresh_from_db()
    assert accounts[0].unified_account is None
    assert not GisAccount.objects.exists()


def test_an_account_of_another_organisation_is_not_found(accounts):
    stranger = PersonalAccountFactory(number="999")
    rows = parse_account_export(export_xml(account_result("999", "75АБ012345", "", GUID_1)))
    with pytest.raises(IdentifierImportError, match="лицевого счёта «999» нет"):
        import_account_identifiers(accounts[0].organization, rows)
    stranger.refresh_from_db()
    assert stranger.unified_account is None


def test_one_service_id_given_to_two_accounts_is_refused(accounts):
    rows = parse_account_export(
        export_xml(
            account_result("154", "75АБ012345", "75АБ012345-01", GUID_1),
            account_result("155", "75АБ012346", "75АБ012345-01", GUID_2),
        )
    )
    with pytest.raises(IdentifierImportError, match="уже указан в файле"):
        import_account_identifiers(accounts[0].organization, rows)


def test_identifiers_may_move_between_the_accounts_of_one_file(accounts):
    organization = accounts[0].organization
    import_account_identifiers(
        organization,
        parse_account_export(
            export_xml(
                account_result("154", "75АБ012345", "75АБ012345-01", GUID_1),
                account_result("155", "75АБ012346", "75АБ012346-01", GUID_2),
            )
        ),
    )
    swapped = export_xml(
        account_result("154", "75АБ012346", "75АБ012346-01", GUID_2),
        account_result("155", "75АБ012345", "75АБ012345-01", GUID_1),
    )
    assert import_account_identifiers(organization, parse_account_export(swapped)).changed == 2
    accounts[0].refresh_from_db()
    assert accounts[0].gis_service_id == "75АБ012346-01"


def test_the_sample_exports_are_valid_by_the_schema():
    accounts = export_xml(account_result("154", "75АБ012345", "75АБ012345-01", GUID_1))
    meters = export_xml(meter_result("XB-1", GUID_2), envelope=True)
    assert schema_errors(parse_xml(accounts), "house-management") == []
    assert schema_errors(parse_xml(meters)[1][0], "house-management") == []


def test_an_account_export_breaking_the_schema_is_refused_naming_line_and_element(accounts):
    data = export_xml(
        account_result("154", "75АБ012345", "75АБ012345-01", GUID_1),
        account_result("155", "75АБ012346", "75АБ01234601", "not-a-guid"),
    ).replace(b"><", b">\n<")
    with pytest.raises(IdentifierImportError) as refused:
        import_identifiers_file(accounts[0].organization, data)
    assert refused.value.errors == [
        "Файл не соответствует схеме ГИС ЖКХ 16.3.0.0: строка 17, "
        "getStateResult/exportAccountResult[2]/AccountGUID: "
        "значение «not-a-guid» не соответствует образцу схемы",
        "Файл не соответствует схеме ГИС ЖКХ 16.3.0.0: строка 19, "
        "getStateResult/exportAccountResult[2]/ServiceID: "
        "значение «75АБ01234601» должно быть длиной 13 символов",
    ]
    accounts[0].refresh_from_db()
    assert accounts[0].unified_account is None
    assert not GisAccount.objects.exists()


def test_a_meter_export_breaking_the_schema_is_refused_and_nothing_is_imported(accounts):
    MeterFactory(account=accounts[0], serial_number="XB-000154")
    data = export_xml(meter_result("XB-000154", GUID_2)).replace(
        b"<hm:StatusRootDoc>Active", b"<hm:StatusRootDoc>Archived"
    )
    with pytest.raises(IdentifierImportError) as refused:
        import_identifiers_file(accounts[0].organization, data)
    [error] = refused.value.errors
    assert "exportMeteringDeviceDataResult/StatusRootDoc" in error
    assert not GisMeter.objects.exists()


def test_an_export_in_its_soap_envelope_is_read(accounts):
    data = export_xml(account_result("154", "75АБ012345", "", GUID_1), envelope=True)
    assert import_identifiers_file(accounts[0].organization, data).changed == 1


def test_a_file_that_is_not_the_export_is_refused():
    with pytest.raises(IdentifierImportError, match="exportAccountResult"):
        parse_account_export(b"<root/>")
    with pytest.raises(IdentifierImportError, match="DOCTYPE"):
        parse_account_export(b'<!DOCTYPE x [<!ENTITY a "b">]><root>&a;</root>')


def test_the_spreadsheet_registry_is_read_by_its_header_names(accounts):
    data = write_xlsx(
        ["№", "Идентификатор ЖКУ", "Номер ЛС", "Единый лицевой счёт", "Идентификатор ЛС"],
        [[1, "75АБ012345-01", "154", "75АБ012345", GUID_1]],
        "Реестр",
    )
    outcome = import_account_identifiers(accounts[0].organization, parse_account_registry(data))
    assert outcome.changed == 1
    accounts[0].refresh_from_db()
    assert accounts[0].gis_service_id == "75АБ012345-01"
    assert str(accounts[0].gis.account_guid) == GUID_1


def test_a_registry_with_other_headers_is_refused_naming_them():
    data = "Лицевой номер;ЕЛС ГИС\n154;75АБ012345\n".encode()
    with pytest.raises(IdentifierImportError) as refused:
        parse_account_registry(data)
    message = refused.value.errors[0]
    assert "нет «Номер ЛС»" in message
    assert "«Лицевой номер», «ЕЛС ГИС»" in message


def test_a_bad_registry_row_is_named_by_its_line(accounts):
    data = "Номер ЛС;ЕЛС;Идентификатор ЖКУ\n154;75АБ012345;75АБ012345-01\n155;75АБ01;\n"
    with pytest.raises(IdentifierImportError) as refused:
        import_account_identifiers(
            accounts[0].organization, parse_account_registry(data.encode("cp1251"))
        )
    assert refused.value.errors == [
        "Строка 3: Единый лицевой счёт ГИС ЖКХ состоит из 10 знаков, здесь 6."
    ]
    assert not GisAccount.objects.exists()


def test_guids_are_compared_whatever_their_case(accounts):
    upper = export_xml(account_result("154", "75АБ012345", "", GUID_1.upper()))
    import_account_identifiers(accounts[0].organization, parse_account_export(upper))
    lower = export_xml(account_result("154", "75АБ012345", "", GUID_1))
    assert (
        import_account_identifiers(accounts[0].organization, parse_account_export(lower)).changed
        == 0
    )
    assert GisAccount.objects.get().account_guid == uuid.UUID(GUID_1)


def test_staff_import_the_registry_and_see_the_guid_on_the_account_card(client, accounts):
    client.force_login(staff_user(accounts[0].organization, StaffRole.OPERATOR))
    data = f"Номер ЛС;ЕЛС;Идентификатор ЛС\n154;75АБ012345;{GUID_1}\n".encode()
    response = client.post(
        reverse("backoffice:gisgkh"),
        {"organization": accounts[0].organization.pk, "file": SimpleUploadedFile("r.csv", data)},
    )
    assert response.status_code == 302
    card = client.get(reverse("admin:housing_personalaccount_change", args=[accounts[0].pk]))
    assert GUID_1 in card.content.decode()
    page = client.get(reverse("backoffice:gisgkh")).content.decode()
    assert "Заполненность идентификаторов" in page


def test_the_staff_page_names_the_bad_rows(client, accounts):
    client.force_login(staff_user(accounts[0].organization, StaffRole.MANAGER))
    data = "Номер ЛС;ЕЛС\n154;75АБ01\n".encode()
    response = client.post(
        reverse("backoffice:gisgkh"),
        {"organization": accounts[0].organization.pk, "file": SimpleUploadedFile("r.csv", data)},
    )
    assert "Строка 2: Единый лицевой счёт ГИС ЖКХ состоит из 10 знаков" in response.content.decode()


def test_the_manager_sets_the_organisations_guid_and_an_operator_may_not(client, accounts):
    organization = accounts[0].organization
    url = reverse("backoffice:gisgkh_organization")
    data = {"organization": organization.pk, "org_ppa_guid": GUID_1}
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    assert client.post(url, data).status_code == 403
    client.force_login(staff_user(organization, StaffRole.MANAGER))
    assert client.post(url, data).status_code == 302
    assert str(GisOrganization.objects.get(organization=organization).org_ppa_guid) == GUID_1
    assert GUID_1 in client.get(reverse("backoffice:gisgkh")).content.decode()


def test_meter_guids_come_from_the_metering_device_export(accounts):
    meter = MeterFactory(account=accounts[0], serial_number="XB-000154")
    data = export_xml(meter_result("XB-000154", GUID_2))
    outcome = import_identifiers_file(accounts[0].organization, data)
    assert (outcome.rows, outcome.changed) == (1, 1)
    assert str(GisMeter.objects.get(meter=meter).root_guid) == GUID_2
    assert import_identifiers_file(accounts[0].organization, data).changed == 0


def test_an_unknown_meter_is_named_and_nothing_is_imported(accounts):
    MeterFactory(account=accounts[0], serial_number="XB-000154")
    data = export_xml(meter_result("XB-000154", GUID_2), meter_result("NO-SUCH", GUID_1))
    with pytest.raises(IdentifierImportError) as refused:
        import_identifiers_file(accounts[0].organization, data)
    assert refused.value.errors == ["Прибор 2 (№ NO-SUCH): такого прибора в организации нет"]
    assert not GisMeter.objects.exists()
