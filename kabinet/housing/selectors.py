"""Reads of houses, premises and accounts that more than one face needs."""

from kabinet.housing.models import PersonalAccount


def accounts_numbered(number: str, *, organizations) -> list[PersonalAccount]:
    """The accounts of ``organizations`` with this number (an organisation's numbers are its
    own, so staff of several may find more than one)."""
    return list(
        PersonalAccount.objects.for_organizations(organizations)
        .filter(number=number.strip())
        .select_related("organization", "premise__house")
    )
