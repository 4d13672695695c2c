"""Data every benchmark starts from."""

from kabinet.orgs.models import Organization


def benchmark_organization(name: str = "Бенчмарк") -> Organization:
    """An organisation with valid requisites (its houses and accounts are each benchmark's)."""
    return Organization.objects.create(
        name=name, inn="1659001230", ogrn="1021600012345", address="г. Казань",
        bank_name="ПАО Сбербанк", bik="049205603", correspondent_account="30101810600000000603",
        settlement_account="40702810462000012345",
    )  # fmt: skip
