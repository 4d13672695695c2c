"""``Authorization: Bearer <token>``: a personal access token (the resident's operations) or
an organisation's API key (``/org/`` operations), each limited on its own."""

from types import SimpleNamespace

from ninja.security import HttpBearer

from kabinet import quotas
from kabinet.api import staff_keys
from kabinet.api.problems import Problem
from kabinet.users import tokens


class BearerToken(HttpBearer):
    """Sets ``request.auth`` to the token; unknown, revoked or expired tokens answer 401,
    a token past its rate limit 429 (``settings.QUOTAS['api_requests']``, per token)."""

    openapi_description = "Персональный токен из «Мой профиль» → «Доступ к API»."

    def authenticate(self, request, token):
        try:
            access_token = tokens.authenticate_token(token)
        except tokens.InvalidToken as error:
            raise Problem(401, str(error)) from None
        quotas.consume(access_token, api_requests=1)  # counted per token, not per user
        return access_token


def require(request, permission: str) -> None:
    """403 unless the request's token has ``permission`` (``tokens.Permission``)."""
    if not tokens.allows(request.auth, permission):
        raise Problem(
            403,
            f"Токену с правами «{request.auth.get_scope_display()}» это действие недоступно.",
        )


def account_or_404(request, account_id: int):
    """The account if the token reaches it; any other answers 404, as if it did not exist."""
    account = tokens.accounts_of(request.auth).filter(pk=account_id).first()
    if account is None:
        raise Problem(404, "Лицевой счёт не найден.")
    return account


class StaffKey(HttpBearer):
    """Sets ``request.auth`` to the organisation's key (``api.StaffApiKey``); a personal token,
    an unknown, revoked or expired key answer 401, a key past its rate limit 429."""

    openapi_description = "Ключ API организации из бэк-офиса («Ключи API»)."

    def authenticate(self, request, token):
        try:
            key = staff_keys.authenticate_key(token)
        except tokens.InvalidToken as error:
            raise Problem(401, str(error)) from None
        quotas.consume(SimpleNamespace(pk=f"staff-key-{key.pk}"), api_requests=1)
        return key


def require_write(request, duty: str) -> None:
    """403 unless the key's role has ``duty`` (changes it in the back office)."""
    if not staff_keys.may_write(request.auth, duty):
        raise Problem(403, f"Роли «{request.auth.get_role_display()}» это действие недоступно.")
