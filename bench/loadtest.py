"""`python -m bench locust`: the residents' load test (bench/locustfile.py) against gunicorn.

Shaped as production runs: a throwaway PostgreSQL database (``test_<name>`` of
``DATABASE_URL``) with a generated organisation of one account per resident
(bench/load_world.py: meters, two months billed by the real run and closed, the last one's
payment documents issued), gunicorn (``--workers``, on 127.0.0.1 only) and a task worker
(``db_worker``, as deploy/systemd/kabinet-worker.service starts it) with
``TASKS_BACKEND=database``, so that the sandbox gateway's notification, the readings' and
payments' e-mails wait in the queue instead of running inside a request. Each process's log
is kept apart (web.log, worker.log, locust.log under the run's temporary folder).

``--users`` residents (``--sign-in-share`` of them type their password, the rest come back
with a session «Запомнить?» kept: a sign-in costs a PBKDF2 hash, ~1 s of a core, and
residents mostly return) run for ``--run-time``; ``--find-knee`` instead adds ``--step-users``
residents every ``--step-time`` seconds up to ``--users`` until p95 crosses 300 ms
(``--p95-limit``)
(bench/load_steps.py). Printed: what ``DEBUG`` costs each page (bench/load_debug.py: the
sandbox gateway needs ``DEBUG=1``), the load average before and after, requests per second,
p50/p95/p99 and errors per page and in all, the figures per step and the knee, and how the
worker kept up; then everything stops and the database is dropped.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kabinet python -m bench locust \
        --users 100 --spawn-rate 10 --run-time 60s --workers 4
    DATABASE_URL=… python -m bench locust --find-knee --users 1000 --step-users 50 --workers 4
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.load_steps import P95_LIMIT_MS

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "нагрузка-резидент-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def report(path: Path) -> None:
    """Requests, RPS, p50/p95/p99 and errors per page and in all, and what the errors were."""
    summary = json.loads(path.read_text(encoding="utf-8"))
    print(
        f"\n{'page':<22} {'requests':>8} {'errors':>6} {'RPS':>6} {'p50':>6} {'p95':>6} {'p99':>6}"
    )
    for row in summary["pages"]:
        print(
            f"{row['name'][:22]:<22} {row['requests']:>8} {row['errors']:>6} {row['rps']:>6.1f} "
            f"{row['p50']:>6.0f} {row['p95']:>6.0f} {row['p99']:>6.0f}"
        )
    print("(milliseconds)")
    for failure in sorted(summary["failures"], key=lambda f: -f["count"])[:10]:
        print(f"error ×{failure['count']} {failure['name']}: {failure['error'][:160]}")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def report_steps(path: Path, limit: float) -> None:
    """The step load's figures per step and where p95 crosses ``limit`` ms."""
    from bench.load_steps import knee

    steps = json.loads(path.read_text(encoding="utf-8"))
    print(
        f"\n{'residents':>9} {'requests':>8} {'RPS':>6} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'errors':>6}"
    )
    for step in steps:
        print(
            f"{step['users']:>9} {step['requests']:>8} {step['rps']:>6.1f} {step['p50']:>6.0f} "
            f"{step['p95']:>6.0f} {step['p99']:>6.0f} {step['errors']:>6}"
        )
    below, above = knee(steps, limit)
    if above is None:
        print(f"p95 stayed within {limit:.0f} ms up to {steps[-1]['users'] if steps else 0} "
              "residents: raise --users to find the knee")  # fmt: skip
    elif below is None:
        print(f"p95 is above {limit:.0f} ms from the first step ({above['rps']:.1f} RPS, "
              f"{above['users']} residents): lower --step-users")  # fmt: skip
    else:
        print(f"p95 crosses {limit:.0f} ms between {below['rps']:.1f} RPS ({below['users']} "
              f"residents, p95 {below['p95']:.0f} ms) and {above['rps']:.1f} RPS "
              f"({above['users']} residents, p95 {above['p95']:.0f} ms)")  # fmt: skip


