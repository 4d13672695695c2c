"""What every page's frame shows: the portal's name and whose contacts the footer gives."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from kabinet.orgs.models import Organization
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


def portal_frame(request):
    """``portal_name`` and ``footer_organization`` (read from the database only when a page
    shows its footer; an account's pages name the account's УК themselves)."""
    return {
        "portal_name": settings.PORTAL_NAME,
        "footer_organization": SimpleLazyObject(
            lambda: _resident_organization(getattr(request, "user", None))
        ),
    }
