"""`make bench`: run the benchmarks (``bench/bench_*.py``) on a throwaway database.

``python -m bench`` runs them all; ``python -m bench receipts`` only ``bench_receipts.py``;
``python -m bench locust`` the residents' load test (bench/loadtest.py). Each
module has ``run()``, which builds its own data and prints its figures. The database is the one
``DATABASE_URL`` names (SQLite by default), created fresh as ``test_<name>`` and dropped after.
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import django


def available_benchmarks() -> list[str]:
    modules = pkgutil.iter_modules([str(Path(__file__).parent)])
    return sorted(m.name.removeprefix("bench_") for m in modules if m.name.startswith("bench_"))


def main(names: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    django.setup()
    from django.db import connection

    available = available_benchmarks()
    unknown = set(names) - set(available)
    if unknown:
        sys.exit(f"Unknown benchmark {', '.join(sorted(unknown))}; have: {', '.join(available)}")
    if not available:
        sys.exit("No benchmarks (bench/bench_*.py).")
    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"Database: {connection.vendor}")
        for name in names or available:
            print(f"\n== {name} ==", flush=True)
            importlib.import_module(f"bench.bench_{name}").run()
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["locust"]:  # the load test (bench/loadtest.py), not a benchmark
        from bench.loadtest import main as load_test

        load_test(sys.argv[2:])
    else:
        main(sys.argv[1:])
