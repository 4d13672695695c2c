"""Writing the audit log: one ``record`` call where a money- or rights-changing action
happens (services, the back office's admin, the sign-in signal).

Values in ``changes`` are kept as people read them (a related record by its name, amounts
and dates as text), so that an entry still tells what happened after the records change."""

import datetime
from decimal import Decimal

from kabinet.audit.models import AuditEntry

SECRET_FIELDS = {"password"}  # never written to the log, not even as a hash


def entry(
    *,
    action: str,
    organization,
    actor=None,
    ip: str | None = None,
    obj=None,
    changes: dict | None = None,
    amount: Decimal | None = None,
) -> AuditEntry:
    """An entry not yet written (``record`` writes one, ``record_all`` many at once):
    ``actor`` (a user; None or anonymous — the system) did ``action`` in ``organization``
    (None — the whole portal) on ``obj``, from ``ip``."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEntry(
        action=action,
        organization=organization,
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        ip=ip,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        changes=changes or {},
        amount=amount,
    )


def record(**kwargs) -> AuditEntry:
    """Add an entry (the arguments are ``entry``'s)."""
    audit_entry = entry(**kwargs)
    audit_entry.save()
    return audit_entry


def record_all(entries: list[AuditEntry]) -> None:
    """Add the entries of one action on many records (an import) in one statement."""
    AuditEntry.objects.bulk_create(entries)


def plain(value):
    """A value as the log keeps it (JSON): text for records, amounts and dates."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


def snapshot(obj) -> dict:
    """``obj``'s fields (a related record by its name), as the log keeps them."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in SECRET_FIELDS:
            continue
        value = getattr(obj, field.name) if field.is_relation else field.value_from_object(obj)
        if isinstance(value, Decimal) and field.get_internal_type() == "DecimalField":
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))  # as stored
        values[field.name] = plain(value)
    return values


def added(obj) -> dict:
    return {name: [None, value] for name, value in snapshot(obj).items() if value not in (None, "")}


def deleted(obj) -> dict:
    return {name: [value, None] for name, value in snapshot(obj).items() if value not in (None, "")}


def changed(before: dict, obj) -> dict:
    """field → [old, new] for the fields of ``obj`` that differ from the ``before`` snapshot."""
    after = snapshot(obj)
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }
