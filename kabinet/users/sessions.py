"""Session lifetime: an idle limit and an absolute limit, shorter for staff.

Django's session expiry alone renews itself on every save and knows nothing of roles. Here the
session keeps when its user signed in and was last seen; a request past either limit signs the
user out and sends them to the login page. A resident's session without «Запомнить?» ends after
``SESSION_IDLE_TIMEOUT`` of inactivity; with it, ``SESSION_ABSOLUTE_TIMEOUT`` after signing in.
Staff (who see many residents' data) get ``STAFF_SESSION_IDLE_TIMEOUT`` and
``STAFF_SESSION_ABSOLUTE_TIMEOUT`` whether remembered or not.
"""

from time import time as clock

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver

SIGNED_IN_AT = "kabinet_signed_in_at"
SEEN_AT = "kabinet_seen_at"
SEEN_RESOLUTION = 60  # seconds: the last-seen stamp is saved at most once a minute


@receiver(user_logged_in)
def stamp_sign_in(sender, request, user, **kwargs):
    now = clock()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def limits_for(user, session) -> tuple[float | None, float]:
    """(idle limit or None, absolute limit) in seconds."""
    if user.is_staff or user.is_superuser:
        return settings.STAFF_SESSION_IDLE_TIMEOUT, settings.STAFF_SESSION_ABSOLUTE_TIMEOUT
    remembered = not session.get_expire_at_browser_close()
    idle = None if remembered else settings.SESSION_IDLE_TIMEOUT
    return idle, settings.SESSION_ABSOLUTE_TIMEOUT


class SessionTimeoutMiddleware:
    """Signs out a session past its idle or absolute limit (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = clock()
            session = request.session
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            seen_at = session.get(SEEN_AT, signed_in_at)
            idle, absolute = limits_for(request.user, session)
            if now - signed_in_at > absolute:
                return self.sign_out(request, "Сеанс завершён: он длился слишком долго.")
            if idle is not None and now - seen_at > idle:
                return self.sign_out(request, "Сеанс завершён из-за бездействия.")
            if now - seen_at >= SEEN_RESOLUTION:
                session[SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def sign_out(request, reason):
        logout(request)
        messages.info(request, f"{reason} Войдите снова.")
        return redirect_to_login(request.get_full_path())
