"""What ``DEBUG=1`` costs the load test's pages (bench/loadtest.py prints it before the run).

The sandbox gateway refuses to run without ``DEBUG`` (kabinet/settings.py: it takes no money,
so production must never have it), so the load test's web runs with ``DEBUG=1``. Set once at
start, ``DEBUG`` also picks development's static files, cookies and e-mail, none of which a
page of the load test touches; while serving, it does two things: every SQL statement is
timed and kept in the connection's log (``CursorDebugWrapper``), and templates are compiled
with their debug information (once per process: the loaders cache them). This module times
each page in this process, by Django's test client, with ``DEBUG`` off and on in turn: the
process's CPU time (what ``DEBUG`` adds is the web process's work; the clock would also count
the database and, on a busy machine, the other processes), and the SQL statements a page
makes (what the SQL log grows by).
"""

import statistics
import time

from django.db import connection
from django.test import Client, override_settings

ROUNDS = 15  # requests timed per page and setting, in BLOCKS blocks taken in turn
BLOCKS = 3


def debug_cost(world: dict) -> list[tuple[str, float, float, int]]:
    """(page, median CPU ms with DEBUG off, with it on, SQL statements) for a resident's pages."""
    resident = world["residents"][0]
    account = resident["account"]
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.cookies["sessionid"] = resident["session"]
    pages = [
        ("карточка ЛС", f"/ls/{account}/"),
        ("начисления", f"/ls/{account}/charges/"),
        ("счётчики", f"/ls/{account}/meters/"),
        ("оплата (форма)", f"/ls/{account}/pay/"),
        ("квитанция PDF", world["receipt"].format(account=account)),
    ]
    figures = []
    for name, path in pages:
        times = {False: [], True: []}
        for _ in range(BLOCKS):
            for debug in (False, True):
                # Changing DEBUG resets the template engines: the first request of a block
                # compiles the templates again and is not counted.
                with override_settings(DEBUG=debug):
                    for request in range(ROUNDS // BLOCKS + 1):
                        started = time.process_time()
                        response = browser.get(path)
                        if request:
                            times[debug].append((time.process_time() - started) * 1000)
                        if response.status_code != 200:
                            raise RuntimeError(f"{path}: {response.status_code}")
            statements = len(connection.queries)  # the last request's, DEBUG on
        off, on = statistics.median(times[False]), statistics.median(times[True])
        figures.append((name, off, on, statements))
    return figures


def print_debug_cost(world: dict) -> None:
    print(f"\nDEBUG's cost: CPU ms of this process, median of {ROUNDS} requests each")
    print(f"{'page':<22} {'DEBUG=0':>8} {'DEBUG=1':>8} {'cost':>7} {'SQL':>4}")
    for name, off, on, statements in debug_cost(world):
        print(f"{name:<22} {off:>8.1f} {on:>8.1f} {(on - off) / off:>+7.1%} {statements:>4}")
