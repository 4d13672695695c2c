"""Resident pages against a plain one, side by side through one server and one client: gunicorn
with 4 sync workers on 127.0.0.1 (production settings, ``DEBUG=0``) serving the demo, and a
Python client of ``BENCH_PAGES_THREADS`` threads (8) that asks each page for
``BENCH_PAGES_SECONDS`` (5) in each of ``BENCH_PAGES_ROUNDS`` (2) rounds, one page after another,
as the signed-in demo resident (ЛС 1000154, twelve closed months, whose payment documents are
issued first, as closing a period issues them: «Начисления» shows them, the receipt PDF serves
one from the server's media folder). Each page's best round is
printed as requests per second and as the ratio to ``/privacy/``; before the server starts,
each page's CPU and wall time per request in this process (``BENCH_PAGES_IN_PROCESS``
requests, 50). ``BENCH_PAGES_PROFILE=1`` also profiles the card in this process (cProfile,
the 25 costliest functions).

The client shares the machine's cores with the server: the absolute figures are lower than a
separate load generator would show, the ratios are what the goals name."""

import cProfile
import http.client
import os
import pstats
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from kabinet.demo.data import load_demo
from kabinet.receipts.issuing import issued_document
from kabinet.receipts.selectors import receipt_periods
from kabinet.users.models import User
from kabinet.users.selectors import accounts_for

WORKERS = 4
THREADS = int(os.environ.get("BENCH_PAGES_THREADS", "8"))
SECONDS = float(os.environ.get("BENCH_PAGES_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "2"))
STARTUP_SECONDS = 60
IN_PROCESS = int(os.environ.get("BENCH_PAGES_IN_PROCESS", "50"))
# The goals of issue 21: each page's share of the plain page's requests per second.
GOALS = {"card": 1 / 2, "charges": 1 / 3, "payments": 1 / 3, "receipt PDF": 1 / 3}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url(folder: Path) -> str:
    """The URL of the benchmark's database for the server: SQLite's in-memory test database is
    copied to a file first."""
    data = connection.settings_dict
    if connection.vendor == "sqlite":
        path = folder / "bench.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        return f"sqlite:///{path}"
    user = data["USER"] + (f":{data['PASSWORD']}" if data["PASSWORD"] else "")
    return f"postgres://{user}@{data['HOST'] or '127.0.0.1'}:{data['PORT'] or 5432}/{data['NAME']}"


def _server_environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.page_settings",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # the session below is signed with it
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": _database_url(folder),
        "DATABASE_CONN_MAX_AGE": "60",
        "BENCH_STATIC_ROOT": str(folder / "static"),
        "KABINET_VAR_DIR": str(folder / "var"),
    }


def _get(port: int, path: str, headers: dict) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, len(response.read())
    finally:
        conn.close()


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped with {server.returncode}")
        try:
            if _get(port, "/healthz", {"Host": "127.0.0.1"})[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("gunicorn did not answer /healthz in time")


def _rate(port: int, path: str, headers: dict) -> float:
    """Requests per second of ``THREADS`` clients asking ``path`` for ``SECONDS``."""
    done = [0] * THREADS
    failures = []
    deadline = time.monotonic() + SECONDS

    def client(n):
        while time.monotonic() < deadline and not failures:
            status, _size = _get(port, path, headers)
            if status != 200:
                failures.append(status)
            done[n] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"{path} answered {failures[0]}")
    return sum(done) / (time.monotonic() - started)


def _profile_card(user, path: str) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        client.get(path)
    profiler.disable()
    print("\nThe card, 200 requests in this process (cProfile, cumulative):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def _in_process(user, pages: dict) -> None:
    """Each page asked ``IN_PROCESS`` times through the test client, in this process: CPU
    (``time.process_time``) and wall time per request, which a loaded machine moves less
    than the server's requests per second."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    print(f"In this process, {IN_PROCESS} requests each (test client):")
    for name, path in pages.items():
        client.get(path)  # fills what is cached per process
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(IN_PROCESS):
            client.get(path)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"{name:<20} {cpu / IN_PROCESS * 1000:6.1f} ms CPU  "
            f"{wall / IN_PROCESS * 1000:6.1f} ms wall per request"
        )


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        # the server's media folder: the documents issued here are the ones it serves
        with override_settings(MEDIA_ROOT=folder / "var" / "media"):
            _measure(folder)


def _issue_documents(account) -> None:
    """The account's payment documents of its closed months, as closing a period issues
    them (the demo closes its months without running the issue): «Начисления» shows them."""
    for period in receipt_periods(account):
        issued_document(account, period)


def _measure(folder: Path) -> None:
    load_demo(timezone.localdate())
    user = User.objects.get(username="demo")
    account = accounts_for(user).get(number="1000154")
    month = receipt_periods(account)[0].month
    _issue_documents(account)
    pages = {
        "/privacy/ (plain)": reverse("portal:privacy"),
        "card": reverse("portal:account", args=[account.pk]),
        "charges": reverse("portal:account_charges", args=[account.pk]),
        "payments": reverse("portal:account_payments", args=[account.pk]),
        "receipt PDF": reverse("portal:receipt_pdf", args=[account.pk, month.year, month.month]),
    }
    if os.environ.get("BENCH_PAGES_PROFILE"):
        _profile_card(user, pages["card"])
    _in_process(user, pages)
    signed_in = Client(HTTP_HOST="127.0.0.1")
    signed_in.force_login(user)
    cookie = settings.SESSION_COOKIE_NAME
    headers = {
        "Host": "127.0.0.1",
        "X-Forwarded-Proto": "https",  # as nginx says: no redirect to https
        "Cookie": f"{cookie}={signed_in.cookies[cookie].value}",
    }
    environment = _server_environment(folder)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=environment, check=True, cwd=settings.BASE_DIR,
    )  # fmt: skip
    port = _free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")), "kabinet.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
            "--forwarded-allow-ips", "127.0.0.1", "--no-control-socket",
        ],
        env=environment, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_until_up(port, server)
        for path in pages.values():  # each worker's first requests fill its caches
            for _ in range(WORKERS * 2):
                _get(port, path, headers)
        best = dict.fromkeys(pages, 0.0)
        for _ in range(ROUNDS):
            for name, path in pages.items():
                best[name] = max(best[name], _rate(port, path, headers))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    plain = best["/privacy/ (plain)"]
    print(
        f"gunicorn, {WORKERS} workers; client: {THREADS} threads, best of {ROUNDS} × {SECONDS:g} s"
    )
    for name, rate in best.items():
        goal = GOALS.get(name)
        verdict = ""
        if goal:
            verdict = f"  goal ≥ {goal:.2f}: {'met' if rate / plain >= goal else 'NOT met'}"
        print(f"{name:<20} {rate:8.0f} requests/s  {rate / plain:5.2f} of plain{verdict}")
