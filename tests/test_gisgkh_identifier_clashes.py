"""Clashes of the identifiers ГИС ЖКХ assigned, found before anything is written: within the
file, with the organisation's other records (named) and with another organisation's (told
without naming anything of it); the orgPPAGUID of another organisation refused with a clear
error; and every change of these identifiers kept in the audit log."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.gisgkh import identifiers, services
from kabinet.gisgkh.identifiers import IdentifierImportError, import_account_identifiers
from kabinet.gisgkh.identifiers import parse_account_export as parse
from kabinet.gisgkh.models import GisAccount, GisMeter, GisOrganization
from kabinet.gisgkh.services import SettingsError, import_identifiers_file, set_org_ppa_guid
from kabinet.orgs.models import StaffRole
from tests.factories import MeterFactory, PersonalAccountFactory, staff_user
from tests.gisgkh_samples import (
    GUID_1,
    GUID_2,
    GUID_3,
    account_result,
    export_xml,
    meter_result,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return PersonalAccountFactory(number="154")


@pytest.fixture
def stranger():
    """An account of another organisation, holding identifiers of its own."""
    stranger = PersonalAccountFactory(number="777-СЕКРЕТ", gis_service_id="75АБ099999-01")
    GisAccount.objects.create(account=stranger, account_guid=GUID_2)
    return stranger


def imports():
    return AuditEntry.objects.filter(action=AuditAction.GIS_IDENTIFIERS_IMPORT)


def refused(organization, data) -> list[str]:
    with pytest.raises(IdentifierImportError) as error:
        import_identifiers_file(organization, data)
    return error.value.errors


# --- accounts ------------------------------------------------------------------------------


def test_an_account_guid_of_another_organisation_is_a_clash_that_names_nothing_of_it(
    account, stranger
):
    errors = refused(
        account.organization, export_xml(account_result("154", "75АБ012345", "", GUID_2))
    )
    assert errors == [
        f"Счёт 1 (ЛС 154): идентификатор ЛС «{GUID_2}» уже указан в другой организации"
    ]
    assert "777" not in " ".join(errors)
    account.refresh_from_db()
    assert account.unified_account is None
    assert GisAccount.objects.get().account == stranger


def test_a_service_id_of_another_organisation_is_a_clash_that_names_nothing_of_it(
    account, stranger
):
    data = export_xml(account_result("154", "75АБ012345", "75АБ099999-01", GUID_1))
    errors = refused(account.organization, data)
    assert errors == [
        "Счёт 1 (ЛС 154): идентификатор ЖКУ «75АБ099999-01» уже указан в другой организации"
    ]
    assert not GisAccount.objects.filter(account=account).exists()


def test_an_identifier_of_the_organisations_own_account_names_that_account(account):
    PersonalAccountFactory(
        number="155", organization=account.organization, gis_service_id="75АБ012345-01"
    )
    data = export_xml(account_result("154", "75АБ012345", "75АБ012345-01", GUID_1))
    assert refused(account.organization, data) == [
        "Счёт 1 (ЛС 154): идентификатор ЖКУ «75АБ012345-01» уже у лицевого счёта № 155"
    ]


def test_an_import_of_accounts_is_audited_per_account_changed(account):
    organization = account.organization
    operator = staff_user(organization, StaffRole.OPERATOR)
    data = export_xml(account_result("154", "75АБ012345", "75АБ012345-01", GUID_1))
    import_identifiers_file(organization, data, by=operator, ip="192.0.2.7")
    entry = imports().get()
    assert (entry.action, entry.organization, entry.actor, entry.ip) == (
        AuditAction.GIS_IDENTIFIERS_IMPORT,
        organization,
        operator,
        "192.0.2.7",
    )
    assert entry.object_repr == "ЛС № 154"
    assert entry.changes == {
        "unified_account": [None, "75АБ012345"],
        "gis_service_id": [None, "75АБ012345-01"],
        "account_guid": [None, GUID_1],
    }
    import_identifiers_file(organization, data, by=operator)
    assert imports().count() == 1  # the same file changes nothing, logs nothing
    moved = export_xml(account_result("154", "75АБ012346", "75АБ012345-01", GUID_1))
    import_account_identifiers(organization, parse(moved), by=operator)
    assert imports().latest("pk").changes == {"unified_account": ["75АБ012345", "75АБ012346"]}


def test_a_refused_import_logs_nothing(account, stranger):
    refused(account.organization, export_xml(account_result("154", "75АБ012345", "", GUID_2)))
    assert not imports().exists()


# --- meters --------------------------------------------------------------------------------


@pytest.fixture
def meters(account):
    return (
        MeterFactory(account=account, serial_number="A-1"),
        MeterFactory(account=account, serial_number="B-2"),
    )


def test_one_guid_for_two_meters_of_the_file_names_the_second_and_imports_nothing(account, meters):
    data = export_xml(meter_result("A-1", GUID_1), meter_result("B-2", GUID_1))
    assert refused(account.organization, data) == [
        f"Прибор 2 (№ B-2): идентификатор ПУ «{GUID_1}» в файле уже у другого прибора "
        "(Прибор 1 (№ A-1))"
    ]
    assert not GisMeter.objects.exists()


def test_one_serial_number_with_two_guids_is_refused(account, meters):
    data = export_xml(meter_result("A-1", GUID_1), meter_result("A-1", GUID_2))
    assert refused(account.organization, data) == [
        "Прибор 2 (№ A-1): у прибора № A-1 в файле уже другой идентификатор ПУ "
        f"(Прибор 1 (№ A-1), «{GUID_1}»)"
    ]
    assert not GisMeter.objects.exists()


def test_a_meter_repeated_with_the_same_guid_is_imported_once(account, meters):
    data = export_xml(meter_result("A-1", GUID_1), meter_result("A-1", GUID_1))
    outcome = import_identifiers_file(account.organization, data)
    assert (outcome.rows, outcome.changed, outcome.label) == (2, 1, "приборов учёта")


def test_two_meters_may_swap_their_guids(account, meters):
    organization = account.organization
    import_identifiers_file(
        organization, export_xml(meter_result("A-1", GUID_1), meter_result("B-2", GUID_2))
    )
    swapped = export_xml(meter_result("A-1", GUID_2), meter_result("B-2", GUID_1))
    assert import_identifiers_file(organization, swapped).changed == 2
    assert {gis.meter.serial_number: str(gis.root_guid) for gis in GisMeter.objects.all()} == {
        "A-1": GUID_2,
        "B-2": GUID_1,
    }
    assert import_identifiers_file(organization, swapped).changed == 0


def test_a_guid_of_a_meter_the_file_leaves_alone_is_named_by_its_serial(account, meters):
    GisMeter.objects.create(meter=meters[1], root_guid=GUID_1)
    assert refused(account.organization, export_xml(meter_result("A-1", GUID_1))) == [
        f"Прибор 1 (№ A-1): идентификатор ПУ «{GUID_1}» уже у прибора № B-2, которого нет в файле"
    ]


def test_a_guid_of_another_organisations_meter_names_nothing_of_it(account, meters):
    secret = MeterFactory(serial_number="ЧУЖОЙ-9")
    GisMeter.objects.create(meter=secret, root_guid=GUID_3)
    errors = refused(account.organization, export_xml(meter_result("A-1", GUID_3)))
    assert errors == [
        f"Прибор 1 (№ A-1): идентификатор ПУ «{GUID_3}» уже указан в другой организации"
    ]
    assert not GisMeter.objects.filter(meter=meters[0]).exists()


def test_a_meter_of_another_organisation_is_not_found_by_its_serial(account, meters):
    MeterFactory(serial_number="ЧУЖОЙ-9")
    assert refused(account.organization, export_xml(meter_result("ЧУЖОЙ-9", GUID_3))) == [
        "Прибор 1 (№ ЧУЖОЙ-9): такого прибора в организации нет"
    ]


def test_an_import_of_meters_is_audited_per_meter_changed(account, meters):
    operator = staff_user(account.organization, StaffRole.OPERATOR)
    GisMeter.objects.create(meter=meters[0], root_guid=GUID_1)
    data = export_xml(meter_result("A-1", GUID_2), meter_result("B-2", GUID_1))
    import_identifiers_file(account.organization, data, by=operator, ip="192.0.2.8")
    entries = {entry.object_repr: entry for entry in imports()}
    assert set(entries) == {str(meters[0]), str(meters[1])}
    assert entries[str(meters[0])].changes == {"root_guid": [GUID_1, GUID_2]}
    assert entries[str(meters[1])].changes == {"root_guid": [None, GUID_1]}
    assert entries[str(meters[1])].actor == operator


# --- the organisation's orgPPAGUID ---------------------------------------------------------


def test_an_org_ppa_guid_of_another_organisation_is_refused_in_words(account, stranger):
    set_org_ppa_guid(stranger.organization, GUID_1)
    with pytest.raises(SettingsError, match="уже указан для другой организации"):
        set_org_ppa_guid(account.organization, GUID_1)
    assert not GisOrganization.objects.filter(organization=account.organization).exists()


def test_the_page_says_the_org_ppa_guid_is_taken_instead_of_failing(client, account, stranger):
    set_org_ppa_guid(stranger.organization, GUID_1)
    client.force_login(staff_user(account.organization, StaffRole.MANAGER))
    response = client.post(
        reverse("backoffice:gisgkh_organization"),
        {"organization": account.organization.pk, "org_ppa_guid": GUID_1},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "уже указан для другой организации" in page
    assert stranger.organization.name not in page
    assert not GisOrganization.objects.filter(organization=account.organization).exists()


def test_setting_and_changing_the_org_ppa_guid_is_audited(client, account):
    organization = account.organization
    manager = staff_user(organization, StaffRole.MANAGER)
    client.force_login(manager)
    url = reverse("backoffice:gisgkh_organization")
    client.post(url, {"organization": organization.pk, "org_ppa_guid": GUID_1})
    client.post(url, {"organization": organization.pk, "org_ppa_guid": GUID_1})  # no change
    client.post(url, {"organization": organization.pk, "org_ppa_guid": GUID_2})
    entries = list(AuditEntry.objects.filter(object_type="gisgkh.gisorganization").order_by("pk"))
    assert [(e.action, e.changes) for e in entries] == [
        (AuditAction.ADDED, {"org_ppa_guid": [None, GUID_1]}),
        (AuditAction.CHANGED, {"org_ppa_guid": [GUID_1, GUID_2]}),
    ]
    assert {(e.actor, e.organization) for e in entries} == {(manager, organization)}


def test_a_manager_of_another_organisation_cannot_set_its_guid(client, account, stranger):
    client.force_login(staff_user(stranger.organization, StaffRole.MANAGER))
    client.post(
        reverse("backoffice:gisgkh_organization"),
        {"organization": account.organization.pk, "org_ppa_guid": GUID_1},
    )
    assert not GisOrganization.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.ADDED).exists()


def test_an_operator_of_another_organisation_cannot_import_into_it(client, account, stranger):
    client.force_login(staff_user(stranger.organization, StaffRole.OPERATOR))
    data = "Номер ЛС;ЕЛС\n154;75АБ012345\n".encode()
    response = client.post(
        reverse("backoffice:gisgkh"),
        {"organization": account.organization.pk, "file": SimpleUploadedFile("r.csv", data)},
    )
    assert response.status_code == 200  # the form refuses an organisation not theirs
    account.refresh_from_db()
    assert account.unified_account is None


# --- a value taken by another import between the check and the write -----------------------


def test_a_guid_taken_after_the_check_refuses_the_file_instead_of_failing(
    account, stranger, monkeypatch
):
    monkeypatch.setattr(identifiers, "_held_elsewhere", lambda *args: [])
    data = export_xml(account_result("154", "75АБ012345", "", GUID_2))
    assert refused(account.organization, data) == [
        "Идентификаторы из файла только что изменила другая загрузка: загрузите файл ещё раз."
    ]
    account.refresh_from_db()
    assert account.unified_account is None
    assert not imports().exists()


def test_an_org_ppa_guid_taken_after_the_check_is_refused_in_words(account, stranger, monkeypatch):
    set_org_ppa_guid(stranger.organization, GUID_1)
    monkeypatch.setattr(services, "org_ppa_guid_taken", lambda *args: False)
    with pytest.raises(SettingsError, match="уже указан для другой организации"):
        set_org_ppa_guid(account.organization, GUID_1)
    assert not GisOrganization.objects.filter(organization=account.organization).exists()
