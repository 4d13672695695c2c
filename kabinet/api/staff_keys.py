"""Organisations' API keys (``StaffApiKey``): a key reads ``kbs_<prefix>_<secret>`` and acts
as a staff member of one organisation with one role — every role reads the organisation's
records, and writes what the role may write in the back office (``orgs.selectors.ROLE_DUTIES``).
The organisation's managers issue and revoke keys (``MANAGES``); both are in the audit log.
"""

import datetime
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone

from kabinet.api.models import StaffApiKey
from kabinet.audit.models import AuditAction
from kabinet.audit.services import plain, record
from kabinet.orgs.selectors import ROLE_DUTIES, organizations_to_change
from kabinet.users.tokens import LAST_USE_PRECISION, InvalidToken, digest_of

KEY_START = "kbs_"
MANAGES = "organization"  # the duty of those who issue keys: the managers
MAX_ACTIVE_KEYS = 20  # per organisation


class KeyRefused(Exception):
    """The key cannot be issued; ``str(error)`` is the message for the person."""


@dataclass(frozen=True)
class NewKey:
    key: StaffApiKey
    secret: str  # shown once


def is_staff_key(secret: str) -> bool:
    return secret.startswith(KEY_START)


def organizations_to_manage(user):
    """The organisations whose keys ``user`` issues and revokes."""
    return organizations_to_change(user, MANAGES)


def keys_for(organizations):
    return StaffApiKey.objects.for_organizations(organizations).select_related(
        "organization", "created_by"
    )


def active_keys(organization):
    now = timezone.now()
    return StaffApiKey.objects.filter(organization=organization, revoked_at__isnull=True).exclude(
        expires_at__lte=now
    )


def create_key(
    organization,
    *,
    name: str,
    role: str,
    created_by,
    expires_at: datetime.datetime | None = None,
    ip: str | None = None,
) -> NewKey:
    """A new key of ``organization`` (the caller has checked that ``created_by`` manages it)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise KeyRefused("Срок действия должен закончиться в будущем.")
    if active_keys(organization).count() >= MAX_ACTIVE_KEYS:
        raise KeyRefused(f"У организации уже {MAX_ACTIVE_KEYS} действующих ключей.")
    prefix = secrets.token_hex(6)
    secret = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    key = StaffApiKey.objects.create(
        organization=organization,
        role=role,
        name=name,
        prefix=prefix,
        digest=digest_of(secret),
        created_by=created_by,
        expires_at=expires_at,
    )
    _audit(key, created_by, AuditAction.ADDED, ip, name=[None, name], role=[None, role])
    return NewKey(key, secret)


def revoke_key(key: StaffApiKey, user, *, ip: str | None = None) -> StaffApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        _audit(key, user, AuditAction.CHANGED, ip, revoked_at=[None, key.revoked_at])
    return key


def _audit(key, user, action, ip, **changes):
    record(
        action=action,
        organization=key.organization,
        actor=user,
        ip=ip,
        obj=key,
        changes={name: [plain(old), plain(new)] for name, (old, new) in changes.items()},
    )


def authenticate_key(secret: str) -> StaffApiKey:
    """The key whose secret this is, its use noted; ``InvalidToken`` if it cannot be used."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or f"{parts[0]}_" != KEY_START:
        raise InvalidToken("Неверный ключ.")
    key = (
        StaffApiKey.objects.select_related("organization", "created_by")
        .filter(prefix=parts[1])
        .first()
    )
    if key is None or not hmac.compare_digest(key.digest, digest_of(secret)):
        raise InvalidToken("Неверный ключ.")
    now = timezone.now()
    if key.revoked_at is not None:
        raise InvalidToken("Ключ отозван.")
    if key.expires_at is not None and key.expires_at <= now:
        raise InvalidToken("Срок действия ключа истёк.")
    if key.last_used_at is None or now - key.last_used_at >= LAST_USE_PRECISION:
        StaffApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def may_write(key: StaffApiKey, duty: str) -> bool:
    """Whether the key's role has ``duty`` (may change what the same role changes in the back
    office)."""
    return duty in ROLE_DUTIES[key.role]
