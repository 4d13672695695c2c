"""Autopay's background work (``django.tasks``): a run of ``services.run_autopay`` queued when
a period closes (its receipts are autopay's to schedule), besides the daily ``run_autopay``
command. Every run is safe to repeat and to overlap another."""

from django.db import transaction
from django.tasks import task

from kabinet.payments.autopay import services


def enqueue_autopay_run() -> None:
    """A run of autopay once the current transaction commits."""
    transaction.on_commit(lambda: run_autopay.enqueue())


def run_autopay_when_period_closes(sender, period, **kwargs):
    """``billing.signals.period_closed`` receiver: schedule the new receipts' charges (and send
    their notices) at once rather than at the next daily run."""
    enqueue_autopay_run()


@task
def run_autopay() -> dict:
    return services.run_autopay()
