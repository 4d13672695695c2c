"""E-receipts: mailed to subscribers when a period closes, once per account and period."""

import datetime
import email
import hashlib
import smtplib
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone

from kabinet.billing.models import Period, PeriodStatus
from kabinet.billing.signals import period_closed
from kabinet.jobs.models import Job, JobKind, JobStatus
from kabinet.orgs.models import StaffRole
from kabinet.receipts import services
from kabinet.receipts.models import (
    DeliveryChannel,
    DeliveryStatus,
    DocumentDelivery,
    IssuedDocument,
    ReceiptDelivery,
)
from kabinet.receipts.tasks import mail_receipts, mail_receipts_batch, start_receipt_mailing
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    PersonalAccountFactory,
    UserFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db
OCT = datetime.date(2026, 10, 1)
LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


@pytest.fixture
def period():
    """October of one organisation, still open, with two accounts charged."""
    first = ChargeFactory(period__status=PeriodStatus.OPEN)
    organization = first.account.organization
    second = PersonalAccountFactory(premise__house__organization=organization)
    ChargeFactory(account=second, period=first.period)
    return first.period


def subscribe(account, **user_fields):
    return AccountLinkFactory(account=account, receipts_by_email=True, **user_fields)


def delivery_of(link, period, **fields):
    fields.setdefault("email", link.user.email)
    return ReceiptDelivery.objects.create(
        period=period, account=link.account, user=link.user, **fields
    )


def close(period):
    """What billing's close_period does, as far as receipts care: closed, then the signal."""
    period.status = PeriodStatus.CLOSED
    period.save()
    period_closed.send(sender=Period, period=period)


