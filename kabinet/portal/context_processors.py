"""What every page's frame shows: the portal's name, whose contacts the footer gives and
whether the menu links to the back office."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from kabinet.orgs.models import Organization
from kabinet.users.adapter import workplace_url
from kabinet.users.selectors import accounts_for


def _resident_organization(user) -> Organization | None:
    """The УК of the person's accounts when there is one; with accounts in several (or none)
    the footer names the portal instead."""
    if user is None:
        return None
    organizations = list(
        Organization.objects.filter(pk__in=accounts_for(user).values("organization"))[:2]
    )
    return organizations[0] if len(organizations) == 1 else None


def _workplace(request) -> str:
    """The back office's start page for a person who works there — the rule that lands staff
    there after signing in (``users.adapter.workplace_url``: a staff role in an organisation,
    not ``is_staff`` alone) — or an empty string."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return workplace_url(user) or ""


def portal_frame(request):
    """``portal_name``, ``footer_organization`` (read from the database only when a page
    shows its footer; an account's pages name the account's УК themselves) and
    ``workplace_url`` (read only when a page shows the menu)."""
    return {
        "workplace_url": SimpleLazyObject(lambda: _workplace(request)),
        "portal_name": settings.PORTAL_NAME,
        "footer_organization": SimpleLazyObject(
            lambda: _resident_organization(getattr(request, "user", None))
        ),
    }
