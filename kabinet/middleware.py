"""Project-wide HTTP guards that every response passes through.

- ``RequestBodyLimitMiddleware`` refuses a body larger than the settings allow before anything
  reads it (Django's own upload limits count only what it parses into memory, not files).
- ``NoStoreForSignedInMiddleware`` keeps personal pages (a receipt, an export, an attachment,
  any page of a signed-in person) out of shared and browser caches.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


class RequestBodyLimitMiddleware:
    """413 for a declared body above ``MAX_REQUEST_BODY`` (``MAX_ANONYMOUS_REQUEST_BODY`` for
    a visitor who is not signed in: the login, sign-up and gateway notifications are small)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if length > settings.MAX_ANONYMOUS_REQUEST_BODY and (
            length > settings.MAX_REQUEST_BODY
            or not (request.user.is_authenticated or _api_sender(request))
        ):
            response = _too_large(request, length)
            response["Connection"] = "close"  # the unread body must not be taken for a request
            return response
        return self.get_response(request)


def _api_sender(request) -> bool:
    """A file sent to the API with live credentials that may send it: an organisation's key on
    ``/api/v1/org/`` (its registries and readings files are larger than a visitor's form), a
    resident's token that may write elsewhere (an appeal's files)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not request.path.startswith("/api/v1/") or not header.startswith("Bearer "):
        return False
    # The API's keys and tokens; this module is imported by settings, before the apps.
    from kabinet.api import staff_keys
    from kabinet.users import tokens

    secret = header.removeprefix("Bearer ").strip()
    try:
        if request.path.startswith("/api/v1/org/"):
            staff_keys.authenticate_key(secret)
            return True
        return tokens.allows(tokens.authenticate_token(secret), tokens.Permission.WRITE)
    except tokens.InvalidToken:
        return False


def _too_large(request, length: int):
    """413: the page, or a problem (RFC 9457) for the API."""
    if not request.path.startswith("/api/"):
        return render(request, "413.html", status=413)
    from kabinet.api.problems import Problem, problem_response

    if length > settings.MAX_REQUEST_BODY:
        detail = f"Запрос больше {settings.MAX_REQUEST_BODY // (1024 * 1024)} МБ."
    else:
        detail = (
            f"Запрос больше {settings.MAX_ANONYMOUS_REQUEST_BODY // 1024} КБ: такой принимается "
            "только с действующим токеном, которому разрешена запись, или ключом организации."
        )
    return problem_response(request, Problem(413, detail, kind="too-large"))


class NoStoreForSignedInMiddleware:
    """``Cache-Control: no-store`` on every response to a signed-in person, unless the view chose
    its own caching; static files are served before this runs (whitenoise) or have no user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
