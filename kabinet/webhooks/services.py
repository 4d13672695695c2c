"""Webhooks with an outbox.

A domain service that credits a payment, records a resident's readings or opens an appeal calls
``emit`` inside its own transaction: the event and its deliveries (one per subscribed webhook of
the organisation) are committed with the change or not at all. Once committed, a background task
delivers what is due (``delivery.deliver_due``); ``manage.py deliver_webhooks`` (every minute,
a systemd timer) retries what failed.

How a delivery is signed, sent and retried is ``webhooks.delivery``.
"""

import json
import logging
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import plain, record
from kabinet.webhooks import addresses, tasks
from kabinet.webhooks.models import (
    Delivery,
    DeliveryStatus,
    EventKind,
    OutboxEvent,
    Webhook,
)

logger = logging.getLogger(__name__)


class WebhookRefused(Exception):
    """The webhook cannot be registered; ``str(error)`` is the message for the person."""


def create_webhook(organization, url: str, events, created_by, *, ip: str | None = None) -> Webhook:
    """A new webhook of ``organization`` with a new secret (``webhook.secret``); where the
    organisation's data goes is in the audit log. Its host must be on the internet
    (``addresses.public_addresses``: not a private, loopback or other special address)."""
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
    parts = urlsplit(url)
    try:  # checked again before every delivery: a name's addresses may change
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses.public_addresses(parts.hostname, port)
    except ValueError:  # a port above 65535
        raise WebhookRefused("Неверный адрес.") from None
    except addresses.AddressRefused as refused:
        raise WebhookRefused(str(refused)) from None
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
        transaction.on_commit(tasks.enqueue_delivery)
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
