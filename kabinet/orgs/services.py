from kabinet.orgs.models import StaffMembership


def add_staff_member(user, organization, role) -> StaffMembership:
    """Give ``user`` a role in ``organization`` and access to the back office."""
    membership, _ = StaffMembership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership
