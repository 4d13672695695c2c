from kabinet.housing.models import PersonalAccount


def accounts_for(user):
    """The personal accounts ``user`` has linked: every resident-facing query starts here."""
    if not user.is_authenticated:
        return PersonalAccount.objects.none()
    return (
        PersonalAccount.objects.filter(user_links__user=user)
        .select_related("organization", "premise__house")
        .order_by("user_links__created_at")
    )
