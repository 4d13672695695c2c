"""E-receipts: when a period's documents are issued, every subscriber of an account
(``AccountLink`` with ``receipts_by_email``) gets the account's issued document — the stored
PDF, checked against its SHA-256 (``receipts.issuing``), never drawn again — once per account
and period. A failed delivery is recorded, shown to staff, and retried by the next mailing of
the period.

A mailing is a job (``receipts.tasks``) in two steps, so that several task workers share it:
``plan_mailing`` gives the job the period's deliveries still to send (one ``ReceiptDelivery``
row each, the job as its owner) and cuts them into batches of ``BATCH`` rows; each batch is a
task (``send_batch``) that sends its rows over one SMTP connection, opened once for the batch,
the letters composed as bytes (``receipts.letters``).

What a crash costs: nothing is sent twice, and what is not sent is known. Each row goes
«pending» → «sending» → «sent» (or «failed»). The claim («sending») is committed after the
letter's envelope and text have gone to the SMTP server and before the dot that ends them
(``letters.post``): a server takes a message only when it answers that dot with «250» (RFC
5321), and drops one whose session is cut before it, so no letter is taken unclaimed — and
the claim's commit overlaps the server's reading of the text. «sent» is recorded with the
claim of the next letter, in one statement; every statement is an ordinary, durable commit,
so a crash of the database server loses none of them. A batch that runs again — the worker's
task requeued after it died (``jobs.workers``) — sends its «pending» and «failed» rows and
turns its «sending» ones «uncertain»: the one letter its worker had claimed when it died,
which the server may or may not have taken. An «uncertain» letter is not sent again by any
mailing (staff see them, «не подтверждена»); nearly always the server had taken it (the
worker died between the «250» and the next statement), it was lost only when the worker died
in the instant between the claim's commit and the dot, or the server refused the dot. A later
mailing takes over the «pending» rows of a finished mailing, and turns a «sending» one
«uncertain» after an hour (its batch may still be running).
"""

import datetime
from functools import cache
from itertools import batched, groupby

from django.core.mail import mailers
from django.db import connection as db
from django.db.models import Exists, Min, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet.billing.models import Charge, Period
from kabinet.formats import month_name
from kabinet.jobs.models import Job, JobStatus
from kabinet.jobs.services import add_progress, finish_shared_job, start_job
from kabinet.receipts.issuing import (
    document_filename,
    issued_document,
    issued_receipt,
    stored_pdf,
)
from kabinet.receipts.letters import AnswerLost, Letter, LetterTemplate, base64_lines, post
from kabinet.receipts.models import (
    DeliveryChannel,
    DeliveryStatus,
    DocumentDelivery,
    IssuedDocument,
    ReceiptDelivery,
)
from kabinet.receipts.selectors import Receipt
from kabinet.users.models import AccountLink

# Deliveries per task: one SMTP connection and a few queries for the lot; progress after each.
BATCH = 500
# A mailing's row untouched this long belongs to a mailing that died: another may take it.
STALE = datetime.timedelta(hours=1)
# Rows inserted per statement when a mailing is planned.
INSERT_CHUNK = 5000

# A batch of a mailing: its first and last row ids and how many rows of the job lie between.
type Batch = tuple[int, int, int]
# What became of a letter: its row, «sent» or «failed», and the error.
type Outcome = tuple[ReceiptDelivery, str, str]


class MailingInterrupted(Exception):
    """The plan of a mailing ran again (its worker died while queueing the batches): planning
    it twice could queue a batch twice, so the job fails and staff start a new mailing."""


def subscriptions(period: Period):
    """The (account, user) links to mail for ``period``: subscribed, with an e-mail address,
    on accounts that have charges in it."""
    charged = Charge.objects.filter(period=period, account=OuterRef("account"))
    return (
        AccountLink.objects.filter(
            Exists(charged),
            receipts_by_email=True,
            account__organization=period.organization_id,
            user__is_active=True,
        )
        .exclude(user__email="")
        .order_by("account__number", "user_id")
    )


