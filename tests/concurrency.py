"""Running calls at the same moment, for the tests of races (PostgreSQL: the threads really run
at once; SQLite runs one writing transaction at a time anyway)."""

import threading

from django.db import connection


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
