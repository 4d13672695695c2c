"""Data every benchmark starts from, the processes' memory and CPU figures, and task workers
started as in service."""

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


def benchmark_organization(name: str = "Бенчмарк"):
    """An organisation with valid requisites (its houses and accounts are each benchmark's)."""
    # Imported here: the mailing's SMTP counters (bench/postfix_counter.py) run without Django.
    from kabinet.orgs.models import Organization

    return Organization.objects.create(
        name=name, inn="1659001230", ogrn="1021600012345", address="г. Казань",
        bank_name="ПАО Сбербанк", bik="049205603", correspondent_account="30101810600000000603",
        settlement_account="40702810462000012345",
    )  # fmt: skip


def status_mb(field: str, pid: int | str = "self") -> float:
    """A memory figure (``VmRSS``, ``VmHWM``…) of a process from Linux's ``/proc/PID/status``,
    in MB; this process's by default."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_cpu(pid: int, children: bool = False) -> float:
    """The user and system CPU seconds of process ``pid`` so far; with ``children``, those of
    its children that have ended (and been waited for) too."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(field) for field in fields[11 : 15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


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
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        return process_cpu(pid)
    except OSError:
        return None


@contextmanager
def task_workers(count: int, name: str, **environment: str):
    """``count`` ``manage.py db_worker`` processes on this benchmark's PostgreSQL database, as
    deploy/systemd/kabinet-worker.service starts them, for the block (``environment``: settings
    of the benchmark's own). Yields the processes and the path of their log, once Django has
    started in each and polls the queue."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TASKS_BACKEND": "database",
        "LOG_LEVEL": "WARNING",
        # As in service: with DEBUG on, Django keeps each query's text (a billing part's ids
        # among them), some 20 MB a part until its log of 9 000 queries is full.
        "DEBUG": "0",
        "SECRET_KEY": "bench-workers",
        "ALLOWED_HOSTS": "localhost",
        **environment,
    }
    command = [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-reload"]
    with tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False) as log:
        processes = [
            subprocess.Popen(
                [*command, "--worker-id", f"bench-{name}-{n}"], env=env, stdout=log, stderr=log
            )
            for n in range(count)
        ]
        try:
            time.sleep(5)
            yield processes, log.name
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
