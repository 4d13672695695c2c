from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.orgs.models import StaffMembership


def add_staff_member(user, organization, role, *, by=None, ip: str | None = None):
    """Give ``user`` a role in ``organization`` and access to the back office; the audit log
    keeps a new or changed role (given by ``by`` from ``ip``; None — the system)."""
    old_role = (
        StaffMembership.objects.filter(user=user, organization=organization)
        .values_list("role", flat=True)
        .first()
    )
    membership, _ = StaffMembership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    if old_role != role:
        record(
            action=AuditAction.ROLE_CHANGED,
            organization=organization,
            actor=by,
            ip=ip,
            obj=membership,
            changes={"user": [None, str(user)], "role": [old_role, str(role)]},
        )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership
