"""Webhooks with an outbox.

A domain service that credits a payment, records a resident's readings or opens an appeal calls
``emit`` inside its own transaction: the event and its deliveries (one per subscribed webhook of
the organisation) are committed with the change or not at all. Once committed, a background task
delivers what is due (``deliver_due``); ``manage.py deliver_webhooks`` (every minute, a systemd
timer) retries what failed.

A delivery is a POST of JSON signed with the webhook's secret: ``X-Kabinet-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` with ``X-Kabinet-Timestamp`` (Unix seconds),
so that the receiver can refuse replays. Any 2xx answer delivers it; anything else (another
code, a redirect, no answer within ``TIMEOUT``) is an attempt logged with its reason and retried
after ``BACKOFF``; after the last one the delivery is given up (failed).
"""

import datetime
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import plain, record
from kabinet.webhooks.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    EventKind,
    OutboxEvent,
    Webhook,
)

logger = logging.getLogger(__name__)
TIMEOUT = 5  # seconds for the receiver to answer
BACKOFF = tuple(
    datetime.timedelta(minutes=minutes) for minutes in (1, 5, 30, 120, 360, 1440)
)  # after the 1st, 2nd… failed attempt; then it is given up
MAX_ATTEMPTS = len(BACKOFF) + 1
BATCH = 100  # deliveries locked and tried one after another
BUDGET = datetime.timedelta(seconds=50)  # per run of ``deliver_due``: under the timer's minute
SIGNATURE_HEADER = "X-Kabinet-Signature"
TIMESTAMP_HEADER = "X-Kabinet-Timestamp"


class WebhookRefused(Exception):
    """The webhook cannot be registered; ``str(error)`` is the message for the person."""


def create_webhook(organization, url: str, events, created_by, *, ip: str | None = None) -> Webhook:
    """A new webhook of ``organization`` with a new secret (``webhook.secret``); where the
    organisation's data goes is in the audit log."""
    url = url.strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise WebhookRefused("Неверный адрес.") from None
    if urlsplit(url).scheme != "https" and not settings.WEBHOOKS_ALLOW_HTTP:
        raise WebhookRefused("Адрес должен начинаться с https://.")
    events = [event for event in EventKind.values if event in set(events)]
    if not events:
        raise WebhookRefused("Выберите хотя бы одно событие.")
    webhook = Webhook.objects.create(
        organization=organization,
        url=url,
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        events=events,
        created_by=created_by,
    )
    _audit(webhook, created_by, AuditAction.ADDED, ip, url=[None, url], events=[None, events])
    return webhook


def _audit(webhook, user, action, ip, **changes):
    record(
        action=action,
        organization=webhook.organization,
        actor=user,
        ip=ip,
        obj=webhook,
        changes={name: [plain(old), plain(new)] for name, (old, new) in changes.items()},
    )


def emit(organization_id: int, kind: str, payload_of) -> OutboxEvent | None:
    """Write the event ``kind`` of the organisation to the outbox, in the caller's transaction,
    if any of its active webhooks hears of it; ``payload_of()`` builds its data only then."""
    events = emit_many(organization_id, kind, lambda: [payload_of()])
    return events[0] if events else None


def emit_many(organization_id: int, kind: str, payloads_of) -> list[OutboxEvent]:
    """``emit`` for several events of one kind (a registry's payments) in a few queries."""
    webhooks = [
        webhook
        for webhook in Webhook.objects.filter(organization_id=organization_id, is_active=True)
        if kind in webhook.events
    ]
    if not webhooks:
        return []
    events = OutboxEvent.objects.bulk_create(
        OutboxEvent(
            organization_id=organization_id,
            kind=kind,
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
        )
        for payload in payloads_of()
    )
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(event=event, webhook=webhook, next_attempt_at=now)
        for event in events
        for webhook in webhooks
    )
    if events:
        from kabinet.webhooks import tasks  # the task module imports this one

        transaction.on_commit(tasks.deliver.enqueue)
    return events


def payment_payload(payment) -> dict:
    """The data of «платёж зачислен»."""
    return {
        "payment_id": payment.pk,
        "account": payment.account.number,
        "amount": payment.amount,
        "paid_on": payment.paid_on,
        "source": payment.source,
        "month": payment.period,
        "capital_repair": payment.capital_repair,
    }


def body_of(event: OutboxEvent) -> bytes:
    return json.dumps(
        {
            "id": event.pk,
            "event": event.kind,
            "created_at": event.created_at.isoformat(),
            "data": event.payload,
        },
        ensure_ascii=False,
    ).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of ``X-Kabinet-Signature`` (what a receiver computes to check it)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer like any other: not a delivery


_opener = urllib.request.build_opener(_NoRedirects)


def _post(delivery: Delivery) -> tuple[int | None, str]:
    """(status code, error) of one POST of the delivery's event."""
    body = body_of(delivery.event)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Kabinet-Webhooks/1",
            "X-Kabinet-Event": delivery.event.kind,
            "X-Kabinet-Delivery": str(delivery.pk),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(delivery.webhook.secret, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, str(reason)[:255] or type(error).__name__


def attempt(delivery: Delivery, now: datetime.datetime | None = None) -> Delivery:
    """Try the delivery once and log the attempt; schedule the next one or give it up."""
    started = time.monotonic()
    status_code, error = _post(delivery)
    now = now or timezone.now()
    Attempt.objects.create(
        delivery=delivery,
        status_code=status_code,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    delivery.attempts += 1
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            now,
            None,
        )
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        logger.warning("Webhook delivery %s given up after %s attempts", delivery.pk, MAX_ATTEMPTS)
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "delivered_at"])
    return delivery


def deliver_due(now: datetime.datetime | None = None) -> int:
    """Attempt the deliveries that are due, a batch of ``BATCH`` after another until none is
    left or ``BUDGET`` has passed (the timer's next run goes on); returns how many were tried."""
    started = time.monotonic()
    tried = 0
    while True:
        done = _deliver_batch(now or timezone.now())
        tried += done
        if done < BATCH or time.monotonic() - started > BUDGET.total_seconds():
            return tried


def _deliver_batch(now: datetime.datetime) -> int:
    """Each delivery is locked while it is tried, so that two workers never send it twice."""
    due = Delivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now, webhook__is_active=True
    )
    tried = 0
    for pk in due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:BATCH]:
        with transaction.atomic():
            delivery = (
                due.select_for_update(skip_locked=True, of=("self",))
                .select_related("event", "webhook")
                .filter(pk=pk)
                .first()
            )
            if delivery is not None:
                attempt(delivery, now)
                tried += 1
    return tried


def deliveries_of(webhook):
    return webhook.deliveries.select_related("event").prefetch_related("attempts_made")


def disable_webhook(webhook: Webhook, user=None, *, ip: str | None = None) -> None:
    """Stop a webhook: nothing more is sent to it, what was waiting is given up."""
    with transaction.atomic():
        if webhook.is_active:
            _audit(webhook, user, AuditAction.CHANGED, ip, is_active=[True, False])
        webhook.is_active = False
        webhook.save(update_fields=["is_active"])
        webhook.deliveries.filter(status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None
        )
