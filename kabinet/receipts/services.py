"""E-receipts: when a period's documents are issued, every subscriber of an account
(``AccountLink`` with ``receipts_by_email``) gets the account's issued document — the stored
PDF, checked against its SHA-256 (``receipts.issuing``) — once per account and period. The
mailing runs as a background task that staff follow on the job page; a failed delivery is
recorded, shown to staff, and retried by the next mailing of the period."""

import datetime
from itertools import groupby

from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet.billing.models import Period
from kabinet.formats import month_name
from kabinet.jobs.models import Job
from kabinet.jobs.services import finish_job, report_progress, start_job
from kabinet.receipts.delivery import record_document_delivered
from kabinet.receipts.issuing import (
    document_filename,
    issued_document,
    issued_receipt,
    stored_pdf,
)
from kabinet.receipts.models import DeliveryChannel, DeliveryStatus, ReceiptDelivery
from kabinet.users.models import AccountLink

# A delivery left «sending» this long ago belongs to a worker that died: it may be retried.
STALE_SENDING = datetime.timedelta(hours=1)


def subscriptions(period: Period):
    """The (account, user) links to mail for ``period``: subscribed, with an e-mail address,
    on accounts that have charges in it."""
    return (
        AccountLink.objects.filter(
            receipts_by_email=True,
            account__organization=period.organization_id,
            account__charges__period=period,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user", "account__organization", "account__premise__house")
        .distinct()
        .order_by("account__number", "user_id")
    )


def mail_period_receipts(period: Period, job: Job) -> dict[str, int]:
    """Mail the receipts of a closed ``period`` to the subscribers not mailed yet."""
    if not period.is_closed:
        raise ValueError("Receipts are mailed for a closed period.")
    already_sent = set(
        ReceiptDelivery.objects.filter(period=period, status=DeliveryStatus.SENT).values_list(
            "account_id", "user_id"
        )
    )
    pending = [
        link
        for link in subscriptions(period)
        if (link.account_id, link.user_id) not in already_sent
    ]
    start_job(job, total=len(pending))
    done = sent = failed = 0
    for account, links in groupby(pending, key=lambda link: link.account):
        document = None
        for link in links:
            done += 1
            delivery = _claim(period, link)
            if delivery is None:  # another mailing is sending it right now
                continue
            try:
                if document is None:  # the issued file, checked against its SHA-256
                    issued = issued_document(account, period)
                    pdf, filename = stored_pdf(issued), document_filename(issued)
                    document = (issued_receipt(issued), pdf, filename)
                _send(link.user, *document)
            except Exception as error:  # one bad receipt must not stop the others
                failed += 1
                _finish(delivery, DeliveryStatus.FAILED, f"{type(error).__name__}: {error}")
                problem = f"ЛС {account.number}, {link.user.email}: {error}"
                report_progress(job, done, failed, problem)
            else:
                sent += 1
                _finish(delivery, DeliveryStatus.SENT)
                record_document_delivered(
                    account=account, period=period, channel=DeliveryChannel.EMAIL
                )
                report_progress(job, done, failed)
    result = {"Отправлено": sent, "С ошибкой": failed, "Отправлено раньше": len(already_sent)}
    finish_job(job, result)
    return result


def _claim(period, link) -> ReceiptDelivery | None:
    """The delivery row, marked «sending» for this run; ``None`` if it is not ours to send."""
    delivery, created = ReceiptDelivery.objects.get_or_create(
        period=period,
        account=link.account,
        user=link.user,
        defaults={"email": link.user.email, "status": DeliveryStatus.SENDING},
    )
    if created:
        return delivery
    retryable = Q(status=DeliveryStatus.FAILED) | Q(
        status=DeliveryStatus.SENDING, updated_at__lt=timezone.now() - STALE_SENDING
    )
    claimed = ReceiptDelivery.objects.filter(retryable, pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, email=link.user.email, updated_at=timezone.now()
    )
    return delivery if claimed else None


def _finish(delivery: ReceiptDelivery, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.error = error
    delivery.attempts += 1
    if status == DeliveryStatus.SENT:
        delivery.sent_at = timezone.now()
    delivery.save(update_fields=["status", "error", "attempts", "sent_at", "updated_at"])


def _send(user, receipt, pdf: bytes, filename: str) -> None:
    context = {"user": user, "receipt": receipt}
    message = EmailMessage(
        subject=f"Квитанция за {month_name(receipt.month)}, ЛС № {receipt.account_number}",
        body=render_to_string("receipts/email/receipt.txt", context),
        to=[user.email],
        reply_to=[receipt.payee.email] if receipt.payee.email else None,
    )
    message.attach(filename, pdf, "application/pdf")
    message.send()
