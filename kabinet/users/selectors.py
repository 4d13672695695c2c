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


def links_of(user):
    """The user's links to accounts (with the per-account subscription), oldest first."""
    return user.account_links.select_related(
        "account__organization", "account__premise__house"
    ).order_by("created_at")
