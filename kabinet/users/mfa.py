"""Two-factor sign-in (TOTP through allauth.mfa) and who must use it.

Accountants and managers move money and change the organisation; a superuser can do anything.
With ``STAFF_MFA_REQUIRED`` they cannot open the back office until an authenticator app is set
up, so a stolen password alone opens no back office.
"""

import io

import segno
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect

from kabinet.orgs.models import StaffMembership, StaffRole

ROLES_THAT_NEED_TWO_FACTOR = {StaffRole.ACCOUNTANT, StaffRole.MANAGER}
BACK_OFFICE_PREFIXES = ("/admin/", "/staff/")


class MFAAdapter(DefaultMFAAdapter):
    """The setup page's QR code drawn by segno (already used for receipts), not ``qrcode``."""

    def build_totp_svg(self, url: str) -> str:
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="svg", scale=4, xmldecl=False)
        return out.getvalue().decode()


def must_use_two_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or StaffMembership.objects.filter(user=user, role__in=ROLES_THAT_NEED_TWO_FACTOR).exists()
    )


def has_two_factor(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffTwoFactorMiddleware:
    """Sends an accountant, a manager or a superuser without an authenticator app from the back
    office (``/admin/``, ``/staff/``) to its setup; everything else stays open to them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.STAFF_MFA_REQUIRED
            and request.path.startswith(BACK_OFFICE_PREFIXES)
            and must_use_two_factor(request.user)
            and not has_two_factor(request.user)
        ):
            messages.warning(
                request,
                "Чтобы работать в кабинете сотрудника, подключите вход с кодом из приложения "
                "(двухфакторную аутентификацию).",
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
