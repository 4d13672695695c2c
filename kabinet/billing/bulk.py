"""Writing a period's rows in bulk (charges, penalties, balances) through the shared writer
``kabinet.bulk.insert_rows``, after asserting in the database that the period is open."""

from kabinet.billing.models import Period, refuse_closed
from kabinet.bulk import insert_rows


def insert_period_rows(period, model, fields: list[str], rows) -> int:
    """``insert_rows`` for the rows of ``period`` (charges, penalties, balances). These writes
    pass by the models' refusal to change a closed period, so the period's state is asserted
    here, in the database (the callers hold the period's row locked)."""
    refuse_closed(Period.objects.filter(pk=period.pk))
    return insert_rows(model, fields, rows)
