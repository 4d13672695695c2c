"""Who reads the audit log: superusers, and an organisation's managers its own entries."""

from kabinet.audit.models import AuditEntry
from kabinet.orgs.models import Organization, StaffRole


def audited_organizations(user):
    """The organisations whose log ``user`` reads: those where they are the manager."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    return Organization.objects.filter(staff__user=user, staff__role=StaffRole.MANAGER)


def can_read_audit(user) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or audited_organizations(user).exists())
    )


def audit_entries_for(user):
    """The entries ``user`` may read: all for a superuser, else their managed organisations'."""
    if user.is_superuser and user.is_active:
        return AuditEntry.objects.all()
    return AuditEntry.objects.filter(organization__in=audited_organizations(user))
