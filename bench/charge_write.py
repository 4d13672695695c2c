"""What the billing run's write costs the PostgreSQL server, line by line (issue 21 item 1), on
a kept database (``DATABASE_URL``; not a throwaway one: the world is built once):

    python -m bench.charge_write build 100000   # the bench's world, month 2 run, its parts kept
    python -m bench.charge_write write 3        # ``parts.write_run`` of the kept parts, 3 times
    python -m bench.charge_write variants       # COPY of month 2's lines into copies of the table
    python -m bench.charge_write partition      # the partition plan's steps (docs/design.md)

``write`` puts the kept parts back before each write and vacuums ``billing_charge`` (autovacuum is
off on this machine: without it, each write would leave one more dead copy of every line for the
next one's unique index to visit), then prints the server's CPU per phase. ``variants`` and
``partition`` copy the month's lines, as text, into tables of their own (dropped afterwards),
each after a checkpoint, so that every variant writes its pages' first images alike.
"""

import os
import random
import sys
import time

import django

PARTS, RUNS = "bench_charge_write_parts", "bench_charge_write_runs"
COLUMNS = (
    "period_id, account_id, service_id, tariff, volume, basis, common_volume, charged, "
    "common_charged, recalculation, total, coefficient, coefficient_charged, tariff_spans, inputs"
)
FOREIGN_KEY = (
    "FOREIGN KEY (account_id) REFERENCES housing_personalaccount (id) DEFERRABLE INITIALLY DEFERRED"
)
PRIMARY_KEY = "ALTER TABLE v ADD PRIMARY KEY (id)"
UNIQUE = "CREATE UNIQUE INDEX ON v (period_id, account_id, service_id)"
BY_ACCOUNT = "CREATE INDEX ON v (account_id, period_id)"
BY_SERVICE = "CREATE INDEX ON v (service_id)"
# name: (indexes, foreign key, replacing the month's lines in the transaction, column types)
VARIANTS = {
    "heap only": ([], False, False, None),
    "+ primary key": ([PRIMARY_KEY], False, False, None),
    "+ unique (period, account, service)": ([UNIQUE], False, False, None),
    "+ (account, period)": ([BY_ACCOUNT], False, False, None),
    "+ (service)": ([BY_SERVICE], False, False, None),
    "the three indexes": ([PRIMARY_KEY, UNIQUE, BY_ACCOUNT], False, False, None),
    "the three indexes + FK": ([PRIMARY_KEY, UNIQUE, BY_ACCOUNT], True, False, None),
    "the three + FK, replacing": ([PRIMARY_KEY, UNIQUE, BY_ACCOUNT], True, True, None),
    "unique only, replacing": ([UNIQUE], False, True, None),
    "heap only, JSON as json": ([], False, False, "json"),
    "heap only, JSON as text": ([], False, False, "text"),
}


def month_lines(cursor, period_id: int) -> str:
    """The period's charge lines as the run's COPY text."""
    with cursor.cursor.copy(
        f"COPY (SELECT {COLUMNS} FROM billing_charge WHERE period_id = {period_id} ORDER BY id) "
        "TO STDOUT"
    ) as copy:
        return b"".join(bytes(block) for block in copy).decode()


