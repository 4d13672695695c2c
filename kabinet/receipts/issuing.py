"""Issued payment documents: each account's document for a closed period is drawn once and
kept — the PDF through Django's storage API with its SHA-256, the data it was drawn from as
JSON — and served as kept, as pretix keeps its invoices (docs/design.md, «Issued payment
documents»).

- Closing a period queues the issue of all its documents (``receipts.tasks``, a job whose
  subject is the period); a document the issue has not reached yet (or of a month closed
  before documents were kept) is issued when first asked for. Either way one account has one
  first version per period: the unique (account, period, version) decides a race, and the
  loser's file is removed.
- A document is drawn from the data at issue, its money summary from the balances the
  closing stored (``receipt_data(frozen=True)``). Nothing of an issued document changes
  afterwards: new requisites, a payment recorded late with a date in the month, a
  recalculation (which the next month's document shows) leave it as it was. Staff may issue
  a corrected document (``reissue_document``): a new version with a reason, in the audit log;
  the earlier versions stay, residents get the newest.
- Serving checks the stored file against its SHA-256 (``stored_pdf``): a file that is gone or
  differs is never drawn again silently — the resident gets a page saying so, the error log
  names the document, and staff issue a new version if the document must be drawn anew."""

import hashlib
import logging
from dataclasses import replace

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.billing.models import Charge, Period
from kabinet.data_versions import bump_accounts
from kabinet.housing.models import PersonalAccount
from kabinet.jobs.models import Job
from kabinet.jobs.services import finish_job, report_progress, start_job
from kabinet.receipts.models import IssuedDocument
from kabinet.receipts.payees import payee_of
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import Receipt, receipt_batch, receipt_data
from kabinet.receipts.snapshot import receipt_from_json, receipt_to_json

log = logging.getLogger(__name__)

# Accounts read and documents committed per batch of a period's issue: one transaction per
# batch (a commit per document would cost more than drawing it), progress after each.
BATCH = 200


class DocumentUnavailable(Exception):
    """The stored file of an issued document cannot be served as issued: it is gone, cannot
    be read, or differs from its SHA-256. The message is for staff and the log."""


class ReissueConflict(Exception):
    """Another corrected version of the same document was issued at the same moment."""


def document_number(account, period: Period, version: int = 1) -> str:
    """«<ЛС>-<ММ.ГГГГ>», with «/<версия>» on a corrected document: unique in the
    organisation, as account numbers are."""
    number = f"{account.number}-{period.month:%m.%Y}"
    return f"{number}/{version}" if version > 1 else number


def document_filename(document: IssuedDocument) -> str:
    """The download's name: the account, the month and, for a corrected one, the version."""
    month = document.period.month
    suffix = f"-{document.version}" if document.version > 1 else ""
    return f"kvitanciya-{document.account.number}-{month:%Y-%m}{suffix}.pdf"


def latest_document(account, period: Period) -> IssuedDocument | None:
    """The newest version of the account's document for ``period``: the one residents get."""
    return (
        IssuedDocument.objects.filter(account=account, period=period)
        .select_related("account", "period")
        .order_by("-version")
        .first()
    )


def issued_document(account, period: Period) -> IssuedDocument:
    """The account's document for the closed ``period``, issued now if it has not been yet."""
    document = latest_document(account, period)
    if document is None:
        document, _created = _issue(account, period, version=1)
    return document


def issued_receipt(document: IssuedDocument) -> Receipt:
    """The data the document was drawn from, as it was at issue (its print page shows it)."""
    return receipt_from_json(document.data)


def documents_of(account):
    """Every issued version of the account's documents, newest month and version first."""
    return (
        IssuedDocument.objects.filter(account=account)
        .select_related("period", "issued_by")
        .order_by("-period__month", "-version")
    )


def stored_pdf(document: IssuedDocument) -> bytes:
    """The stored PDF of ``document``, exactly as issued; ``DocumentUnavailable`` (logged as an
    error) if it is gone, unreadable or not what was issued."""
    try:
        with document.file.open("rb") as stored:
            content = stored.read()
    except Exception as error:  # a missing file, the storage unreachable: any of these
        log.error(
            "Issued document %s (pk %s): its file %s cannot be read: %s",
            document.number, document.pk, document.file.name, error,
        )  # fmt: skip
        raise DocumentUnavailable(f"Файл документа № {document.number} не читается.") from error
    digest = hashlib.sha256(content).hexdigest()
    if digest != document.sha256:
        log.error(
            "Issued document %s (pk %s): the SHA-256 of its file %s is %s, issued as %s",
            document.number, document.pk, document.file.name, digest, document.sha256,
        )  # fmt: skip
        raise DocumentUnavailable(f"Файл документа № {document.number} не совпадает с выпущенным.")
    return content


