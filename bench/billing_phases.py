"""The billing benchmark (``bench_billing``) with each run's time split by phase, and a digest
of the money it wrote: ``python -m bench.billing_phases`` (the same environment variables,
``BENCH_BILLING_SIZES`` and ``DATABASE_URL``).

Per phase of ``billing.run`` (the meters' volumes, the common share, the penalties, writing
the lines…): the wall time, this process's CPU time and, on PostgreSQL, the CPU time of the
database backend (read from ``/proc``: the database must run on this machine). On a busy
machine the wall time says little; the two CPU times stay comparable from one run to the
next. The garbage collector's time is listed apart (``gc genN``), counted since the previous
run. After each run, an MD5 of the period's charge and penalty lines (every column of money,
volume and tariff, by account number and service name): two versions of the code that bill
alike print the same digests. (The benchmark's own time of a run then includes the digest:
read the ``run_billing`` phase.)
"""

import gc
import hashlib
import os
import sys
import time
from collections import defaultdict

import django

PHASES = [
    "house_accounts", "_tariff_spans", "meter_volumes", "add_common_share", "add_instalments",
    "_add_recalculations", "add_penalties", "add_capital_repair_penalties",
    "_note_missing_tariffs", "charged_in", "start_lines", "write_lines", "finish_lines",
    "plan_parts", "record_replaced_lines",
    "calculate",
]  # fmt: skip
CHARGE_COLUMNS = [
    "account__number", "service__name", "tariff", "volume", "basis", "common_volume", "charged",
    "common_charged", "recalculation", "total", "coefficient", "coefficient_charged",
    "tariff_spans",
]  # fmt: skip
PENALTY_COLUMNS = [
    "account__number", "debt_month", "due_date", "date_from", "date_to", "debt", "rate",
    "fraction", "rule", "capital_repair", "amount",
]  # fmt: skip


class Timer:
    """Wall, process CPU and database backend CPU seconds per phase name."""

    def __init__(self, connection):
        self.connection, self.backend = connection, None
        self.totals = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
        self.tick = os.sysconf("SC_CLK_TCK")
        self.gc_started = 0.0

    def database_cpu(self) -> float:
        if self.connection.vendor != "postgresql":
            return 0.0
        if self.backend is None:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend = cursor.fetchone()[0]
        try:
            with open(f"/proc/{self.backend}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the database runs elsewhere
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.tick

    def wrap(self, module, name) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            wall, cpu, database = time.perf_counter(), time.process_time(), self.database_cpu()
            try:
                return original(*args, **kwargs)
            finally:
                total = self.totals[name]
                total[0] += time.perf_counter() - wall
                total[1] += time.process_time() - cpu
                total[2] += self.database_cpu() - database
                total[3] += 1

        setattr(module, name, timed)

    def collected(self, phase, info) -> None:
        if phase == "start":
            self.gc_started = time.process_time()
        else:
            total = self.totals[f"gc gen{info['generation']}"]
            total[1] += time.process_time() - self.gc_started
            total[3] += 1

    def report(self, label: str) -> None:
        print(f"  phases of {label}: wall / process CPU / database CPU, s")
        for name, (wall, cpu, database, calls) in sorted(
            self.totals.items(), key=lambda item: (-item[1][0], -item[1][1])
        ):
            if wall >= 0.01 or cpu >= 0.01:
                print(f"    {name:30s} {wall:7.2f} {cpu:7.2f} {database:7.2f}  ×{calls}")
        self.totals.clear()


def digest(period) -> str:
    from kabinet.billing.models import Charge, Penalty

    found = hashlib.md5()
    charges = Charge.objects.filter(period=period).order_by("account__number", "service__name")
    penalties = Penalty.objects.filter(period=period).order_by(
        "account__number", "capital_repair", "debt_month", "date_from"
    )
    for queryset, columns in ((charges, CHARGE_COLUMNS), (penalties, PENALTY_COLUMNS)):
        for row in queryset.values_list(*columns).iterator(chunk_size=10_000):
            found.update(repr(row).encode())
    return found.hexdigest()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    django.setup()
    from django.db import connection

    import bench.bench_billing as benchmark
    from kabinet.billing import run

    timer = Timer(connection)
    for name in PHASES:
        timer.wrap(run, name)
    timer.wrap(benchmark, "run_billing")
    timer.wrap(connection, "commit")  # the run's transaction: PostgreSQL's deferred checks
    gc.callbacks.append(timer.collected)
    timed_run = benchmark.run_billing

    def run_billing(period, *args, **kwargs):
        result = timed_run(period, *args, **kwargs)
        timer.report(f"{period.month:%m.%Y}")
        print(f"  digest of {period.month:%m.%Y}: {digest(period)}", flush=True)
        return result

    benchmark.run_billing = run_billing
    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"Database: {connection.vendor}")
        benchmark.run()
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
