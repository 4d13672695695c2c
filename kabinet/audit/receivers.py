"""Staff signing in are logged (whichever sign-in page they use)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.http import client_ip
from kabinet.orgs.models import Organization


@receiver(user_logged_in, dispatch_uid="audit_staff_login")
def record_staff_login(sender, request, user, **kwargs):
    """One entry per organisation the staff member works for (a superuser's without one is
    the portal's)."""
    organizations = list(Organization.objects.filter(staff__user=user))
    if not organizations and not user.is_superuser:
        return  # a resident
    ip = client_ip(request) if request is not None else None
    for organization in organizations or [None]:
        record(
            action=AuditAction.STAFF_LOGIN, organization=organization, actor=user, ip=ip, obj=user
        )