def plan_mailing(period: Period, job: Job) -> list[Batch]:
    """Give ``job`` the deliveries of the closed ``period`` to send — the subscribers not
    mailed yet, the failed ones, those of a finished or stale mailing — and return its
    batches. A mailing with nothing to send is finished here."""
    if not period.is_closed:
        raise ValueError("Receipts are mailed for a closed period.")
    if job.started_at is not None:  # planned before and cut short: its batches may be queued
        raise MailingInterrupted(
            "подготовка рассылки была прервана; запустите рассылку снова, отправленное учтено"
        )
    subscribed = AccountLink.objects.filter(
        account=OuterRef("account"),
        user=OuterRef("user"),
        receipts_by_email=True,
        user__is_active=True,
    ).exclude(user__email="")
    stale = Q(updated_at__lt=timezone.now() - STALE)
    finished = Q(job__status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED])
    # A «sending» row may be in flight in a batch still running even when its job has been
    # marked failed (by another batch): only an hour's silence says its worker was lost.
    ReceiptDelivery.objects.filter(stale, period=period, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.UNCERTAIN, updated_at=timezone.now()
    )
    ReceiptDelivery.objects.filter(Exists(subscribed), period=period).filter(
        Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.PENDING) & (finished | stale)
    ).update(job=job, updated_at=timezone.now())
    _record_documents_delivered(period, ReceiptDelivery.objects.filter(period=period))
    links = subscriptions(period).values_list("account_id", "user_id", "user__email")
    for chunk in batched(links.iterator(chunk_size=INSERT_CHUNK), INSERT_CHUNK):
        rows = [
            ReceiptDelivery(period=period, account_id=account, user_id=user, email=email,
                            status=DeliveryStatus.PENDING, job=job)
            for account, user, email in chunk
        ]  # fmt: skip
        # A pair that has a row already is sent, taken above, or another mailing's.
        ReceiptDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    rows = ReceiptDelivery.objects.filter(job=job).order_by("pk").values_list("pk", flat=True)
    batches = [
        (chunk[0], chunk[-1], len(chunk))
        for chunk in batched(rows.iterator(chunk_size=BATCH * 10), BATCH)  # flat memory
    ]
    start_job(job, total=sum(size for _first, _last, size in batches), shared=True)
    if not batches:
        _finish_mailing(period, job)
    return batches


def release_uncertain(deliveries) -> int:
    """Staff's answer to «не подтверждена»: having found in the SMTP server's log that these
    letters never went out, they hand them to the next mailing, as failed ones are. Only staff
    can know that: no mailing sends an «uncertain» letter on its own. The rows' count."""
    return deliveries.filter(status=DeliveryStatus.UNCERTAIN).update(
        status=DeliveryStatus.FAILED,
        error="Сервер не подтвердил письмо; сотрудник отправил его повторно.",
        updated_at=timezone.now(),
    )


def send_batch(period: Period, job: Job, batch: Batch) -> None:
    """Send the rows of ``batch`` that ``job`` still owns and has not sent, over one SMTP
    connection; count the batch in the job (its planned size, once: a batch cut short counts
    when it runs again) and finish the job after its last batch. A row «sending» here was
    claimed by this batch's run that died: it becomes «uncertain», not sent again."""
    _batch_rows(job, batch).filter(status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.UNCERTAIN, updated_at=timezone.now()
    )
    rows = list(
        _batch_rows(job, batch)
        .exclude(status__in=[DeliveryStatus.SENT, DeliveryStatus.UNCERTAIN])
        .select_related("user", "account")
        .order_by("pk")
    )
    documents = _latest_documents(period, {row.account_id for row in rows})
    problems = []
    template = LetterTemplate()  # the headers every letter of the batch shares, encoded once
    # One connection reused for the whole batch.
    with mailers.default as connection, _Courier(connection, job, problems) as courier:
        for account_id, account_rows in groupby(rows, key=lambda row: row.account_id):
            document = None
            for row in account_rows:
                try:
                    if document is None:  # the issued file, checked against its SHA-256
                        issued = documents.get(account_id) or issued_document(row.account, period)
                        document = _document(issued)
                    letter = _letter(template, row.user, *document)
                except Exception as error:  # one bad receipt must not stop the others
                    courier.fail(row, error)
                else:
                    courier.send(row, letter)
    _record_documents_delivered(period, _batch_rows(job, batch))
    failed = _batch_rows(job, batch).filter(status=DeliveryStatus.FAILED).count()
    add_progress(job, done=batch[2], failed=failed, problems=problems)
    if job.done >= job.total:
        _finish_mailing(period, job)


