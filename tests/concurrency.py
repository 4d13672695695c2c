"""Running calls at the same moment, for the tests of races (PostgreSQL: the threads really run
at once; SQLite runs one writing transaction at a time anyway)."""

import threading

from django.db import connection, connections


def at_once(calls) -> list[Exception]:
    """Run ``calls`` in threads released together; return the exceptions they raised."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as error:  # every failure is reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def in_another_connection(work):
    """Run ``work`` as another member of staff would: in a thread with its own connection.
    Returns the thread and what ``work`` returned or raised (filled in when it ends)."""
    outcome = []

    def run():
        try:
            outcome.append(work())
        except Exception as error:  # reported to the test
            outcome.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome
