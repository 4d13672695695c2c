"""Background work of payments (``django.tasks``): run in-process in development and tests,
by ``manage.py db_worker`` in production."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet.payments import registry, services
from kabinet.payments.models import OnlinePayment


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
def check_pending_online_payments() -> int:
    return services.check_pending_online_payments()


@task
def import_registry(registry_id: int, ip: str | None = None) -> str:
    return registry.import_registry(registry_id, ip=ip)