class _Courier:
    """The batch's letters handed to its SMTP session one at a time. A letter is claimed
    («sending», committed) once its text has gone and before the server is asked to take it,
    and what the server answered is recorded together with the claim of the next letter, in
    one UPDATE (``_settle_and_claim``): one durable commit a letter, made while the server
    reads the letter, and at most one letter claimed and not recorded. (Handing the letters
    over from a thread, so that the server takes one while the next is composed, cost more CPU
    than it saved on the loaded 2-core machine of ``bench/README.md``: not kept.)"""

    def __init__(self, connection, job: Job, problems: list[str]):
        self.connection, self.job, self.problems = connection, job, problems
        self.in_flight: Outcome | None = None  # the letter handed over last, not recorded

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.settle()

    def send(self, row: ReceiptDelivery, letter: Letter) -> None:
        """Hand ``letter`` over, claimed as the previous one is recorded, if ``row`` is still
        ours. A letter refused before its claim (the recipient, say) is claimed to record it."""
        asked = answered = claimed = False

        def claim() -> bool:
            nonlocal asked, answered, claimed
            asked = True
            claimed = self.settle(claim=row)
            answered = True
            return claimed

        try:
            went = post(self.connection, letter, claim)
        except Exception as error:  # one refused letter must not stop the others
            if asked and not answered:  # the database failed: the batch stops
                raise
            if not asked:
                claimed = self.settle(claim=row)
            if claimed:
                self.in_flight = self._failure(row, error, uncertain=isinstance(error, AnswerLost))
            _reconnect(self.connection)
        else:
            if went:
                self.in_flight = (row, DeliveryStatus.SENT, "")

    def fail(self, row: ReceiptDelivery, error: Exception) -> None:
        """``row``'s letter could not be made (its document unreadable): record why."""
        if self.settle(claim=row):
            self.in_flight = self._failure(row, error)

    def settle(self, claim: ReceiptDelivery | None = None) -> bool:
        """Record what became of the letter in flight, claiming ``claim`` in the same
        statement; whether ``claim`` is ours to send."""
        outcome, self.in_flight = self.in_flight, None
        if outcome is None and claim is None:
            return False
        return _settle_and_claim(outcome, claim, self.job)

    def _failure(self, row: ReceiptDelivery, error: Exception, uncertain=False) -> Outcome:
        """A failed letter, retried by the next mailing; ``uncertain`` when the server may
        have taken it (its answer to the dot was lost): never sent again."""
        if uncertain:
            self.problems.append(
                f"ЛС {row.account.number}, {row.user.email}: сервер не ответил, "
                f"дошло ли письмо, неизвестно; повторно не отправлено ({error})"
            )
            return (row, DeliveryStatus.UNCERTAIN, f"{type(error).__name__}: {error}")
        self.problems.append(f"ЛС {row.account.number}, {row.user.email}: {error}")
        return (row, DeliveryStatus.FAILED, f"{type(error).__name__}: {error}")


def _batch_rows(job: Job, batch: Batch):
    first, last, _size = batch
    return ReceiptDelivery.objects.filter(job=job, pk__gte=first, pk__lte=last)


def _latest_documents(period: Period, account_ids) -> dict[int, IssuedDocument]:
    """The newest issued version of each account's document for ``period``, by account id."""
    documents = (
        IssuedDocument.objects.filter(period=period, account_id__in=account_ids)
        .select_related("account", "period")
        .order_by("account_id", "version")
    )
    return {document.account_id: document for document in documents}  # the last version wins


def _settle_and_claim(outcome: Outcome | None, claim: ReceiptDelivery | None, job: Job) -> bool:
    """In one statement (committed): record ``outcome`` — a row sent or failed, its attempt
    counted — and mark ``claim`` «sending» with its subscriber's address, unless ``job`` no
    longer owns it or it has been sent. Returns whether ``claim`` was marked."""
    now = db.ops.adapt_datetimefield_value(timezone.now())
    done, status, error = outcome or (None, "", "")
    done_id, claim_id = done and done.pk, claim and claim.pk
    sent_at = now if status == DeliveryStatus.SENT else None
    with db.cursor() as cursor:
        cursor.execute(
            _settle_and_claim_sql(),
            [
                done_id, status, DeliveryStatus.SENDING,
                done_id, error,
                done_id,
                done_id, sent_at,
                done_id, claim and claim.user.email,
                now,
                done_id, claim_id, job.pk, DeliveryStatus.SENT,
            ],
        )  # fmt: skip
        written = cursor.rowcount
    # The row in flight is ours whatever happens; a deleted one (its user deleted meanwhile)
    # leaves the claimed row «sending», for a mailing an hour later: never sent twice.
    return claim is not None and written > (done is not None)


