"""The billing benchmark's world kept in a database of its own, to bill its second month again
and again without building it each time (at 1 000 000 accounts the world takes some nine
minutes to build and the run by two workers two or three):

    createdb -h 127.0.0.1 -U postgres kabinet_world
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kabinet_world \\
        .venv/bin/python -m bench.billing_world build 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kabinet_world \\
        .venv/bin/python -m bench.billing_world workers 2

Both migrate the database first. ``build SIZE`` prepares ``bench_billing``'s world as ``python -m
bench billing`` does (the data, the first month billed in one process, closed and paid);
``workers N`` vacuums the database (as autovacuum would have since the last run), then bills
the second month by N task workers (``bench_billing.run_by_workers``; the new run replaces the
last). Both print ``bench billing``'s figures. Code changed between two
``workers`` runs is measured on the same data; the database stays until it is dropped
(``dropdb``).
"""

import logging
import os
import sys
import time

import django


def main(argv: list[str]) -> str | None:
    if len(argv) != 2 or argv[0] not in ("build", "workers") or not argv[1].isdigit():
        return __doc__
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import bench_billing
    from kabinet.billing.models import Period
    from kabinet.housing.models import PersonalAccount

    logging.getLogger("django.tasks").setLevel(logging.WARNING)
    command, number = argv[0], int(argv[1])
    call_command("migrate", verbosity=0)
    worlds = Period.objects.select_related("organization").filter(month=bench_billing.SECOND)
    if command == "build":
        if worlds.exists():
            return "This database holds a world already: bill it with `workers N`, or drop it."
        bench_billing.prepare_world(number)
        return None
    period = worlds.first()
    if period is None:
        return "This database holds no world: build one first (`build SIZE`)."
    size = PersonalAccount.objects.filter(organization=period.organization).count()
    # As autovacuum would have done since the last run: the server here has it off, and a
    # world billed again unvacuumed billed slower each time (112.9 s, 116.0 s, then 104.2 s
    # after a VACUUM; bench/README.md «3.12.2026 (evening)»).
    print(f"{size:,} accounts", flush=True)
    if connection.vendor == "postgresql":  # the workers' run needs it (``run_by_workers``)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        print(f"  vacuumed in {time.perf_counter() - started:.1f} s", flush=True)
    bench_billing.run_by_workers(period, number, size)
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
