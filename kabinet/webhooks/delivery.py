"""Delivering webhook events: a POST of JSON signed with the webhook's secret
(``X-Kabinet-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` with
``X-Kabinet-Timestamp``, Unix seconds, so that the receiver can refuse replays). Any 2xx answer
delivers it; anything else (another code, a redirect, no answer within ``TIMEOUT``, an address
that is not public: ``webhooks.addresses``) is an attempt logged with its reason and retried
after ``BACKOFF``; after the last one the delivery is given up (failed). Run by
``tasks.deliver`` after an event is committed and by ``manage.py deliver_webhooks`` every
minute."""

import datetime
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.utils import timezone

from kabinet.webhooks import addresses
from kabinet.webhooks.models import Attempt, Delivery, DeliveryStatus, OutboxEvent

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
_tls = ssl.create_default_context()  # the system's CAs, the host's name checked


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


def _connection(url, checked, port: int) -> http.client.HTTPConnection:
    """A connection to the URL's host that reaches only the ``checked`` addresses: the
    name is still the TLS server name and the ``Host``, but DNS is not asked again. No proxy
    from the environment is used: it would reach what it resolves, not what was checked."""
    https = url.scheme == "https"
    connection = (
        http.client.HTTPSConnection(url.hostname, port, timeout=TIMEOUT, context=_tls)
        if https
        else http.client.HTTPConnection(url.hostname, port, timeout=TIMEOUT)
    )

    def connect(_address, timeout, source_address):
        error = None
        for address in checked:  # as socket.create_connection tries a name's addresses
            try:
                return socket.create_connection((str(address), port), timeout, source_address)
            except OSError as failed:
                error = failed
        raise error

    connection._create_connection = connect
    return connection


def _post(delivery: Delivery) -> tuple[int | None, str]:
    """(status code, error) of one POST of the delivery's event. The host is resolved and
    checked again now (``addresses.public_addresses``); a redirect is an answer, not followed."""
    body = body_of(delivery.event)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Kabinet-Webhooks/1",
        "X-Kabinet-Event": delivery.event.kind,
        "X-Kabinet-Delivery": str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(delivery.webhook.secret, timestamp, body),
    }
    try:
        url = urlsplit(delivery.webhook.url)
        port = url.port or (443 if url.scheme == "https" else 80)
        checked = addresses.public_addresses(url.hostname, port)
    except addresses.AddressRefused as refused:
        return None, f"Не отправлено: {refused}"[:255]
    except ValueError as error:  # a port that is not a number
        return None, str(error)[:255]
    connection = _connection(url, checked, port)
    target = urlunsplit(("", "", url.path or "/", url.query, ""))
    try:
        connection.request("POST", target, body=body, headers=headers)
        return connection.getresponse().status, ""
    except (OSError, http.client.HTTPException, ValueError) as error:
        return None, str(error)[:255] or type(error).__name__
    finally:
        connection.close()


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
