"""The exports of accounts and meters through the exchange: exportMeteringDeviceData and
exportAccountData are sent and polled by the job against the fake service (tests/gisgkh_fake.py),
and the result that comes back is imported into the identifiers by the same code as an uploaded
file — audited, all or nothing, the same result twice changing nothing — and its outcome is on
the «ГИС ЖКХ» page."""

import pytest
from django.urls import reverse

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.gisgkh import exchange, sending
from kabinet.gisgkh.models import Exchange, ExchangeState, GisAccount, GisMeter, GisOrganization
from kabinet.jobs.models import JobStatus
from kabinet.orgs.models import StaffRole
from tests.factories import MeterFactory, PersonalAccountFactory, staff_user
from tests.gisgkh_fake import FakeGis
from tests.gisgkh_samples import GUID_1, GUID_2, GUID_3

pytestmark = pytest.mark.django_db(transaction=True)

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"
HOUSE = "9a8b7c6d-1111-4222-8333-444455556666"
METERS = "exportMeteringDeviceData"
ACCOUNTS = "exportAccountData"


@pytest.fixture
def fake(settings, monkeypatch):
    monkeypatch.setattr(exchange.time, "sleep", lambda seconds: None)
    with FakeGis() as server:
        settings.GISGKH_URL, settings.GISGKH_SIGNER = server.url, "none"
        yield server


@pytest.fixture
def account():
    account = PersonalAccountFactory(number="154", unified_account="75АБ012345")
    GisOrganization.objects.create(organization=account.organization, org_ppa_guid=ORG)
    return account


def refresh(job):
    job.refresh_from_db()
    return job


def test_the_meters_request_is_sent_and_its_result_fills_the_meters_guids(fake, account):
    meter = MeterFactory(account=account, serial_number="XB-000154")
    fake.meters = {HOUSE: [("XB-000154", GUID_2, GUID_1)]}
    user = staff_user(account.organization, StaffRole.OPERATOR)
    job = refresh(sending.start_posting(account.organization, METERS, None, houses=[HOUSE],
                                        user=user))  # fmt: skip
    assert job.status == JobStatus.SUCCEEDED, job.problems
    assert fake.actions == [METERS, "getState"]
    sent = Exchange.objects.get()
    assert sent.state == ExchangeState.DONE
    assert sent.outcome == "Загружено: записей 1, изменено приборов учёта: 1."
    assert str(GisMeter.objects.get(meter=meter).root_guid) == GUID_2
    entry = AuditEntry.objects.get(action=AuditAction.GIS_IDENTIFIERS_IMPORT)
    assert entry.actor == user
    assert entry.changes == {"root_guid": [None, GUID_2]}


def test_the_accounts_result_is_imported_and_the_same_result_twice_changes_nothing(fake, account):
    fake.accounts = {"75АБ012345": ("154", GUID_1, "75АБ012345-01")}
    organization = account.organization
    assert refresh(sending.start_posting(organization, ACCOUNTS, None)).status == (
        JobStatus.SUCCEEDED
    )
    account.refresh_from_db()
    assert (str(account.gis.account_guid), account.gis_service_id) == (GUID_1, "75АБ012345-01")
    audited = AuditEntry.objects.filter(action=AuditAction.GIS_IDENTIFIERS_IMPORT).count()
    assert audited == 1
    assert refresh(sending.start_posting(organization, ACCOUNTS, None)).status == (
        JobStatus.SUCCEEDED
    )
    second = Exchange.objects.order_by("pk").last()
    assert second.outcome == "Загружено: записей 1, изменено лицевых счетов: 0."
    assert AuditEntry.objects.filter(action=AuditAction.GIS_IDENTIFIERS_IMPORT).count() == 1
    assert GisAccount.objects.count() == 1


def test_a_result_with_a_bad_entry_imports_nothing_and_names_it(fake, account):
    MeterFactory(account=account, serial_number="XB-000154")
    fake.meters = {HOUSE: [("XB-000154", GUID_2, GUID_1), ("NO-SUCH", GUID_3, GUID_1)]}
    job = refresh(sending.start_posting(account.organization, METERS, None, houses=[HOUSE]))
    sent = Exchange.objects.get()
    assert sent.errors == ["Прибор 2 (№ NO-SUCH): такого прибора в организации нет"]
    assert sent.outcome.startswith("Идентификаторы не загружены")
    assert job.problems == sent.errors
    assert not GisMeter.objects.exists()


def test_nothing_found_is_the_services_refusal(fake, account):
    job = refresh(sending.start_posting(account.organization, METERS, None, houses=[HOUSE]))
    assert job.status == JobStatus.FAILED
    assert Exchange.objects.get().errors == ["INT002012: Нет объектов для экспорта"]


def test_staff_ask_for_a_houses_meters_and_see_the_outcome(client, fake, account):
    MeterFactory(account=account, serial_number="XB-000154")
    fake.meters = {HOUSE: [("XB-000154", GUID_2, GUID_1)]}
    client.force_login(staff_user(account.organization, StaffRole.OPERATOR))
    form = {"organization": account.organization.pk, "operation": METERS}
    page = client.post(reverse("backoffice:gisgkh_send"), {**form, "houses": "дом-1"})
    assert "ФИАС-идентификатор дома «дом-1» не является GUID" in page.content.decode()
    page = client.post(reverse("backoffice:gisgkh_send"), {**form, "houses": HOUSE})
    assert "Будет отправлено домов: <strong>1</strong>" in page.content.decode()
    response = client.post(reverse("backoffice:gisgkh_send"),
                           {**form, "houses": HOUSE, "confirm": "1"})  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("backoffice:gisgkh")).content.decode()
    assert "Запрос приборов учёта (exportMeteringDeviceData)" in page
    assert "Загружено: записей 1, изменено приборов учёта: 1." in page
    sent = Exchange.objects.get()
    page = client.get(reverse("backoffice:gisgkh_exchange", args=[sent.pk])).content.decode()
    assert "Итог загрузки" in page


def test_an_accountant_may_not_ask_for_the_meters(client, account):
    client.force_login(staff_user(account.organization, StaffRole.ACCOUNTANT))
    response = client.post(
        reverse("backoffice:gisgkh_send"),
        {"organization": account.organization.pk, "operation": METERS, "houses": HOUSE},
    )
    assert response.status_code == 403
