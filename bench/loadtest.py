"""`python -m bench locust`: the residents' load test (bench/locustfile.py) against gunicorn.

Builds a throwaway database (``test_<name>`` of ``DATABASE_URL``; PostgreSQL for figures that
mean anything), loads the demo, adds ``--users`` residents with accounts to read and pay
(``--sign-in-share`` of them type their password, the rest come back with a session «Запомнить?»
kept: a sign-in costs a PBKDF2 hash, ~1 s of a core, and residents mostly return), starts
gunicorn (``--workers``, on 127.0.0.1 only) and runs Locust headless for ``--run-time``; prints
the requests per second, p50/p95/p99 and errors per page and in all, then stops everything and
drops the database. The sandbox gateway needs ``DEBUG=1`` (it refuses to run otherwise), so the
web runs with it; ``DEBUG`` adds the SQL log kept per request and nothing else on these pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kabinet python -m bench locust \
        --users 100 --spawn-rate 10 --run-time 60s --workers 4
"""

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "нагрузка-резидент-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_world(users: int, path: Path) -> None:
    """The demo, every organisation accepting readings all month, and ``users`` residents,
    each linked to an account with meters and charges (several residents share an account when
    there are fewer accounts: a family)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.test import Client

    from kabinet.demo.data import load_demo
    from kabinet.housing.models import PersonalAccount
    from kabinet.metering.models import Reading
    from kabinet.orgs.models import Organization
    from kabinet.users.models import AccountLink, User

    load_demo()
    Organization.objects.update(readings_from_day=1, readings_to_day=31)
    accounts = list(
        PersonalAccount.objects.filter(meters__is_active=True, charges__isnull=False)
        .distinct()
        .order_by("pk")
    )
    password = make_password(PASSWORD)
    residents = []
    for number in range(users):
        account = accounts[number % len(accounts)]
        user = User.objects.create(
            username=f"load{number:04d}", email=f"load{number:04d}@example.com", password=password
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        AccountLink.objects.create(user=user, account=account)
        meters = {}
        for meter in account.meters.filter(is_active=True):
            last = Reading.objects.filter(meter=meter).order_by("-period").first()
            meters[str(meter.pk)] = str(last.value if last else 0)
        browser = Client()
        browser.force_login(user)  # a session as «Запомнить?» leaves it, for returning residents
        residents.append(
            {
                "username": user.username,
                "account": account.pk,
                "meters": meters,
                "session": browser.cookies["sessionid"].value,
            }
        )
    path.write_text(json.dumps({"password": PASSWORD, "residents": residents}), encoding="utf-8")
    print(f"{users} residents on {min(users, len(accounts))} accounts", flush=True)


def wait_until_up(url: str, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def report(stats_csv: Path) -> None:
    with stats_csv.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    print(
        f"\n{'page':<22} {'requests':>8} {'errors':>6} {'RPS':>6} {'p50':>6} {'p95':>6} {'p99':>6}"
    )
    for row in rows:
        print(
            f"{row['Name'][:22]:<22} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):>6.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    print("(milliseconds)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench locust")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--sign-in-share",
        type=float,
        default=0.1,
        help="residents who type their password; the others return with a remembered session",
    )
    options = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    django.setup()
    from django.db import connection

    original_url = os.environ.get("DATABASE_URL", "")
    if not original_url.startswith("postgres"):
        sys.exit("The load test needs PostgreSQL: DATABASE_URL=postgres://…")
    original_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    database_url = original_url.rsplit("/", 1)[0] + f"/{test_name}"
    work = Path(tempfile.mkdtemp(prefix="kabinet-load-"))
    web = None
    try:
        build_world(options.users, work / "world.json")
        connection.close()
        port = free_port()
        site = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "1",
            "PAYMENT_PROVIDER": "sandbox",
            "SITE_URL": site,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "KABINET_VAR_DIR": str(work),
            "LOG_LEVEL": "WARNING",
            "DATABASE_CONN_MAX_AGE": "60",
        }
        web_log = (work / "web.log").open("w")  # the web's own log, out of the figures' way
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kabinet.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers),
             "--timeout", "60", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(f"{site}/healthz", time.monotonic() + 60)
        for _ in range(2 * options.workers):  # each worker's first page compiles templates
            wait_until_up(f"{site}/accounts/login/", time.monotonic() + 60)
        print(f"gunicorn: {options.workers} workers on {site}", flush=True)
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
             "--headless", "--host", site, "--users", str(options.users),
             "--spawn-rate", str(options.spawn_rate), "--run-time", options.run_time,
             "--stop-timeout", "10", "--only-summary", "--csv", str(work / "stats"),
             "--loglevel", "WARNING"],
            cwd=ROOT,
            env={
                **os.environ,
                "KABINET_LOAD_WORLD": str(work / "world.json"),
                "KABINET_LOAD_SIGN_IN_SHARE": str(options.sign_in_share),
            },
            check=False,
        )  # fmt: skip
        report(work / "stats_stats.csv")
        print(f"The web's log: {work / 'web.log'}")
        if locust.returncode not in (0, 1):  # 1: some requests failed, reported above
            sys.exit(locust.returncode)
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=30)
        connection.close()
        connection.creation.destroy_test_db(original_name, verbosity=0)
