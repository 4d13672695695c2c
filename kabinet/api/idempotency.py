"""``Idempotency-Key``: a POST retried with the same key (after a lost answer) does nothing a
second time and gets the first answer again.

The key's row is inserted in the transaction of the work itself: a simultaneous retry waits on
the unique constraint (token, key) and then finds the answer; work that fails rolls the row
back with it, so a refused request may be retried with the same key. Only successes are kept.
"""

import hashlib

from django.db import IntegrityError, transaction

from kabinet.api.models import IdempotentRequest
from kabinet.api.problems import Problem

MAX_KEY_LENGTH = 255


def run_once(request, key: str | None, work) -> tuple[int, dict, bool]:
    """(status, body, replayed): ``work()`` → (status, JSON-ready body), done once per key."""
    if not key:
        return (*work(), False)
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(
            422, f"Ключ идемпотентности длиннее {MAX_KEY_LENGTH} символов.", kind="validation"
        )
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + request.body
    ).hexdigest()
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
