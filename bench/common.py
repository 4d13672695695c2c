"""Data every benchmark starts from, and the process's memory and CPU figures."""

import os

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


def server_cpu() -> float | None:
    """CPU seconds the database server's process of this connection has used, when that
    server is PostgreSQL on this machine (its ``/proc`` readable), else ``None``: a benchmark's
    own CPU leaves out the server's COPY, joins and writes."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