def build(size: int) -> None:
    """The bench's world (``bench_billing.build_world``): month 1 run and closed, paid, month 2
    run in this process, then computed again in parts, whose rows are kept for ``write``."""
    from django.db import connection
    from django.test import override_settings

    from bench import bench_billing
    from kabinet.billing import parts
    from kabinet.billing.closing import close_period

    rng = random.Random(size)
    accounts, first, _ = bench_billing.build_world(size, rng)
    bench_billing.run_billing(first)
    with override_settings(TASKS=bench_billing.QUEUE_ONLY):
        second = close_period(first)
    bench_billing._pay_first_month(first, accounts, rng)
    bench_billing.analyze()
    bench_billing.run_billing(second)
    run = parts.start_run(second)
    for part in run.part_rows.order_by("number"):
        parts.compute_part(part.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {PARTS} AS SELECT * FROM billing_billingrunpart")
        cursor.execute(f"CREATE TABLE {RUNS} AS SELECT * FROM billing_billingrun")
    print(f"{size:,} accounts: period {second.pk} ({second}) computed in {run.parts} parts")


def write(times: int) -> None:
    """``parts.write_run`` of the kept parts, ``times`` times, with the server's CPU by phase."""
    from django.db import connection

    from bench.billing_phases import Timer
    from bench.common import server_cpu
    from kabinet.billing import parts
    from kabinet.billing.models import BillingRun

    timer = Timer(connection)
    for name in ("charged_in", "delete_lines", "write_staged", "finish_run"):
        timer.wrap(parts, name)
    timer.wrap(connection, "commit")  # the deferred check of ``Charge.account``
    for _ in range(times):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM billing_billingrunpart; DELETE FROM billing_billingrun")
            cursor.execute(f"INSERT INTO billing_billingrun SELECT * FROM {RUNS}")
            cursor.execute("UPDATE billing_billingrun SET status = 'running', parts_done = parts")
            cursor.execute(f"INSERT INTO billing_billingrunpart SELECT * FROM {PARTS}")
            cursor.execute("VACUUM ANALYZE billing_charge")
            cursor.execute("CHECKPOINT")
        cpu, wall = server_cpu(), time.perf_counter()
        parts.write_run(BillingRun.objects.get())
        print(
            f"write_run: server CPU {server_cpu() - cpu:.2f} s, "
            f"wall {time.perf_counter() - wall:.2f} s",
            flush=True,
        )
        timer.report("write_run")


def variants() -> None:
    """The month's lines copied into a table like ``billing_charge`` holding the other months'
    lines, with each index, the foreign key or other column types."""
    from django.db import connection

    from bench.common import server_cpu

    with connection.cursor() as cursor:
        period, text = _kept_month(cursor)
        lines = text.count("\n")
        print(f"{lines:,} lines; server CPU, s")
        for name, (indexes, foreign_key, replacing, json_type) in VARIANTS.items():
            cursor.execute("CREATE TABLE v (LIKE billing_charge INCLUDING DEFAULTS)")
            cursor.execute("ALTER TABLE v ALTER id SET DEFAULT nextval('billing_charge_id_seq')")
            if json_type:
                cursor.execute(
                    f"ALTER TABLE v ALTER inputs TYPE {json_type}, "
                    f"ALTER tariff_spans TYPE {json_type}"
                )
            other = "TRUE" if replacing else f"period_id <> {period}"
            cursor.execute(f"INSERT INTO v SELECT * FROM billing_charge WHERE {other}")
            for sql in indexes:
                cursor.execute(sql)
            if foreign_key:
                cursor.execute(f"ALTER TABLE v ADD {FOREIGN_KEY}")
            cursor.execute("VACUUM ANALYZE v")
            cursor.execute("CHECKPOINT")
            cursor.execute("BEGIN")
            started = server_cpu()
            if replacing:
                cursor.execute(f"DELETE FROM v WHERE period_id = {period}")
            deleted = server_cpu()
            with cursor.cursor.copy(f"COPY v ({COLUMNS}) FROM STDIN") as copy:
                copy.write(text)
            copied = server_cpu()
            cursor.execute("COMMIT")
            print(
                f"  {name:38s} delete {deleted - started:5.2f}  COPY {copied - deleted:5.2f}  "
                f"commit {server_cpu() - copied:5.2f}",
                flush=True,
            )
            cursor.execute("DROP TABLE v")


def partition() -> None:
    """The partition plan, step by step: ``billing_charge``'s months as partitions of a copy,
    then the month's lines copied into a staging table, indexed, the foreign key validated in
    one query, the month's old partition dropped and the staging table attached in its place."""
    from django.db import connection

    from bench.common import server_cpu

    with connection.cursor() as cursor:
        period, text = _kept_month(cursor)
        cursor.execute("SELECT DISTINCT period_id FROM billing_charge")
        months = [month for (month,) in cursor.fetchall()]
        cursor.execute(
            "CREATE TABLE pc (LIKE billing_charge INCLUDING DEFAULTS) PARTITION BY LIST (period_id)"
        )
        cursor.execute("ALTER TABLE pc ALTER id SET DEFAULT nextval('billing_charge_id_seq')")
        cursor.execute("ALTER TABLE pc ADD PRIMARY KEY (id, period_id)")
        cursor.execute("CREATE UNIQUE INDEX ON pc (period_id, account_id, service_id)")
        cursor.execute("CREATE INDEX ON pc (account_id, period_id)")
        cursor.execute(f"ALTER TABLE pc ADD {FOREIGN_KEY}")
        for month in months:
            cursor.execute(f"CREATE TABLE pc_{month} PARTITION OF pc FOR VALUES IN ({month})")
            cursor.execute(f"INSERT INTO pc SELECT * FROM billing_charge WHERE period_id = {month}")
        cursor.execute("VACUUM ANALYZE pc")
        cursor.execute("CHECKPOINT")
        steps = [
            ("staging table", "CREATE TABLE pc_new (LIKE pc INCLUDING DEFAULTS)"),
            ("COPY", None),
            ("CHECK (its period)", f"ALTER TABLE pc_new ADD CHECK (period_id = {period})"),
            ("primary key", "ALTER TABLE pc_new ADD PRIMARY KEY (id, period_id)"),
            ("unique", "CREATE UNIQUE INDEX ON pc_new (period_id, account_id, service_id)"),
            ("(account, period)", "CREATE INDEX ON pc_new (account_id, period_id)"),
            ("foreign key, validated", f"ALTER TABLE pc_new ADD {FOREIGN_KEY}"),
            ("old partition dropped", f"DROP TABLE pc_{period}"),
            ("attached", f"ALTER TABLE pc ATTACH PARTITION pc_new FOR VALUES IN ({period})"),
            ("commit", "COMMIT"),
        ]
        cursor.execute("BEGIN")
        total = 0.0
        for name, sql in steps:
            started = server_cpu()
            if sql is None:
                with cursor.cursor.copy(f"COPY pc_new ({COLUMNS}) FROM STDIN") as copy:
                    copy.write(text)
            else:
                cursor.execute(sql)
            spent = server_cpu() - started
            total += spent
            print(f"  {name:24s} {spent:5.2f} s", flush=True)
        print(f"  {'total':24s} {total:5.2f} s of server CPU")
        cursor.execute("DROP TABLE pc")


def _kept_month(cursor) -> tuple[int, str]:
    cursor.execute(f"SELECT DISTINCT period_id FROM {RUNS}")
    (period,) = cursor.fetchone()
    return period, month_lines(cursor, period)


def main() -> None:
    django.setup()
    command, *arguments = sys.argv[1:]
    {"build": build, "write": write, "variants": variants, "partition": partition}[command](
        *map(int, arguments)
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    main()