def reissue_document(account, period: Period, *, user, reason: str, ip=None) -> IssuedDocument:
    """A corrected document for a closed ``period``, drawn from the data as they are now (the
    organisation's and the suppliers' requisites corrected, the house's figures, the ИПД given
    since; the month's money as the closing stored it): the next version, with ``reason``,
    written to the audit log; the earlier versions are kept. Staff only, after the rights
    check."""
    if not period.is_closed or period.organization_id != account.organization_id:
        raise ValueError("A document is reissued for a closed period of its organisation.")
    reason = reason.strip()
    if not reason:
        raise ValueError("A corrected document needs its reason.")
    previous = latest_document(account, period)
    version = previous.version + 1 if previous else 1
    with transaction.atomic():
        document, created = _issue(account, period, version=version, user=user, reason=reason)
        if not created:
            raise ReissueConflict(
                f"Документ № {document.number} только что выпустил другой сотрудник."
            )
        record(
            action=AuditAction.DOCUMENT_REISSUED,
            organization=account.organization,
            actor=user,
            ip=ip,
            obj=document,
            changes={
                "version": [previous.version if previous else None, version],
                "sha256": [previous.sha256 if previous else None, document.sha256],
                "reason": [None, reason],
            },
            amount=issued_receipt(document).to_pay,
        )
    return document


def accounts_to_issue(period: Period):
    """The accounts charged in ``period`` whose document has not been issued yet."""
    charged = Charge.objects.filter(period=period, account=OuterRef("pk"))
    issued = IssuedDocument.objects.filter(period=period, account=OuterRef("pk"))
    return PersonalAccount.objects.filter(
        Exists(charged), ~Exists(issued), organization=period.organization_id
    )


def issue_period_documents(period: Period, job: Job) -> dict[str, int]:
    """Issue the documents of the closed ``period`` that are not issued yet, reporting to
    ``job``; an account that fails is named in the job and the others go on. Safe to run
    again: what is issued is skipped (so a run cut short resumes where it stopped)."""
    if not period.is_closed:
        raise ValueError("Documents are issued for a closed period.")
    earlier = IssuedDocument.objects.filter(period=period, version=1).count()
    pending = accounts_to_issue(period)
    start_job(job, total=pending.count())
    payee, shared = payee_of(period.organization), {}
    done = issued = failed = 0
    accounts = pending.select_related("organization", "premise__house").order_by("pk")
    last = 0
    while batch := list(accounts.filter(pk__gt=last)[:BATCH]):  # keyset: memory stays flat
        last = batch[-1].pk
        problems = []
        with transaction.atomic():
            read = receipt_batch(batch, period, frozen=True)  # four queries, not four each
            drawn = []
            for account in batch:
                try:
                    drawn.append(
                        _drawn(account, period, version=1, payee=payee, shared=shared, batch=read)
                    )
                except Exception as error:  # one account's data must not stop the others
                    log.exception("Issuing the document of account %s failed", account.pk)
                    failed += 1
                    problems.append(f"ЛС {account.number}: {error}")
            try:
                with transaction.atomic():  # the batch's rows in one INSERT
                    IssuedDocument.objects.bulk_create(drawn)
                    bump_accounts(document.account_id for document in drawn)  # «Начисления»
                issued += len(drawn)
            except Exception:  # another run kept one of them, or one row is refused: one by one
                for document in drawn:
                    try:
                        _document, created = _keep(document)
                    except Exception as error:
                        log.exception("Keeping the document of account %s failed",
                                      document.account_id)  # fmt: skip
                        failed += 1
                        problems.append(f"ЛС {document.account.number}: {error}")
                    else:
                        issued += created
        done += len(batch)
        for problem in problems:
            report_progress(job, done, failed, problem)
        report_progress(job, done, failed)
    result = {"Выпущено": issued, "С ошибкой": failed, "Выпущено раньше": earlier}
    finish_job(job, result)
    return result


def _issue(account, period: Period, *, version: int, user=None, reason="", payee=None,
           shared=None) -> tuple[IssuedDocument, bool]:  # fmt: skip
    """Draw and keep one version; (the document, whether it is ours)."""
    drawn = _drawn(account, period, version=version, user=user, reason=reason, payee=payee,
                   shared=shared)  # fmt: skip
    return _keep(drawn)


def _drawn(account, period: Period, *, version: int, user=None, reason="", payee=None,
           shared=None, batch=None) -> IssuedDocument:  # fmt: skip
    """One version drawn and its file stored, its row not yet saved (``_keep`` saves it; the
    period's issue saves a batch of them in one INSERT)."""
    issued_at = timezone.now()
    receipt = replace(
        receipt_data(account, period, payee, shared, frozen=True, batch=batch),
        number=document_number(account, period, version),
        issued_at=issued_at,
        version=version,
    )
    content = receipt_pdf(receipt)
    document = IssuedDocument(
        account=account,
        period=period,
        version=version,
        number=receipt.number,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        data=receipt_to_json(receipt),
        issued_at=issued_at,
        issued_by=user,
        reason=reason,
    )
    document.file.save("document.pdf", ContentFile(content), save=False)
    return document


def _keep(document: IssuedDocument) -> tuple[IssuedDocument, bool]:
    """Save a drawn document's row; (the document, whether it is ours). If another process
    kept the same version first, its document is returned and our file removed."""
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        document.file.storage.delete(document.file.name)
        kept = IssuedDocument.objects.select_related("account", "period").get(
            account=document.account_id, period=document.period_id, version=document.version
        )
        return kept, False
    return document, True
