"""The asynchronous exchange with ГИС ЖКХ end to end against a fake service on 127.0.0.1
(tests/gisgkh_fake.py): a posting's messages are stored, sent by a background job, followed by
getState to their result; transient failures are retried a bounded number of times, a message
sent again after a crash is not taken twice, and the log is seen only by the organisation's
staff."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.gisgkh import exchange
from kabinet.gisgkh.messages import SIGNED_ID
from kabinet.gisgkh.models import (
    Exchange,
    ExchangeState,
    GisMeter,
    GisOrganization,
    MessageLog,
    ResourceNsiItem,
)
from kabinet.gisgkh.postings import PostingError, prepare_posting, resume_posting
from kabinet.gisgkh.services import readings_messages
from kabinet.gisgkh.signing import NoSigner
from kabinet.gisgkh.transport import SoapTransport
from kabinet.jobs.models import JobStatus
from kabinet.metering.models import Resource
from kabinet.orgs.models import StaffRole
from tests.factories import MeterFactory, PersonalAccountFactory, ReadingFactory, staff_user
from tests.gisgkh_fake import FakeGis

pytestmark = pytest.mark.django_db(transaction=True)

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"
METERS = ["0f6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b", "1f6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"]
MONTH = datetime.date(2026, 10, 1)


@pytest.fixture
def fake(settings, monkeypatch):
    monkeypatch.setattr(exchange.time, "sleep", lambda seconds: None)
    with FakeGis() as server:
        settings.GISGKH_URL = server.url
        yield server


@pytest.fixture
def organization():
    account = PersonalAccountFactory(number="154")
    organization = account.organization
    GisOrganization.objects.create(organization=organization, org_ppa_guid=ORG)
    ResourceNsiItem.objects.create(
        organization=organization, resource=Resource.COLD_WATER, registry=2, code="1",
        guid="e2b2c1a0-0000-4000-8000-000000000001",
    )  # fmt: skip
    for number, guid in enumerate(METERS):
        meter = MeterFactory(account=account, serial_number=f"XB-{number}")
        GisMeter.objects.create(meter=meter, root_guid=guid)
        ReadingFactory(meter=meter, value=Decimal("123.450"))
    return organization


def post_readings(organization, **options):
    return prepare_posting(
        organization, "importMeteringDeviceValues", readings_messages(organization, MONTH),
        signer=NoSigner(), period=MONTH, **options,
    )  # fmt: skip


def refresh(job):
    job.refresh_from_db()
    return job


def test_readings_go_through_the_fake_service_by_the_job(fake, organization):
    fake.pending_polls = 2  # «в обработке» twice, then the result
    job = refresh(post_readings(organization))
    assert job.status == JobStatus.SUCCEEDED, job.problems
    [sent] = Exchange.objects.all()
    assert sent.state == ExchangeState.DONE
    assert str(sent.ack_guid) == fake.received[str(sent.message_guid)]
    assert sent.polls == 3
    assert fake.actions == ["importMeteringDeviceValues", "getState", "getState", "getState"]
    log = list(sent.log.values_list("direction", "action", "status"))
    assert log[:2] == [("out", "importMeteringDeviceValues", None),
                       ("in", "importMeteringDeviceValues", 200)]  # fmt: skip
    assert len(log) == 8
    assert "<base:RequestState>3</base:RequestState>" in sent.log.last().body
    assert job.subject == sent.posting


def test_a_meter_refused_is_named_and_the_rest_accepted(fake, organization):
    fake.device_errors = {METERS[1]: ("SRV008001", "Показание меньше предыдущего")}
    job = refresh(post_readings(organization))
    [sent] = Exchange.objects.all()
    assert sent.state == ExchangeState.DONE
    assert sent.errors == ["счётчик № XB-1: SRV008001 Показание меньше предыдущего"]
    assert job.problems == sent.errors


def test_a_message_refused_as_a_whole_fails_the_job(fake, organization):
    fake.message_error = ("INT002012", "Нет прав на размещение информации")
    job = refresh(post_readings(organization))
    assert job.status == JobStatus.FAILED
    assert Exchange.objects.get().state == ExchangeState.FAILED
    assert job.problems == ["INT002012: Нет прав на размещение информации"]


def test_a_fault_is_final_and_not_retried(fake, organization):
    fake.send_fault = ("INT002001", "Неверная подпись")
    job = refresh(post_readings(organization))
    assert job.status == JobStatus.FAILED
    assert fake.actions == ["importMeteringDeviceValues"]
    assert Exchange.objects.get().errors == ["INT002001: Неверная подпись"]


def test_a_transient_failure_is_retried_a_bounded_number_of_times(fake, organization):
    fake.unavailable = 2  # two 503s, then the service answers
    job = refresh(post_readings(organization))
    assert job.status == JobStatus.SUCCEEDED
    assert fake.actions[:3] == ["importMeteringDeviceValues"] * 3
    assert len(fake.received) == 1


def test_a_service_down_longer_fails_the_job_and_resuming_goes_on(fake, organization):
    fake.unavailable = exchange.SEND_ATTEMPTS
    job = refresh(post_readings(organization))
    assert job.status == JobStatus.FAILED
    assert "HTTP 503" in job.problems[-1]
    assert fake.actions == ["importMeteringDeviceValues"] * exchange.SEND_ATTEMPTS
    sent = Exchange.objects.get()
    assert sent.state == ExchangeState.PREPARED
    assert sent.log.filter(direction="in", status=503).count() == exchange.SEND_ATTEMPTS
    again = refresh(resume_posting(sent.posting))
    assert again.status == JobStatus.SUCCEEDED
    assert Exchange.objects.get().state == ExchangeState.DONE


def test_a_result_not_ready_in_time_is_asked_again_later_without_resending(fake, organization):
    fake.pending_polls = len(exchange.POLL_DELAYS) + 1
    job = refresh(post_readings(organization))
    assert job.status == JobStatus.FAILED
    assert "ещё обрабатывает" in job.problems[-1]
    sent = Exchange.objects.get()
    assert sent.state == ExchangeState.SENT
    assert refresh(resume_posting(sent.posting)).status == JobStatus.SUCCEEDED
    assert fake.actions.count("importMeteringDeviceValues") == 1


def test_a_message_sent_again_after_a_crash_is_taken_once(fake, organization, monkeypatch):
    # The first run crashes after the service took the message, before the ack was recorded.
    original = SoapTransport.send

    def crash(self, *args):
        original(self, *args)
        raise RuntimeError("процесс упал")

    monkeypatch.setattr(SoapTransport, "send", crash)
    crashed = refresh(post_readings(organization))
    assert crashed.status == JobStatus.FAILED
    assert crashed.problems == ["Внутренняя ошибка обмена с ГИС ЖКХ. Сообщите администратору."]
    sent = Exchange.objects.get()
    assert sent.ack_guid is None
    monkeypatch.setattr(SoapTransport, "send", original)
    assert refresh(resume_posting(sent.posting)).status == JobStatus.SUCCEEDED
    sent.refresh_from_db()
    assert len(fake.received) == 1
    assert str(sent.ack_guid) == fake.received[str(sent.message_guid)]
    bodies = sent.log.filter(direction="out", action="importMeteringDeviceValues")
    assert len({entry.body for entry in bodies}) == 1  # the same bytes both times


def test_a_period_is_not_posted_twice_unless_staff_resend(fake, organization):
    post_readings(organization)
    with pytest.raises(PostingError, match="уже отправлены"):
        post_readings(organization)
    assert refresh(post_readings(organization, resend=True)).status == JobStatus.SUCCEEDED
    assert len(fake.received) == 2


def test_a_request_breaking_the_schema_is_refused_by_the_service(fake, organization):
    [message] = readings_messages(organization, MONTH)
    message.body.set("Id", SIGNED_ID)
    message.body[0][0].text = "не GUID"  # after the builder's own check
    job = refresh(prepare_posting(organization, "importMeteringDeviceValues", [message],
                                  signer=NoSigner()))  # fmt: skip
    assert job.status == JobStatus.FAILED
    assert Exchange.objects.get().errors[0].startswith("INT002012: ")


def test_without_the_address_nothing_is_sent(settings, organization):
    settings.GISGKH_URL = ""
    job = refresh(post_readings(organization))
    assert job.status == JobStatus.FAILED
    assert "GISGKH_URL" in job.problems[-1]
    assert not MessageLog.objects.exists()


def test_the_log_is_seen_by_the_organisations_staff_only(client, fake, organization, other):
    post_readings(organization)
    sent = Exchange.objects.get()
    url = reverse("backoffice:gisgkh_exchange", args=[sent.pk])
    client.force_login(staff_user(other, StaffRole.MANAGER))
    assert client.get(url).status_code == 404
    assert (
        str(sent.message_guid)
        not in client.get(reverse("backoffice:gisgkh_postings")).content.decode()
    )
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    page = client.get(reverse("backoffice:gisgkh_postings")).content.decode()
    assert str(sent.message_guid) in page
    page = client.get(url).content.decode()
    assert "importMeteringDeviceValues" in page
    assert "RequestState" in page


def test_an_unknown_ack_guid_is_a_fault(fake):
    transport = SoapTransport(fake.url)
    with pytest.raises(Exception, match="INT002001"):
        transport.get_state("importMeteringDeviceValues", str(uuid.uuid4()), ORG,
                            lambda *args, **kwargs: None)  # fmt: skip
