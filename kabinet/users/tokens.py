"""Personal access tokens of the API: created in «Мой профиль», shown once, stored hashed.

A token reads ``kbn_<prefix>_<secret>``: the prefix (random, unique) finds the row, the SHA-256
of the whole token is compared in constant time. A database leak gives no usable token. What a
token may do is its scope (``allows``) and, if it names one, its account (``accounts_of``).
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import plain, record
from kabinet.users.models import AccessToken, TokenScope
from kabinet.users.selectors import accounts_for

TOKEN_START = "kbn_"
MAX_ACTIVE_TOKENS = 20  # per user: enough for every device, few enough to review
LAST_USE_PRECISION = datetime.timedelta(minutes=1)  # no write on every request


class Permission:
    """What an API operation needs from a token's scope."""

    READ = "read"  # account data: balance, charges
    READ_METERS = "read_meters"  # meters and their readings (a meter's script needs them too)
    SUBMIT_READINGS = "submit_readings"
    WRITE = "write"  # start an online payment, write and close appeals


GRANTS = {
    TokenScope.READ: {Permission.READ, Permission.READ_METERS},
    TokenScope.READINGS: {Permission.READ_METERS, Permission.SUBMIT_READINGS},
    TokenScope.FULL: {
        Permission.READ,
        Permission.READ_METERS,
        Permission.SUBMIT_READINGS,
        Permission.WRITE,
    },
}


class TokenRefused(Exception):
    """The token cannot be created; ``str(error)`` is the message for the person."""


class InvalidToken(Exception):
    """The token is unknown, revoked or expired; ``str(error)`` says which, in Russian."""


@dataclass(frozen=True)
class NewToken:
    token: AccessToken
    secret: str  # the whole token, shown to its owner once


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    user,
    *,
    name: str,
    scope: str,
    account=None,
    expires_at: datetime.datetime | None = None,
    ip: str | None = None,
) -> NewToken:
    """A new token of ``user`` (a grant of rights: in the audit log); ``account`` must be one
    of the user's linked accounts."""
    if account is not None and not accounts_for(user).filter(pk=account.pk).exists():
        raise TokenRefused("Этот лицевой счёт не присоединён к вашему профилю.")
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenRefused("Срок действия должен закончиться в будущем.")
    if active_tokens(user).count() >= MAX_ACTIVE_TOKENS:
        raise TokenRefused(f"У вас уже {MAX_ACTIVE_TOKENS} действующих токенов: отзовите ненужные.")
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = AccessToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        account=account,
        prefix=prefix,
        digest=digest_of(secret),
        expires_at=expires_at,
    )
    _audit(token, AuditAction.ADDED, ip, name=[None, name], scope=[None, scope])
    return NewToken(token, secret)


def _audit(token, action, ip, **changes):
    """The token's grant or its revocation in the audit log, without the digest."""
    record(
        action=action,
        organization=token.account.organization if token.account_id else None,
        actor=token.user,
        ip=ip,
        obj=token,
        changes={name: [plain(old), plain(new)] for name, (old, new) in changes.items()},
    )


def tokens_of(user):
    """The user's tokens, newest first, revoked and expired ones included (the list shows them)."""
    return AccessToken.objects.filter(user=user).select_related("account")


def active_tokens(user):
    now = timezone.now()
    return tokens_of(user).filter(revoked_at__isnull=True).exclude(expires_at__lte=now)


def revoke_token(user, token_id: int, *, ip: str | None = None) -> AccessToken:
    """Revoke one of ``user``'s tokens (``AccessToken.DoesNotExist`` for anyone else's)."""
    token = AccessToken.objects.select_related("account__organization").get(user=user, pk=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _audit(token, AuditAction.CHANGED, ip, revoked_at=[None, token.revoked_at])
    return token


def authenticate_token(secret: str) -> AccessToken:
    """The token whose secret this is, its use noted; ``InvalidToken`` if it cannot be used."""
    parts = secret.split("_", 2)  # the secret part may hold "_" itself
    if len(parts) != 3 or f"{parts[0]}_" != TOKEN_START:
        raise InvalidToken("Неверный токен.")
    token = AccessToken.objects.select_related("user", "account").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, digest_of(secret)):
        raise InvalidToken("Неверный токен.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise InvalidToken("Токен отозван.")
    if token.expires_at is not None and token.expires_at <= now:
        raise InvalidToken("Срок действия токена истёк.")
    if not token.user.is_active:
        raise InvalidToken("Пользователь заблокирован.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def allows(token: AccessToken, permission: str) -> bool:
    return permission in GRANTS[token.scope]


def accounts_of(token: AccessToken):
    """The accounts the token reaches: its user's linked accounts, or the one it names."""
    accounts = accounts_for(token.user)
    if token.account_id is not None:
        accounts = accounts.filter(pk=token.account_id)
    return accounts