@cache
def _settle_and_claim_sql() -> str:
    """The statement of ``_settle_and_claim``, written once: compiled by the ORM (``Case``,
    ``When``) it cost ~1 ms of CPU a letter, a fifth of what a letter may take. A missing row
    id is NULL, which no ``id =`` matches."""
    name = db.ops.quote_name
    table = name(ReceiptDelivery._meta.db_table)
    column = {
        field: name(ReceiptDelivery._meta.get_field(field).column)
        for field in ("id", "status", "error", "attempts", "sent_at", "email", "updated_at", "job")
    }
    return (
        "UPDATE {table} SET"
        " {status} = CASE WHEN {id} = %s THEN %s ELSE %s END,"
        " {error} = CASE WHEN {id} = %s THEN %s ELSE {error} END,"
        " {attempts} = CASE WHEN {id} = %s THEN {attempts} + 1 ELSE {attempts} END,"
        " {sent_at} = CASE WHEN {id} = %s THEN %s ELSE {sent_at} END,"
        " {email} = CASE WHEN {id} = %s THEN {email} ELSE %s END,"
        " {updated_at} = %s"
        " WHERE {id} = %s OR ({id} = %s AND {job} = %s AND {status} <> %s)"
    ).format(table=table, **column)


def _reconnect(connection) -> None:
    """After a failed message the SMTP session may be broken: start a new one. If the server
    cannot be reached now, the next message opens its own connection (and fails on its own)."""
    try:
        connection.close()
        connection.open()
    except Exception:  # the next send reports the server's state, message by message
        pass


def _record_documents_delivered(period: Period, deliveries) -> None:
    """The payment document reached the account when its first e-receipt was sent
    (``receipts.delivery``). Recorded per batch, and for the whole period when a mailing is
    planned, so that what a batch cut short had sent is recorded too."""
    recorded = DocumentDelivery.objects.filter(period=period, account=OuterRef("account"))
    sent = (
        deliveries.filter(~Exists(recorded), status=DeliveryStatus.SENT)
        .values("account_id")
        .annotate(first=Min("sent_at"))
        .order_by()
    )
    for chunk in batched(sent.iterator(chunk_size=INSERT_CHUNK), INSERT_CHUNK):
        rows = [
            DocumentDelivery(account_id=row["account_id"], period=period,
                             delivered_at=row["first"], channel=DeliveryChannel.EMAIL)
            for row in chunk
        ]  # fmt: skip
        # A delivery recorded meanwhile (a resident opened the document) stays the first one.
        DocumentDelivery.objects.bulk_create(rows, ignore_conflicts=True)


def _finish_mailing(period: Period, job: Job) -> None:
    """Finish ``job`` once all its batches are counted (the last batch to end does it)."""
    mine = ReceiptDelivery.objects.filter(job=job)
    result = {
        "Отправлено": mine.filter(status=DeliveryStatus.SENT).count(),
        "С ошибкой": mine.filter(status=DeliveryStatus.FAILED).count(),
        "Отправлено раньше": ReceiptDelivery.objects.filter(
            period=period, status=DeliveryStatus.SENT
        )
        .exclude(job=job)
        .count(),
    }
    uncertain = mine.filter(status=DeliveryStatus.UNCERTAIN).count()
    if uncertain:  # the letters claimed by workers that died: maybe sent, not sent again
        result["Не подтверждено сервером"] = uncertain
    finish_shared_job(job, result)


def _document(issued: IssuedDocument) -> tuple[Receipt, bytes, bytes, str]:
    """What the letters of an account carry: the document's data, its stored PDF (checked
    against its SHA-256), the PDF in base64 (encoded once for the account's subscribers) and
    the file's name."""
    pdf = stored_pdf(issued)
    return issued_receipt(issued), pdf, base64_lines(pdf), document_filename(issued)


def _letter(template: LetterTemplate, user, receipt: Receipt, pdf: bytes, pdf_base64: bytes,
            filename: str) -> Letter:  # fmt: skip
    context = {"user": user, "receipt": receipt}
    return template.compose(
        to=user.email,
        subject=f"Квитанция за {month_name(receipt.month)}, ЛС № {receipt.account_number}",
        body=render_to_string("receipts/email/receipt.txt", context),
        reply_to=receipt.payee.email,
        pdf=pdf,
        pdf_base64=pdf_base64,
        filename=filename,
    )
