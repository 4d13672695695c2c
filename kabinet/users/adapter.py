"""The account adapter of django-allauth: where people land after signing in, and what every
account e-mail knows about who sends it (the portal, and the УК when the person has one)."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse

from kabinet.orgs.selectors import is_staff_member
from kabinet.users.models import User
from kabinet.users.selectors import accounts_for


def workplace_url(user) -> str | None:
    """Staff work in the back office: its start page, or None for a resident only."""
    return reverse("admin:index") if user.is_staff and is_staff_member(user) else None


def organization_name_for(user) -> str:
    """The УК of the person's accounts when there is exactly one, else an empty string."""
    if not isinstance(user, User) or not user.pk:
        return ""
    names = set(accounts_for(user).values_list("organization__name", flat=True))
    return names.pop() if len(names) == 1 else ""


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        return workplace_url(request.user) or super().get_login_redirect_url(request)

    def send_mail(self, template_prefix, email, context):
        user = context.get("user")
        if user is None:
            user = User.objects.filter(email__iexact=email).first()
        context = {
            "portal_name": settings.PORTAL_NAME,
            "site_url": settings.SITE_URL,
            "organization_name": organization_name_for(user),
            **context,
        }
        super().send_mail(template_prefix, email, context)