def test_closing_a_period_mails_each_subscriber_their_receipt(period, mailoutbox):
    first, second = (charge.account for charge in period.charges.order_by("account__number"))
    family = [subscribe(first), subscribe(first)]
    neighbour = subscribe(second)
    AccountLinkFactory(account=second)  # linked, not subscribed
    other_org = subscribe(ChargeFactory(period__month=OCT).account)

    close(period)

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        link.user.email for link in [*family, neighbour]
    )
    message = next(m for m in mailoutbox if m.to == [neighbour.user.email])
    assert message.subject == f"Квитанция за октябрь 2026, ЛС № {second.number}"
    assert "К оплате: 970,00" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert filename == f"kvitanciya-{second.number}-2026-10.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert other_org.user.email not in [m.to[0] for m in mailoutbox]

    job = Job.objects.get(kind=JobKind.RECEIPTS_MAILING)
    assert (job.status, job.done, job.total, job.failed) == (JobStatus.SUCCEEDED, 3, 3, 0)
    assert job.organization == period.organization
    assert set(ReceiptDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_mailing_again_sends_nothing_twice(period, mailoutbox):
    subscribe(period.charges.first().account)
    close(period)
    assert len(mailoutbox) == 1

    job = start_receipt_mailing(period)
    job.refresh_from_db()
    assert len(mailoutbox) == 1
    assert job.result == {"Отправлено": 0, "С ошибкой": 0, "Отправлено раньше": 1}
    assert ReceiptDelivery.objects.get().attempts == 1


def test_a_failure_is_recorded_shown_to_staff_and_retried_later(
    period, mailoutbox, monkeypatch, client
):
    first, second = (charge.account for charge in period.charges.order_by("account__number"))
    ok = subscribe(first)
    broken = subscribe(second, user__email="broken@example.com")
    sent = []

    def send_or_fail(backend, messages):
        [message] = messages
        if message.to == ["broken@example.com"]:
            raise ConnectionRefusedError("SMTP-сервер недоступен")
        sent.append(message)
        mailoutbox.append(message)
        return 1

    monkeypatch.setattr(LOCMEM_SEND, send_or_fail)
    close(period)

    failure = ReceiptDelivery.objects.get(user=broken.user)
    assert failure.status == DeliveryStatus.FAILED
    assert "SMTP-сервер недоступен" in failure.error
    job = Job.objects.get(kind=JobKind.RECEIPTS_MAILING)
    assert (job.done, job.failed) == (2, 1)
    assert [message.to for message in sent] == [[ok.user.email]]

    client.force_login(staff_user(period.organization))
    page = client.get(reverse("backoffice:job", args=[job.pk])).text
    assert "с ошибкой: 1" in page
    assert f"ЛС {second.number}, broken@example.com: SMTP-сервер недоступен" in page

    monkeypatch.undo()
    retry = start_receipt_mailing(period)
    retry.refresh_from_db()
    assert [message.to for message in mailoutbox[1:]] == [["broken@example.com"]]
    assert retry.result["Отправлено"] == 1
    failure.refresh_from_db()
    assert (failure.status, failure.attempts, failure.error) == (DeliveryStatus.SENT, 2, "")


@pytest.mark.parametrize("owner_status", [None, JobStatus.RUNNING, JobStatus.FAILED])
def test_a_delivery_being_sent_by_another_mailing_is_left_to_it(period, mailoutbox, owner_status):
    """Even when its mailing is marked failed (by another of its batches): the letter may be
    in flight in a batch still running."""
    link = subscribe(period.charges.first().account)
    period.status = PeriodStatus.CLOSED
    period.save()
    owner = owner_status and Job.objects.create(
        organization=period.organization, kind=JobKind.RECEIPTS_MAILING, status=owner_status
    )
    delivery_of(link, period, status=DeliveryStatus.SENDING, job=owner or None)
    start_receipt_mailing(period)
    assert mailoutbox == []


def test_a_mailing_whose_plan_ran_twice_fails_rather_than_queue_its_batches_twice(period):
    subscribe(period.charges.first().account)
    period.status = PeriodStatus.CLOSED
    period.save()
    job = start_receipt_mailing(period)
    mail_receipts.enqueue(period.pk, job.pk)  # as if its worker died after queueing
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "подготовка рассылки была прервана" in job.problems[-1]


def test_users_without_an_address_or_inactive_are_not_mailed(period, mailoutbox):
    account = period.charges.first().account
    subscribe(account, user=UserFactory(email=""))
    subscribe(account, user=UserFactory(is_active=False))
    close(period)
    assert mailoutbox == []
    assert Job.objects.get(kind=JobKind.RECEIPTS_MAILING).total == 0


def test_an_open_period_is_not_mailed(period):
    with pytest.raises(ValueError, match="closed period"):
        start_receipt_mailing(period)


def test_a_mailing_that_breaks_off_is_shown_failed(period, monkeypatch):
    subscribe(period.charges.first().account)
    period.status = PeriodStatus.CLOSED
    period.save()

    def break_off(*args):
        raise RuntimeError("база данных недоступна")

    monkeypatch.setattr("kabinet.receipts.services.subscriptions", break_off)
    job = start_receipt_mailing(period)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.problems == ["Рассылка прервана: база данных недоступна"]


def test_staff_mail_the_failed_receipts_again_from_the_deliveries_list(period, client):
    link = subscribe(period.charges.first().account)
    period.status = PeriodStatus.CLOSED
    period.save()
    delivery = delivery_of(link, period, status=DeliveryStatus.FAILED, attempts=1,
                           error="SMTP-сервер недоступен")  # fmt: skip
    client.force_login(staff_user(period.organization, role=StaffRole.ACCOUNTANT))
    changelist = reverse("admin:receipts_receiptdelivery_changelist")
    assert "SMTP-сервер недоступен" in client.get(changelist).text

    response = client.post(changelist, {"action": "mail_again", "_selected_action": [delivery.pk]})
    job = Job.objects.get(kind=JobKind.RECEIPTS_MAILING)
    assert response.url == reverse("backoffice:job", args=[job.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_staff_send_an_uncertain_letter_again_once_the_server_log_shows_it_missing(
    period, client, mailoutbox
):
    first, second = (charge.account for charge in period.charges.order_by("account__number"))
    period.status = PeriodStatus.CLOSED
    period.save()
    uncertain = delivery_of(subscribe(first), period, status=DeliveryStatus.UNCERTAIN, attempts=1)
    sent = delivery_of(subscribe(second), period, status=DeliveryStatus.SENT, attempts=1,
                      sent_at=timezone.now())  # fmt: skip
    client.force_login(staff_user(period.organization, role=StaffRole.ACCOUNTANT))
    changelist = reverse("admin:receipts_receiptdelivery_changelist")
    assert "не подтверждена" in client.get(changelist).text

    response = client.post(
        changelist,
        {"action": "mail_uncertain_again", "_selected_action": [uncertain.pk, sent.pk]},
    )
    job = Job.objects.get(kind=JobKind.RECEIPTS_MAILING)
    assert response.url == reverse("backoffice:job", args=[job.pk])
    uncertain.refresh_from_db()
    sent.refresh_from_db()
    assert (uncertain.status, uncertain.attempts) == (DeliveryStatus.SENT, 2)
    assert sent.attempts == 1  # not sent again
    assert received(mailoutbox) == [uncertain.email]


def test_sending_uncertain_letters_again_leaves_the_others_alone(period, client, mailoutbox):
    period.status = PeriodStatus.CLOSED
    period.save()
    failed = delivery_of(subscribe(period.charges.first().account), period,
                         status=DeliveryStatus.FAILED, attempts=1)  # fmt: skip
    client.force_login(staff_user(period.organization, role=StaffRole.ACCOUNTANT))
    changelist = reverse("admin:receipts_receiptdelivery_changelist")

    response = client.post(
        changelist,
        {"action": "mail_uncertain_again", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "Среди выбранных нет писем «не подтверждена»." in response.text
    assert not Job.objects.exists()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED
    assert not mailoutbox


def test_a_mailing_never_sends_an_uncertain_letter_until_staff_release_it(period, mailoutbox):
    period.status = PeriodStatus.CLOSED
    period.save()
    delivery = delivery_of(subscribe(period.charges.first().account), period,
                           status=DeliveryStatus.UNCERTAIN, attempts=1)  # fmt: skip
    start_receipt_mailing(period)
    assert not mailoutbox

    assert services.release_uncertain(ReceiptDelivery.objects.all()) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "сотрудник" in delivery.error
    start_receipt_mailing(period)
    assert received(mailoutbox) == [delivery.email]


def test_other_organisations_deliveries_are_not_listed(period, client):
    link = subscribe(period.charges.first().account)
    delivery_of(link, period, status=DeliveryStatus.SENT, email="secret@example.com")
    client.force_login(staff_user(PersonalAccountFactory().organization))
    page = client.get(reverse("admin:receipts_receiptdelivery_changelist")).text
    assert "secret@example.com" not in page


@pytest.fixture
def five_subscribers(period):
    """The closed October with five subscribers on its two accounts."""
    first, second = (charge.account for charge in period.charges.order_by("account__number"))
    links = [subscribe(first) for _ in range(3)] + [subscribe(second) for _ in range(2)]
    period.status = PeriodStatus.CLOSED
    period.save()
    return links


def received(mailoutbox) -> list[str]:
    return sorted(message.to[0] for message in mailoutbox)


def kill_the_mailing_at(monkeypatch, after: int, error=RuntimeError):
    """Make the mailing's ``_settle_and_claim`` (the statement that records the letter the
    server took and claims the next one) die on its call number ``after + 1``, as a worker
    killed there would."""
    real, calls = services._settle_and_claim, []

    def dying(*args, **kwargs):
        calls.append(args)
        if len(calls) > after:
            raise error("рабочий процесс убит")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_settle_and_claim", dying)


def test_a_batch_reuses_one_smtp_connection_and_the_batches_share_the_job(
    five_subscribers, mailoutbox, monkeypatch
):
    opened = []
    monkeypatch.setattr(services, "BATCH", 2)
    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.open", lambda backend: opened.append(1)
    )
    job = start_receipt_mailing(Period.objects.get())
    job.refresh_from_db()
    assert received(mailoutbox) == sorted(link.user.email for link in five_subscribers)
    assert len(opened) == 3  # one connection per batch of two, not one per message
    assert (job.status, job.done, job.total, job.failed) == (JobStatus.SUCCEEDED, 5, 5, 0)
    assert job.result == {"Отправлено": 5, "С ошибкой": 0, "Отправлено раньше": 0}
    assert DocumentDelivery.objects.filter(channel=DeliveryChannel.EMAIL).count() == 2


def test_a_mailing_killed_midway_is_resumed_by_the_next_with_exactly_the_rest(
    five_subscribers, mailoutbox, monkeypatch
):
    """The letter claimed when the worker died stays «sending»: the next mailing leaves it to
    its batch (which may still run); an hour later it is «uncertain», and never sent again.
    Every subscriber gets exactly one letter."""
    period = Period.objects.get()
    kill_the_mailing_at(monkeypatch, after=2)
    killed = start_receipt_mailing(period)
    killed.refresh_from_db()
    assert killed.status == JobStatus.FAILED
    assert len(mailoutbox) == 2  # the second went out, its «sent» was never written
    in_flight = mailoutbox[1].to[0]
    assert ReceiptDelivery.objects.get(status=DeliveryStatus.SENDING).email == in_flight

    rest = sorted(
        link.user.email for link in five_subscribers if link.user.email not in received(mailoutbox)
    )
    monkeypatch.undo()
    again = start_receipt_mailing(period)
    again.refresh_from_db()
    assert received(mailoutbox[2:]) == rest  # the three not sent, neither of the two again
    assert again.result == {"Отправлено": 3, "С ошибкой": 0, "Отправлено раньше": 1}

    an_hour_ago = timezone.now() - services.STALE
    ReceiptDelivery.objects.filter(status=DeliveryStatus.SENDING).update(updated_at=an_hour_ago)
    start_receipt_mailing(period)
    assert received(mailoutbox) == sorted(link.user.email for link in five_subscribers)
    assert ReceiptDelivery.objects.get(status=DeliveryStatus.UNCERTAIN).email == in_flight
    assert ReceiptDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 4
    assert DocumentDelivery.objects.filter(channel=DeliveryChannel.EMAIL).count() == 2


def test_a_worker_killed_between_a_send_and_its_record_sends_nothing_twice(
    five_subscribers, mailoutbox, monkeypatch
):
    """The documented guarantee: the letter claimed when the worker died — taken by the
    server, its «sent» not written — is recorded «uncertain» when the batch runs again, as the
    worker's restart requeues it, and not sent again; the others go, once each."""
    period = Period.objects.get()
    kill_the_mailing_at(monkeypatch, after=2, error=SystemExit)  # not caught
    job = start_receipt_mailing(period)
    assert len(mailoutbox) == 2  # the second went out, its «sent» was never written
    in_flight = ReceiptDelivery.objects.get(status=DeliveryStatus.SENDING)
    assert in_flight.email == mailoutbox[1].to[0]
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # nobody is left to say otherwise

    monkeypatch.undo()
    rows = list(ReceiptDelivery.objects.filter(job=job).order_by("pk"))
    mail_receipts_batch.enqueue(period.pk, job.pk, rows[0].pk, rows[-1].pk, len(rows))
    job.refresh_from_db()
    assert received(mailoutbox) == sorted(link.user.email for link in five_subscribers)
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 5, 5)
    assert job.result["Не подтверждено сервером"] == 1
    in_flight.refresh_from_db()
    assert in_flight.status == DeliveryStatus.UNCERTAIN
    statuses = ReceiptDelivery.objects.exclude(pk=in_flight.pk).values_list("status", "attempts")
    assert set(statuses) == {("sent", 1)}
    start_receipt_mailing(period)  # a later mailing leaves it too
    assert len(mailoutbox) == 5


class SMTPRecorder:
    """An aiosmtpd handler keeping what it received, and how many sessions it saw; it refuses
    the recipients in ``refused``, and offers PIPELINING (RFC 2920) when ``pipelining`` (it
    reads the commands one by one from its stream either way)."""

    def __init__(self, pipelining=False):
        self.messages, self.sessions, self.refused = [], 0, set()
        self.pipelining = pipelining

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture(params=[False, True], ids=["one-by-one", "pipelined"])
def smtp_server(settings, request):
    """An aiosmtpd server on a free port of 127.0.0.1, the default mailer pointed at it;
    offering PIPELINING or not (each test runs with both)."""
    recorder = SMTPRecorder(pipelining=request.param)
    with socket.socket() as probe:  # a free port (aiosmtpd's controller cannot take port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(recorder, hostname="127.0.0.1", port=port)
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port},
        }
    }
    yield recorder
    server.stop()


