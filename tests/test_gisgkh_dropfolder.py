"""The folder-drop transport (GISGKH_TRANSPORT=folder) for an operator's own gateway: each
signed request is written whole to «out» under its own MessageGUID, once however often it is
written, and its result is read back from «in» under the same name — imported like any other
result; a Fault in the result refuses the message, a folder that cannot be written fails the
job naming it."""

import pytest

from kabinet.gisgkh import exchange, sending
from kabinet.gisgkh.dropfolder import FolderTransport
from kabinet.gisgkh.models import Exchange, ExchangeState, GisAccount, GisOrganization
from kabinet.gisgkh.postings import resume_posting
from kabinet.gisgkh.services import account_export_messages
from kabinet.jobs.models import JobStatus
from tests.factories import PersonalAccountFactory
from tests.gisgkh_samples import GUID_1, account_result, export_xml

pytestmark = pytest.mark.django_db(transaction=True)

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"
OPERATION = "exportAccountData"


@pytest.fixture
def folder(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(exchange.time, "sleep", lambda seconds: None)
    (tmp_path / "out").mkdir()
    (tmp_path / "in").mkdir()
    settings.GISGKH_TRANSPORT, settings.GISGKH_FOLDER = "folder", str(tmp_path)
    settings.GISGKH_URL, settings.GISGKH_SIGNER = "", "none"
    return tmp_path


@pytest.fixture
def organization():
    account = PersonalAccountFactory(number="154", unified_account="75АБ012345")
    GisOrganization.objects.create(organization=account.organization, org_ppa_guid=ORG)
    return account.organization


def refresh(job):
    job.refresh_from_db()
    return job


def test_a_request_goes_to_out_and_its_result_comes_back_from_in(folder, organization):
    job = refresh(sending.start_posting(organization, OPERATION, None))
    assert job.status == JobStatus.FAILED
    assert "ещё обрабатывает" in job.problems[-1]
    sent = Exchange.objects.get()
    assert sent.state == ExchangeState.SENT
    name = f"{sent.message_guid}.{OPERATION}.xml"
    assert [path.name for path in (folder / "out").iterdir()] == [name]
    assert (folder / "out" / name).read_bytes() == sent.envelope.encode()
    (folder / "in" / name).write_bytes(
        export_xml(account_result("154", "75АБ012345", "75АБ012345-01", GUID_1), envelope=True)
    )
    assert refresh(resume_posting(sent.posting)).status == JobStatus.SUCCEEDED
    sent.refresh_from_db()
    assert sent.state == ExchangeState.DONE
    assert sent.outcome == "Загружено: записей 1, изменено лицевых счетов: 1."
    assert str(GisAccount.objects.get().account_guid) == GUID_1
    assert len(list((folder / "out").iterdir())) == 1  # not written again


def test_a_request_written_twice_is_one_file_with_the_same_bytes(folder, organization):
    [message] = account_export_messages(organization)
    envelope, log = message.envelope(), lambda *args: None
    transport = FolderTransport(folder)
    assert transport.send(OPERATION, envelope, log) == message.message_guid
    assert transport.send(OPERATION, envelope, log) == message.message_guid
    [written] = (folder / "out").iterdir()
    assert written.read_bytes() == envelope


def test_a_fault_in_the_result_refuses_the_message(folder, organization):
    job = refresh(sending.start_posting(organization, OPERATION, None))
    sent = Exchange.objects.get()
    base = "http://dom.gosuslugi.ru/schema/integration/base/"
    (folder / "in" / f"{sent.message_guid}.{OPERATION}.xml").write_text(
        f'<Fault xmlns:base="{base}"><base:Fault><base:ErrorCode>INT002001</base:ErrorCode>'
        "<base:ErrorMessage>Неверная подпись</base:ErrorMessage></base:Fault></Fault>"
    )
    job = refresh(resume_posting(sent.posting))
    assert job.status == JobStatus.FAILED
    sent.refresh_from_db()
    assert (sent.state, sent.errors) == (ExchangeState.FAILED, ["INT002001: Неверная подпись"])


def test_a_folder_that_cannot_be_written_fails_the_job_naming_it(folder, organization):
    (folder / "out").rmdir()
    job = refresh(sending.start_posting(organization, OPERATION, None))
    assert job.status == JobStatus.FAILED
    assert f"Запрос не записан в папку {folder / 'out'}" in job.problems[-1]
    assert Exchange.objects.get().state == ExchangeState.PREPARED


def test_the_folder_transport_is_told_in_russian(settings):
    settings.GISGKH_TRANSPORT, settings.GISGKH_FOLDER, settings.GISGKH_URL = "folder", "", ""
    settings.GISGKH_SIGNER = "none"
    state = sending.exchange_settings()
    assert state.problems == ["Не указана папка обмена (GISGKH_FOLDER): отправлять некуда."]
    settings.GISGKH_FOLDER = "/srv/gis"
    state = sending.exchange_settings()
    assert state.ready
    assert state.lines[0].endswith("папка (GISGKH_FOLDER): /srv/gis")
    settings.GISGKH_TRANSPORT = "ftp"
    assert sending.exchange_settings().problems == [
        "Неизвестный способ обмена GISGKH_TRANSPORT=«ftp»."
    ]
