from kabinet.orgs.models import Organization, StaffMembership, StaffRole

# What each role may change in the back office; every staff member may view all of their
# organisation's records. Areas are named by the admin classes (see backoffice.admin).
WRITABLE_AREAS = {
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


def can_change(user, area: str, organization=None) -> bool:
    """Whether ``user`` may add, change or delete records of ``area`` in their organisations,
    or, given ``organization``, in that one (someone may be accountant of one УК and operator
    of another)."""
    if user.is_superuser:
        return True
    memberships = StaffMembership.objects.filter(user=user)
    if organization is not None:
        memberships = memberships.filter(organization=organization)
    roles = memberships.values_list("role", flat=True)
    return any(area in WRITABLE_AREAS.get(role, ()) for role in roles)