def test_the_letters_go_over_one_real_smtp_session_with_the_issued_file(
    five_subscribers, smtp_server
):
    job = start_receipt_mailing(Period.objects.get())
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 5)
    assert (len(smtp_server.messages), smtp_server.sessions) == (5, 1)
    letter = next(m for m in smtp_server.messages if m["To"] == five_subscribers[0].user.email)
    account = five_subscribers[0].account
    assert letter["Subject"] == f"Квитанция за октябрь 2026, ЛС № {account.number}"
    assert letter["From"] == "Личный кабинет <noreply@localhost>"
    assert letter["Message-ID"]
    assert letter["Date"]
    assert "К оплате:" in letter.get_body().get_content()
    [attachment] = letter.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"kvitanciya-{account.number}-2026-10.pdf"
    issued = IssuedDocument.objects.get(account=account)
    assert hashlib.sha256(attachment.get_content()).hexdigest() == issued.sha256


def test_a_letter_the_smtp_server_refuses_is_recorded_and_the_others_go(
    five_subscribers, smtp_server
):
    broken = five_subscribers[1].user
    broken.email = "broken@example.com"
    broken.save()
    smtp_server.refused.add("broken@example.com")
    job = start_receipt_mailing(Period.objects.get())
    job.refresh_from_db()
    assert (job.done, job.failed) == (5, 1)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        link.user.email for link in five_subscribers if link.user != broken
    )
    failure = ReceiptDelivery.objects.get(user=broken)
    assert (failure.status, failure.attempts) == (DeliveryStatus.FAILED, 1)
    assert "SMTPRecipientsRefused" in failure.error
    assert smtp_server.sessions == 2  # a new session after the refused letter


