"""Writing a period's rows in bulk (charges, penalties, balances) through the shared writer
``kabinet.bulk.insert_rows``, after asserting in the database that the period is open; and the
run's and the closing's pause of the cycle collector."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from kabinet.billing.models import Period, refuse_closed
from kabinet.bulk import insert_rows


def insert_period_rows(period, model, fields: list[str], rows, **options) -> int:
    """``insert_rows`` for the rows of ``period`` (charges, penalties, balances; ``options``
    are ``insert_rows``'). These writes pass by the models' refusal to change a closed period,
    so the period's state is asserted here, in the database (the callers hold the period's row
    locked)."""
    refuse_closed(Period.objects.filter(pk=period.pk))
    return insert_rows(model, fields, rows, **options)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a run or a closing: they allocate a line,
    its Decimals and a row per account and service, none of them in a reference cycle, and each
    allocation burst set off collections that traversed every live object again — over half
    of the run's Python time at 20 000 accounts (bench/README.md). Reference counting still
    frees what they drop; collection resumes afterwards, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
