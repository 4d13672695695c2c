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
            or not (request.user.is_authenticated or _organisation_key(request))
        ):
            response = render(request, "413.html", status=413)
            response["Connection"] = "close"  # the unread body must not be taken for a request
            return response
        return self.get_response(request)


def _organisation_key(request) -> bool:
    """An organisation's system sending a file to the API with a live key (``/api/v1/org/``:
    its registries and readings files are larger than a visitor's form)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not request.path.startswith("/api/v1/org/") or not header.startswith("Bearer "):
        return False
    from kabinet.api import staff_keys  # the API's keys; this module is imported by settings

    try:
        staff_keys.authenticate_key(header.removeprefix("Bearer ").strip())
    except staff_keys.InvalidToken:
        return False
    return True


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
