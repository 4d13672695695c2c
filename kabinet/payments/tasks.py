"""Background work of payments (``django.tasks``): the task bodies and the ``enqueue_*``
functions that queue them once the transaction commits. Run in-process in development and
tests, by ``manage.py db_worker`` in production."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet.payments.models import OnlinePayment, PaymentRegistry
from kabinet.payments.registry import crediting


def enqueue_payment_receipt(online_payment: OnlinePayment) -> None:
    """The payer's e-mail that ``online_payment`` is credited, once the credit is committed."""
    transaction.on_commit(lambda: send_payment_receipt.enqueue(online_payment.pk))


def enqueue_registry_import(registry: PaymentRegistry, ip: str | None) -> None:
    """The crediting of ``registry`` (its job is ``registry.job``), once it is committed."""
    transaction.on_commit(lambda: import_registry.enqueue(registry.pk, ip, job_id=registry.job_id))


@task
def send_payment_receipt(online_payment_id: int) -> bool:
    """E-mail the payer that the payment is credited — once, even if enqueued again."""
    claimed = OnlinePayment.objects.filter(
        pk=online_payment_id, receipt_sent_at__isnull=True, payment__isnull=False
    ).exclude(email="")
    if not claimed.update(receipt_sent_at=timezone.now()):
        return False
    online_payment = OnlinePayment.objects.select_related(
        "account__organization", "account__premise__house", "payment"
    ).get(pk=online_payment_id)
    context = {"online_payment": online_payment, "account": online_payment.account}
    send_mail(
        render_to_string("payments/email/payment_receipt_subject.txt", context).strip(),
        render_to_string("payments/email/payment_receipt.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [online_payment.email],
    )
    return True


@task
def import_registry(registry_id: int, ip: str | None = None, *, job_id: int | None = None) -> str:
    """Credit the registry; ``job_id`` (``registry.job``) is named only so that a task lost by
    its workers fails the job (kabinet/jobs/workers.py), the crediting reads it from the
    registry. It may be missing from a task queued before it was added."""
    return crediting.import_registry(registry_id, ip=ip)
