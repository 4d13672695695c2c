"""Issued payment documents (docs/design.md, «Issued payment documents»): drawn once when the
period closes, kept with their SHA-256 and served as kept — to the resident, through the API and
by mail — whatever changes later; a damaged file is refused, never drawn anew; staff read every
version and issue a corrected one as an audited action that keeps the old."""

import dataclasses
import datetime
import hashlib
import json
import logging
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.billing.closing import close_period
from kabinet.billing.lines import BillingError
from kabinet.billing.models import AccountBalance, Period, PeriodStatus, RecalculationKind
from kabinet.billing.recalculations import add_recalculation
from kabinet.billing.run import run_billing
from kabinet.jobs.models import Job, JobKind, JobStatus
from kabinet.months import add_months
from kabinet.orgs.models import StaffRole
from kabinet.receipts import issuing
from kabinet.receipts.issuing import (
    DocumentUnavailable,
    issued_document,
    issued_receipt,
    reissue_document,
    stored_pdf,
)
from kabinet.receipts.models import (
    DeliveryStatus,
    DocumentDelivery,
    IssuedDocument,
    IssuedDocumentError,
    ReceiptDelivery,
    Supplier,
)
from kabinet.receipts.selectors import receipt_data
from kabinet.receipts.snapshot import receipt_from_json, receipt_to_json
from kabinet.receipts.tasks import start_document_issue, start_receipt_mailing
from kabinet.users.models import TokenScope
from kabinet.users.tokens import create_token
from tests.factories import (
    AccountLinkFactory,
    OrganizationFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    TariffFactory,
    staff_user,
    this_month,
)
from tests.test_payment_document import pdf_text
from tests.test_receipt_wide_sums import wide_receipt

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world(media):
    """Two flats of one house charged for upkeep by area; the month before last calculated
    and still open, the resident of the first flat subscribed to e-receipts."""
    organization = OrganizationFactory(name="ООО «УК Снимок»")
    first = PersonalAccountFactory(
        premise__house__organization=organization, premise__area=D("50.00")
    )
    second = PersonalAccountFactory(premise__house=first.premise.house, premise__area=D("40.00"))
    upkeep = ServiceFactory(organization=organization, name="Содержание жилья")
    TariffFactory(service=upkeep, value=D("20.00"), valid_from=datetime.date(2020, 1, 1))
    water = ServiceFactory(
        organization=organization, name="Вывоз ТКО", supplier="АО «Чистый город»"
    )
    TariffFactory(service=water, value=D("3.00"), valid_from=datetime.date(2020, 1, 1))
    Supplier.objects.create(
        organization=organization, name="АО «Чистый город»", inn="1655000001",
        address="г. Казань, ул. Старая, д. 1",
    )  # fmt: skip
    period = PeriodFactory(
        organization=organization, month=add_months(this_month(), -2), status=PeriodStatus.OPEN
    )
    run_billing(period)
    link = AccountLinkFactory(account=first, receipts_by_email=True)
    return SimpleNamespace(
        organization=organization, first=first, second=second, upkeep=upkeep, period=period,
        link=link, media=media,
    )  # fmt: skip


@pytest.fixture
def close(django_capture_on_commit_callbacks):
    """Close a period as staff do: the issue (and then the mailing) starts on commit."""

    def closing(period):
        with django_capture_on_commit_callbacks(execute=True):
            following = close_period(period)
        period.refresh_from_db()
        return following

    return closing


@pytest.fixture
def closed(world, close):
    close(world.period)
    return world.period


def pdf_url(account, period):
    return reverse("portal:receipt_pdf", args=[account.pk, period.month.year, period.month.month])


def page_url(account, period):
    return reverse("portal:receipt", args=[account.pk, period.month.year, period.month.month])


def download(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def stored_bytes(document) -> bytes:
    with default_storage.open(document.file.name, "rb") as stored:
        return stored.read()


# --- issued when the period closes, once --------------------------------------------------


def test_closing_a_period_issues_each_charged_accounts_document_once(world, closed, mailoutbox):
    documents = IssuedDocument.objects.filter(period=closed).order_by("account__number")

    assert [document.account for document in documents] == [world.first, world.second]
    for document in documents:
        content = stored_bytes(document)
        assert content.startswith(b"%PDF")
        assert (document.version, document.size) == (1, len(content))
        assert document.sha256 == hashlib.sha256(content).hexdigest()
        assert document.number == f"{document.account.number}-{closed.month:%m.%Y}"
        assert document.issued_by is None
        assert document.file.name.startswith(f"receipts/{world.organization.pk}/")
    job = Job.objects.get(kind=JobKind.DOCUMENTS_ISSUE)
    assert (job.status, job.total, job.done, job.failed) == (JobStatus.SUCCEEDED, 2, 2, 0)
    assert job.subject == closed
    assert job.result == {"Выпущено": 2, "С ошибкой": 0, "Выпущено раньше": 0}
    # then the mailing, of the issued file
    assert Job.objects.get(kind=JobKind.RECEIPTS_MAILING).status == JobStatus.SUCCEEDED
    assert len(mailoutbox) == 1


def test_the_issue_run_again_or_the_signal_twice_issues_nothing_more(
    world, closed, close, mailoutbox
):
    before = list(IssuedDocument.objects.values_list("pk", "sha256", "file"))

    job = start_document_issue(closed)
    with pytest.raises(BillingError):
        close(closed)  # a closed period is not closed again

    job.refresh_from_db()
    assert job.result == {"Выпущено": 0, "С ошибкой": 0, "Выпущено раньше": 2}
    assert list(IssuedDocument.objects.values_list("pk", "sha256", "file")) == before
    assert len(mailoutbox) == 1  # the second mailing found the letter sent


def test_an_issue_cut_short_resumes_with_the_accounts_left(world, close, monkeypatch):
    real = issuing.receipt_pdf

    def fail_for_second(receipt):
        if receipt.account_number == world.second.number:
            raise RuntimeError("нет места на диске")
        return real(receipt)

    monkeypatch.setattr(issuing, "receipt_pdf", fail_for_second)
    close(world.period)
    job = Job.objects.get(kind=JobKind.DOCUMENTS_ISSUE)
    assert (job.done, job.failed) == (2, 1)
    assert job.problems == [f"ЛС {world.second.number}: нет места на диске"]
    first = IssuedDocument.objects.get()

    monkeypatch.setattr(issuing, "receipt_pdf", real)
    again = start_document_issue(world.period, then_mail=False)
    again.refresh_from_db()

    assert again.result == {"Выпущено": 1, "С ошибкой": 0, "Выпущено раньше": 1}
    assert IssuedDocument.objects.get(account=world.first) == first
    assert IssuedDocument.objects.filter(account=world.second).count() == 1


def test_two_issues_of_one_document_at_once_keep_one_and_remove_the_losers_file(world, closed):
    kept = IssuedDocument.objects.get(account=world.first)
    folder = kept.file.name.rsplit("/", 1)[0]
    files_before = sorted(default_storage.listdir(folder)[1])

    document, created = issuing._issue(world.first, closed, version=1)

    assert (document, created) == (kept, False)
    assert sorted(default_storage.listdir(folder)[1]) == files_before


def test_a_batch_whose_document_another_run_kept_meanwhile_keeps_the_others(
    world, close, monkeypatch
):
    """The issue saves a batch's rows in one INSERT; when another run (the first download)
    kept one of them while this one drew, the batch is kept one by one: that document is the
    other run's, our file of it removed, the rest ours."""
    real = issuing._drawn

    def another_run_first(account, period, **kwargs):
        drawn = real(account, period, **kwargs)
        if account == world.second:
            real(account, period, version=1).save()
        return drawn

    monkeypatch.setattr(issuing, "_drawn", another_run_first)
    close(world.period)
    job = Job.objects.get(kind=JobKind.DOCUMENTS_ISSUE)
    assert job.result == {"Выпущено": 1, "С ошибкой": 0, "Выпущено раньше": 0}
    assert (job.done, job.failed) == (2, 0)
    second = IssuedDocument.objects.get(account=world.second)
    folder = second.file.name.rsplit("/", 1)[0]
    assert sorted(default_storage.listdir(folder)[1]) == sorted(
        document.file.name.rsplit("/", 1)[1] for document in IssuedDocument.objects.all()
    )
    assert IssuedDocument.objects.filter(account=world.first).count() == 1


def test_the_issue_saves_a_batchs_rows_in_one_insert(world, close, monkeypatch):
    inserted = []
    real = IssuedDocument.objects.bulk_create

    def counted(documents, *args, **kwargs):
        inserted.append(len(documents))
        return real(documents, *args, **kwargs)

    monkeypatch.setattr(IssuedDocument.objects, "bulk_create", counted)
    close(world.period)
    assert inserted == [2]
    assert IssuedDocument.objects.filter(period=world.period).count() == 2


def test_a_month_closed_before_documents_were_kept_is_issued_when_first_asked_for(world, client):
    world.period.status = PeriodStatus.CLOSED  # closed without the issue (an older month)
    world.period.save()
    client.force_login(world.link.user)

    first = download(client, pdf_url(world.first, world.period))
    again = download(client, pdf_url(world.first, world.period))

    document = IssuedDocument.objects.get()
    assert first == again == stored_bytes(document)


# --- served as stored ----------------------------------------------------------------------


def test_the_resident_gets_the_stored_file_byte_for_byte(world, closed, client):
    document = IssuedDocument.objects.get(account=world.first)
    client.force_login(world.link.user)

    response = client.get(pdf_url(world.first, closed))

    assert b"".join(response.streaming_content) == stored_bytes(document)
    assert response["Content-Disposition"] == (
        f'attachment; filename="kvitanciya-{world.first.number}-{closed.month:%Y-%m}.pdf"'
    )
    assert DocumentDelivery.objects.filter(account=world.first, period=closed).exists()


def test_the_api_gives_the_stored_file_byte_for_byte(world, closed, client):
    token = create_token(world.link.user, name="Бот", scope=TokenScope.READ).secret
    url = reverse("api:receipt_pdf", args=[world.first.pk, f"{closed.month:%Y-%m}"])

    response = client.get(url, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    document = IssuedDocument.objects.get(account=world.first)
    assert b"".join(response.streaming_content) == stored_bytes(document)


def test_the_mail_attaches_the_stored_file(world, closed, mailoutbox):
    document = IssuedDocument.objects.get(account=world.first)

    [message] = mailoutbox
    [(filename, content, _mimetype)] = message.attachments

    assert content == stored_bytes(document)
    assert filename == f"kvitanciya-{world.first.number}-{closed.month:%Y-%m}.pdf"
    assert message.to == [world.link.user.email]


def test_the_document_prints_its_number_and_date_and_the_page_shows_them(world, closed, client):
    document = IssuedDocument.objects.get(account=world.first)
    line = f"Документ № {document.number} от {document.issued_at.astimezone():%d.%m.%Y}"
    client.force_login(world.link.user)

    page = client.get(page_url(world.first, closed)).content.decode()

    assert line in pdf_text(stored_bytes(document))
    assert line in page


# --- nothing changes an issued document -----------------------------------------------------


def test_new_requisites_leave_the_issued_document_and_its_page_as_they_were(world, closed, client):
    document = IssuedDocument.objects.get(account=world.first)
    issued = stored_bytes(document)
    client.force_login(world.link.user)
    world.organization.settlement_account = "40702810900000099999"
    world.organization.save()
    Supplier.objects.filter(organization=world.organization).update(inn="7700000001")

    pdf = download(client, pdf_url(world.first, closed))
    page = client.get(page_url(world.first, closed)).content.decode()

    assert pdf == issued
    assert "40702810462000012345" in page
    assert "40702810900000099999" not in page
    assert "1655000001" in page
    assert "7700000001" not in page
    # what today's data would draw differs: the document is not drawn from it
    assert receipt_data(world.first, closed).payee.settlement_account == "40702810900000099999"


def test_a_payment_recorded_late_leaves_the_issued_document_as_it_was(world, closed, client):
    issued = stored_bytes(IssuedDocument.objects.get(account=world.first))
    PaymentFactory(account=world.first, paid_on=closed.month + datetime.timedelta(days=20))
    client.force_login(world.link.user)

    assert download(client, pdf_url(world.first, closed)) == issued


def test_a_document_issued_after_a_late_payment_shows_the_money_as_the_closing_stored_it(
    world, client
):
    close_period(world.period)  # balances stored; the issue (on commit) has not run yet
    world.period.refresh_from_db()
    PaymentFactory(account=world.first, paid_on=world.period.month + datetime.timedelta(days=9),
                   amount=D("300.00"))  # fmt: skip
    client.force_login(world.link.user)

    download(client, pdf_url(world.first, world.period))

    receipt = issued_receipt(IssuedDocument.objects.get(account=world.first))
    stored = AccountBalance.objects.get(account=world.first, period=world.period)
    assert (
        (receipt.paid, receipt.closing)
        == (stored.paid, stored.closing)
        == (D("0.00"), D("1150.00"))
    )
    # the ledger has the payment: what a live page shows, not the issued document
    assert receipt_data(world.first, world.period).paid == D("300.00")


def test_a_recalculation_shows_on_the_next_months_document_not_on_the_issued_one(
    world, closed, close, client
):
    issued = stored_bytes(IssuedDocument.objects.get(account=world.first))
    following = Period.objects.get(
        organization=world.organization, month=add_months(closed.month, 1)
    )
    add_recalculation(world.first, world.upkeep, closed, RecalculationKind.OTHER,
                      "Не убиралась лестница", amount=D("-150.00"))  # fmt: skip
    run_billing(following)
    client.force_login(world.link.user)

    assert download(client, pdf_url(world.first, closed)) == issued
    close(following)
    next_document = IssuedDocument.objects.get(account=world.first, period=following)
    receipt = issued_receipt(next_document)
    [row] = receipt.recalculations
    assert (row.corrected_month, row.amount) == (closed.month, D("-150.00"))
    assert receipt.recalculation == D("-150.00")
    text = pdf_text(stored_bytes(next_document))
    assert "Не убиралась лестница" in text
    assert "-150,00" in text


# --- a damaged file is refused, never drawn again ---------------------------------------------


def damage(document, content=b"%PDF-1.4 not what was issued"):
    """Put other bytes in the document's place in the storage."""
    name = document.file.name
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(content)) == name


def test_a_changed_file_gets_the_resident_a_clear_page_and_the_log_an_error(
    world, closed, client, caplog
):
    document = IssuedDocument.objects.get(account=world.first)
    damage(document)
    DocumentDelivery.objects.all().delete()
    client.force_login(world.link.user)

    with caplog.at_level(logging.ERROR, logger="kabinet.receipts.issuing"):
        response = client.get(pdf_url(world.first, closed))

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "сейчас нельзя скачать" in page
    assert f"№ {document.number}" in page
    [record] = [record for record in caplog.records if record.name == "kabinet.receipts.issuing"]
    assert record.levelno == logging.ERROR
    assert document.sha256 in record.getMessage()
    assert not DocumentDelivery.objects.exists()  # nothing was delivered
    assert IssuedDocument.objects.count() == 2  # and nothing drawn anew


def test_a_missing_file_is_refused_alike(world, closed, client, caplog):
    document = IssuedDocument.objects.get(account=world.first)
    default_storage.delete(document.file.name)
    client.force_login(world.link.user)

    with caplog.at_level(logging.ERROR, logger="kabinet.receipts.issuing"):
        response = client.get(pdf_url(world.first, closed))

    assert response.status_code == 503
    assert "cannot be read" in caplog.text
    with pytest.raises(DocumentUnavailable):
        stored_pdf(document)


def test_the_api_answers_a_changed_file_with_a_problem(world, closed, client):
    damage(IssuedDocument.objects.get(account=world.first))
    token = create_token(world.link.user, name="Бот", scope=TokenScope.READ).secret
    url = reverse("api:receipt_pdf", args=[world.first.pk, f"{closed.month:%Y-%m}"])

    response = client.get(url, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert "не совпадает с выпущенным" in response.json()["detail"]


def test_the_mailing_does_not_send_a_changed_file(world, mailoutbox):
    world.period.status = PeriodStatus.CLOSED  # closed without the issue (an older month)
    world.period.save()
    damage(issued_document(world.first, world.period))

    start_receipt_mailing(world.period)

    assert mailoutbox == []
    delivery = ReceiptDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "не совпадает с выпущенным" in delivery.error


# --- who may see what ------------------------------------------------------------------------


def test_another_resident_cannot_download_the_document(world, closed, client):
    stranger = AccountLinkFactory(account=world.second).user
    client.force_login(stranger)

    assert client.get(pdf_url(world.first, closed)).status_code == 404
    assert client.get(page_url(world.first, closed)).status_code == 404
    assert client.get(pdf_url(world.second, closed)).status_code == 200


def test_staff_of_another_organisation_cannot_see_or_reissue_the_documents(world, closed, client):
    document = IssuedDocument.objects.get(account=world.first)
    client.force_login(staff_user(OrganizationFactory(), StaffRole.MANAGER))
    list_url = reverse("backoffice:account_documents", args=[world.first.pk])

    assert client.get(list_url).status_code == 404
    file_url = reverse("backoffice:account_document_file", args=[world.first.pk, document.pk])
    assert client.get(file_url).status_code == 404
    refused = client.post(
        list_url, {"period": closed.pk, "reason": "Чужое", "confirm": "on"}
    ).status_code
    assert refused == 404
    assert IssuedDocument.objects.count() == 2


# --- staff: every version, a corrected one audited ---------------------------------------


def test_staff_see_the_versions_and_download_each_byte_for_byte(world, closed, client):
    document = IssuedDocument.objects.get(account=world.first)
    client.force_login(staff_user(world.organization, StaffRole.OPERATOR))

    page = client.get(reverse("backoffice:account_documents", args=[world.first.pk]))
    response = client.get(
        reverse("backoffice:account_document_file", args=[world.first.pk, document.pk])
    )

    assert page.status_code == 200
    assert document.number in page.text
    assert document.sha256[:12] in page.text
    assert page.context["form"] is None  # an operator reads; the billing's roles correct
    assert b"".join(response.streaming_content) == stored_bytes(document)


def test_an_operator_may_not_issue_a_corrected_document(world, closed, client):
    client.force_login(staff_user(world.organization, StaffRole.OPERATOR))

    response = client.post(
        reverse("backoffice:account_documents", args=[world.first.pk]),
        {"period": closed.pk, "reason": "Новые реквизиты", "confirm": "on"},
    )

    assert response.status_code == 403
    assert IssuedDocument.objects.filter(account=world.first).count() == 1


def test_an_accountant_issues_a_corrected_version_which_keeps_the_old_and_is_audited(
    world, closed, client
):
    old = IssuedDocument.objects.get(account=world.first)
    old_bytes = stored_bytes(old)
    accountant = staff_user(world.organization, StaffRole.ACCOUNTANT)
    client.force_login(accountant)
    world.organization.settlement_account = "40702810900000099999"
    world.organization.save()

    response = client.post(
        reverse("backoffice:account_documents", args=[world.first.pk]),
        {"period": closed.pk, "reason": "Новый расчётный счёт", "confirm": "on"},
        follow=True,
    )

    new = IssuedDocument.objects.get(account=world.first, version=2)
    assert f"Выпущен исправленный документ № {new.number}" in response.text
    assert new.number == f"{world.first.number}-{closed.month:%m.%Y}/2"
    assert (new.issued_by, new.reason) == (accountant, "Новый расчётный счёт")
    assert "исправленный" in pdf_text(stored_bytes(new))
    assert issued_receipt(new).payee.settlement_account == "40702810900000099999"
    old.refresh_from_db()
    assert stored_bytes(old) == old_bytes  # the old version is kept as it was
    entry = AuditEntry.objects.get(action=AuditAction.DOCUMENT_REISSUED)
    assert (entry.actor, entry.organization) == (accountant, world.organization)
    assert entry.changes["reason"] == [None, "Новый расчётный счёт"]
    assert entry.changes["version"] == [1, 2]
    # the resident now gets the corrected one
    client.force_login(world.link.user)
    assert download(client, pdf_url(world.first, closed)) == stored_bytes(new)
    listing = client.get(reverse("backoffice:account_documents", args=[world.first.pk]))
    assert listing.status_code == 404  # a resident is not staff


def test_a_corrected_document_needs_a_reason_and_the_confirmation(world, closed, client):
    client.force_login(staff_user(world.organization, StaffRole.ACCOUNTANT))

    response = client.post(
        reverse("backoffice:account_documents", args=[world.first.pk]),
        {"period": closed.pk, "reason": "  "},
    )

    assert response.status_code == 400
    assert "Это поле обязательно для заполнения." in response.text
    assert "Отметьте, что выпускаете исправленный документ." in response.text
    assert IssuedDocument.objects.filter(account=world.first).count() == 1


def test_staff_see_a_damaged_file_named_not_served(world, closed, client):
    document = IssuedDocument.objects.get(account=world.first)
    damage(document)
    client.force_login(staff_user(world.organization, StaffRole.ACCOUNTANT))

    response = client.get(
        reverse("backoffice:account_document_file", args=[world.first.pk, document.pk])
    )

    assert response.status_code == 503
    assert "не совпадает с выпущенным" in response.text
    assert "выпустите исправленный" in response.text


# --- the record itself --------------------------------------------------------------------


def test_an_issued_document_refuses_to_be_changed_or_deleted(world, closed):
    document = IssuedDocument.objects.get(account=world.first)
    document.reason = "подправим"

    with pytest.raises(IssuedDocumentError):
        document.save()
    with pytest.raises(IssuedDocumentError):
        document.delete()
    with pytest.raises(IssuedDocumentError):
        IssuedDocument.objects.filter(pk=document.pk).update(sha256="0" * 64)
    with pytest.raises(IssuedDocumentError):
        IssuedDocument.objects.filter(pk=document.pk).delete()


def test_a_reissue_needs_a_closed_period_and_a_reason(world):
    with pytest.raises(ValueError, match="closed period"):
        reissue_document(world.first, world.period, user=None, reason="Причина")
    world.period.status = PeriodStatus.CLOSED
    world.period.save()
    with pytest.raises(ValueError, match="reason"):
        reissue_document(world.first, world.period, user=None, reason=" ")


def test_a_document_with_every_section_reads_back_from_its_snapshot_as_it_was():
    receipt = dataclasses.replace(
        wide_receipt(), number="5000001-10.2026/2", issued_at=timezone.now(), version=2
    )

    assert receipt_from_json(json.loads(json.dumps(receipt_to_json(receipt)))) == receipt


def test_the_data_snapshot_reads_back_as_the_data_it_was(world, closed):
    document = issued_document(world.first, closed)
    receipt = issued_receipt(document)

    assert receipt_to_json(receipt) == document.data
    assert receipt_from_json(receipt_to_json(receipt)) == receipt
    assert receipt.number == document.number
    assert receipt.issued_at == document.issued_at
