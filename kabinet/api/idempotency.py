"""``Idempotency-Key``: a POST retried with the same key (after a lost answer) does nothing a
second time and gets the first answer again.

The key's row is inserted in the transaction of the work itself: a simultaneous retry waits on
the unique constraint (token, key) and then finds the answer; work that fails rolls the row
back with it, so a refused request may be retried with the same key. Only successes are kept.
"""

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from ninja import Header
from ninja.renderers import NinjaJSONEncoder

from kabinet.api.bodies import is_multipart
from kabinet.api.models import IdempotentRequest
from kabinet.api.problems import Problem, no_store

MAX_KEY_LENGTH = 255
# How long an answer is kept for a retry: a client retries within minutes, a day is ample (the
# common practice of payment APIs). Older keys are purged (``purge_expired``, a daily timer);
# the same key after that is a new request.
RETENTION = datetime.timedelta(hours=24)


def run_once(request, key: str | None, work) -> tuple[int, dict, bool]:
    """(status, body, replayed): ``work()`` → (status, JSON-ready body), done once per key."""
    if not key:
        return (*work(), False)
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(
            422, f"Ключ идемпотентности длиннее {MAX_KEY_LENGTH} символов.", kind="validation"
        )
    fingerprint = fingerprint_of(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    token=request.auth, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            record = IdempotentRequest.objects.get(token=request.auth, key=key)
            if record.fingerprint != fingerprint:
                raise Problem(
                    422,
                    "Этот ключ идемпотентности уже использован для другого запроса.",
                    kind="idempotency-key-reused",
                ) from None
            return record.status, record.body, True
        status, body = work()
        record.status, record.body = status, body
        record.save(update_fields=["status", "body"])
    return status, body, False


def fingerprint_of(request) -> str:
    """What makes a request the same one again: its method, path and body. A form with files
    counts its fields and the files' names and contents, not its bytes: the boundary between
    the parts differs on every retry, and a body with files is not kept in memory."""
    head = request.method.encode() + b" " + request.path.encode() + b"\n"
    if not is_multipart(request):
        return hashlib.sha256(head + request.body).hexdigest()
    digest = hashlib.sha256(head)
    for name, values in sorted(request.POST.lists()):
        digest.update(json.dumps([name, values]).encode() + b"\n")
    for name, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            digest.update(json.dumps([name, upload.name, upload.size]).encode() + b"\n")
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def key_header():
    """The ``Idempotency-Key`` header of an operation that creates something."""
    return Header(
        None, alias="Idempotency-Key", description="Уникальный ключ запроса (до 255 символов)"
    )


def once_response(request, key: str | None, work) -> JsonResponse:
    """``run_once`` as the operation's answer; a replay says so in ``Idempotency-Replayed``."""
    status, body, replayed = run_once(request, key, work)
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if replayed:
        response["Idempotency-Replayed"] = "true"
    return no_store(response)


def as_json(schema) -> dict:
    """An answer as the API renders it (times to the millisecond, as in every GET), ready to
    be kept for a replay."""
    return json.loads(json.dumps(schema.model_dump(), cls=NinjaJSONEncoder))


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete the answers kept longer than ``RETENTION``; returns how many."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