def test_a_worker_killed_in_a_real_smtp_session_is_resumed_with_one_letter_each(
    five_subscribers, smtp_server, monkeypatch
):
    """Killed while claiming its third letter — whose text the server has, not its dot — the
    worker leaves the server two letters; the batch run again sends the other three. The
    second, taken by the server before its «sent» was written, is not sent again."""
    period = Period.objects.get()
    kill_the_mailing_at(monkeypatch, after=2, error=SystemExit)
    job = start_receipt_mailing(period)
    assert len(smtp_server.messages) == 2  # the third's text was dropped with its session
    monkeypatch.undo()
    rows = list(ReceiptDelivery.objects.filter(job=job).order_by("pk"))
    mail_receipts_batch.enqueue(period.pk, job.pk, rows[0].pk, rows[-1].pk, len(rows))
    addresses = sorted(m["To"] for m in smtp_server.messages)
    assert addresses == sorted(link.user.email for link in five_subscribers)  # one each
    assert smtp_server.sessions == 2
    uncertain = ReceiptDelivery.objects.get(status=DeliveryStatus.UNCERTAIN)
    assert uncertain.email == smtp_server.messages[1]["To"]


def test_a_letter_whose_answer_is_lost_is_uncertain_and_not_sent_again(
    five_subscribers, smtp_server, monkeypatch
):
    """The server took the second letter, but its «250» never came (the session broke): the
    letter is recorded «uncertain», the others go over a new session, and no later mailing
    sends it again."""
    real, lost = smtplib.SMTP.getreply, []

    def losing(session):
        reply = real(session)
        if len(smtp_server.messages) == 2 and not lost:  # the answer to the second dot
            lost.append(reply)
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return reply

    monkeypatch.setattr(smtplib.SMTP, "getreply", losing)
    period = Period.objects.get()
    job = start_receipt_mailing(period)
    job.refresh_from_db()
    assert len(smtp_server.messages) == 5
    uncertain = ReceiptDelivery.objects.get(status=DeliveryStatus.UNCERTAIN)
    assert uncertain.email == smtp_server.messages[1]["To"]
    assert "неизвестно" in job.problems[0]
    assert job.result["Не подтверждено сервером"] == 1
    start_receipt_mailing(period)
    assert len(smtp_server.messages) == 5


def test_with_pipelining_offered_the_envelope_goes_in_one_write(
    five_subscribers, smtp_server, monkeypatch
):
    writes, real = [], smtplib.SMTP.send
    monkeypatch.setattr(
        smtplib.SMTP, "send", lambda session, data: writes.append(data) or real(session, data)
    )
    start_receipt_mailing(Period.objects.get())
    envelopes = [write for write in writes if write[:10] in (b"MAIL FROM:", "MAIL FROM:")]
    if smtp_server.pipelining:
        assert len(envelopes) == 5
        assert all(
            write.endswith(b">\r\nDATA\r\n") and b"\r\nRCPT TO:<" in write for write in envelopes
        )
    else:  # smtplib's own commands («mail from:…»), each awaited
        assert envelopes == []
        assert (
            sum(write.startswith("mail from:") for write in writes if isinstance(write, str)) == 5
        )
    assert len(smtp_server.messages) == 5
