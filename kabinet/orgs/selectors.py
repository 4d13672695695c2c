"""Who may see and change what in the back office: staff see their organisations' records
and change them as their role in the record's own organisation allows."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from kabinet.orgs.models import Organization, StaffMembership, StaffRole
from kabinet.orgs.scoping import organization_id_of

# What each role may change in the back office; every staff member may view all of their
# organisation's records. Duties are named by the admin classes (their ``duty``, backoffice/admin/).
ROLE_DUTIES = {
    StaffRole.OPERATOR: {"housing", "metering", "links", "appeals"},
    StaffRole.ACCOUNTANT: {"billing", "payments", "appeals"},
    StaffRole.MANAGER: {
        "organization",
        "housing",
        "metering",
        "links",
        "billing",
        "payments",
        "appeals",
    },
}


def organizations_for(user):
    """The organisations whose records ``user`` may see: all for a superuser, else their own."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(staff__user=user)


def is_staff_member(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or StaffMembership.objects.filter(user=user).exists()
    )


def organizations_to_change(user, duty: str):
    """The organisations where ``user``'s role may add, change or delete records of ``duty``
    (someone may be accountant of one УК and operator of another)."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    roles = [role for role, duties in ROLE_DUTIES.items() if duty in duties]
    return Organization.objects.filter(staff__user=user, staff__role__in=roles)


def can_change(user, duty: str, organization) -> bool:
    """Whether ``user`` may add, change or delete records of ``duty`` in ``organization`` (an
    organisation or its id). There is no «in any of them»: a right is always one
    organisation's, the one of the record acted on."""
    if user.is_superuser:
        return True
    organization_id = getattr(organization, "pk", organization)
    return organizations_to_change(user, duty).filter(pk=organization_id).exists()


def record_to_change(user, duty: str, queryset, **lookup):
    """The record of ``queryset`` found by ``lookup`` for ``user`` to change: 404 when it is
    not in their organisations, ``PermissionDenied`` when their role in *its* organisation
    may not change ``duty``. Every staff view that changes a record loads it through here."""
    record = get_object_or_404(queryset.for_organizations(organizations_for(user)), **lookup)
    if not can_change(user, duty, organization_id_of(record)):
        raise PermissionDenied("Ваша роль в организации этой записи не даёт права её менять.")
    return record