def report_tasks() -> None:
    """How the worker kept up: the tasks the run queued, by status, and the longest wait."""
    from django.db.models import Count, F, Max
    from django_tasks_db.models import DBTaskResult

    counts = dict(DBTaskResult.objects.values_list("status").annotate(Count("id")))
    waited = DBTaskResult.objects.aggregate(longest=Max(F("started_at") - F("enqueued_at")))
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    longest = waited["longest"].total_seconds() if waited["longest"] else 0
    print(f"tasks queued by the run: {statuses or 'none'}; longest wait {longest:.1f} s")


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as file:  # the process's own log, out of the figures' way
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=file, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench locust")
    parser.add_argument("--users", type=int, default=100, help="residents (the most, by steps)")
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn's workers")
    parser.add_argument(
        "--sign-in-share",
        type=float,
        default=0.1,
        help="residents who type their password; the others return with a remembered session",
    )
    parser.add_argument(
        "--find-knee",
        action="store_true",
        help="raise the residents by steps up to --users until p95 crosses --p95-limit",
    )
    parser.add_argument("--p95-limit", type=float, default=P95_LIMIT_MS, help="ms, for the knee")
    parser.add_argument("--step-users", type=int, default=20, help="residents added a step")
    parser.add_argument("--step-time", type=int, default=30, help="seconds a step lasts")
    options = parser.parse_args(argv)

    original_url = os.environ.get("DATABASE_URL", "")
    if not original_url.startswith("postgres"):
        sys.exit("The load test needs PostgreSQL: DATABASE_URL=postgres://…")
    work = Path(tempfile.mkdtemp(prefix="kabinet-load-"))
    # The documents issued while building are files under the web's own MEDIA_ROOT.
    os.environ["KABINET_VAR_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    import django

    django.setup()
    from django.db import connection

    from bench.load_debug import print_debug_cost
    from bench.load_world import build_world

    original_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    database_url = original_url.rsplit("/", 1)[0] + f"/{test_name}"
    web = worker = None
    try:
        world = build_world(options.users, PASSWORD, work / "world.json")
        print_debug_cost(world)
        connection.close()
        port = free_port()
        site = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "1",  # the sandbox gateway's condition; what it costs: print_debug_cost
            "PAYMENT_PROVIDER": "sandbox",
            "TASKS_BACKEND": "database",  # as production: tasks wait for kabinet-worker
            "SITE_URL": site,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "KABINET_VAR_DIR": str(work),
            "LOG_LEVEL": "WARNING",
            "DATABASE_CONN_MAX_AGE": "60",
        }
        # The worker as deploy/systemd/kabinet-worker.service starts it.
        worker = start(
            [sys.executable, "manage.py", "db_worker", "--interval", "1",
             "--worker-id", "load-test", "--no-reload"],
            env, work / "worker.log",
        )  # fmt: skip
        web = start(
            [sys.executable, "-m", "gunicorn", "kabinet.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers),
             "--timeout", "60", "--log-level", "warning"],
            env, work / "web.log",
        )  # fmt: skip
        wait_until_up(f"{site}/healthz", time.monotonic() + 60)
        for _ in range(2 * options.workers):  # each worker's first page compiles templates
            wait_until_up(f"{site}/accounts/login/", time.monotonic() + 60)
        if worker.poll() is not None:
            sys.exit(f"The task worker stopped: {work / 'worker.log'}")
        print(f"\ngunicorn: {options.workers} workers on {site}; a task worker (db_worker)")
        print(f"before the run: {load_average()}", flush=True)
        load = {
            **os.environ,
            "KABINET_LOAD_WORLD": str(work / "world.json"),
            "KABINET_LOAD_SIGN_IN_SHARE": str(options.sign_in_share),
            "KABINET_LOAD_SUMMARY": str(work / "summary.json"),
        }
        command = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
                   "--headless", "--host", site, "--stop-timeout", "10", "--only-summary",
                   "--loglevel", "WARNING"]  # fmt: skip
        if options.find_knee:
            load |= {
                "KABINET_LOAD_STEP_USERS": str(options.step_users),
                "KABINET_LOAD_STEP_SECONDS": str(options.step_time),
                "KABINET_LOAD_MAX_USERS": str(options.users),
                "KABINET_LOAD_STEPS_OUT": str(work / "steps.json"),
                "KABINET_LOAD_P95_LIMIT": str(options.p95_limit),
            }
        else:
            command += ["--users", str(options.users), "--spawn-rate", str(options.spawn_rate),
                        "--run-time", options.run_time]  # fmt: skip
        with (work / "locust.log").open("w") as log:  # Locust's own tables: ours follow
            locust = subprocess.run(
                command, cwd=ROOT, env=load, stdout=log, stderr=subprocess.STDOUT, check=False
            )
        print(f"\nafter the run: {load_average()}")
        report(work / "summary.json")
        if options.find_knee:
            report_steps(work / "steps.json", options.p95_limit)
        stop(web)
        stop(worker)
        report_tasks()
        print(f"Logs: {work}/web.log, worker.log, locust.log")
        if locust.returncode not in (0, 1):  # 1: some requests failed, reported above
            sys.exit(f"Locust stopped with {locust.returncode}: {work / 'locust.log'}")
    finally:
        stop(web)
        stop(worker)
        connection.close()
        connection.creation.destroy_test_db(original_name, verbosity=0)
        shutil.rmtree(work / "media", ignore_errors=True)  # the issued documents; logs stay
