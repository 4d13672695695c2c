"""Data every benchmark starts from, and the process's memory figures."""

from kabinet.orgs.models import Organization


def benchmark_organization(name: str = "Бенчмарк") -> Organization:
    """An organisation with valid requisites (its houses and accounts are each benchmark's)."""
    return Organization.objects.create(
        name=name, inn="1659001230", ogrn="1021600012345", address="г. Казань",
        bank_name="ПАО Сбербанк", bik="049205603", correspondent_account="30101810600000000603",
        settlement_account="40702810462000012345",
    )  # fmt: skip


def status_mb(field: str) -> float:
    """A memory figure of this process from Linux's ``/proc/self/status``, in MB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def reset_peak() -> float:
    """Start the peak memory (VmHWM) afresh from what the process holds now; returns that. The
    file, its lines and earlier work would otherwise hide the import's own peak."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return status_mb("VmRSS")
