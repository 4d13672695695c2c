"""Reads of houses, premises and accounts that more than one face needs."""

from decimal import Decimal

from django.db.models import Sum

from kabinet.housing.models import House, PersonalAccount, Premise


def accounts_numbered(number: str, *, organizations) -> list[PersonalAccount]:
    """The accounts of ``organizations`` with this number (an organisation's numbers are its
    own, so staff of several may find more than one)."""
    return list(
        PersonalAccount.objects.for_organizations(organizations)
        .filter(number=number.strip())
        .select_related("organization", "premise__house")
    )


def premises_areas(house_ids) -> dict[int, Decimal]:
    """The total area of all residential and non-residential premises of each house (S_об of
    Правила № 354's formulas: heating, the common-house share): the house's own figures
    (``House.residential_area`` + ``non_residential_area``) where staff gave them, else the sum
    of its premises' areas. Houses with neither are left out."""
    found, missing = {}, []
    for pk, residential, other in House.objects.filter(pk__in=house_ids).values_list(
        "pk", "residential_area", "non_residential_area"
    ):
        if residential is None and other is None:
            missing.append(pk)
        else:
            found[pk] = (residential or Decimal(0)) + (other or Decimal(0))
    if missing:
        found.update(
            Premise.objects.filter(house__in=missing)
            .values("house")
            .annotate(total=Sum("area"))
            .values_list("house", "total")
        )
    return found
