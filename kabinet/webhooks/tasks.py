"""Background work of webhooks (``django.tasks``)."""

from django.tasks import task

from kabinet.webhooks import delivery


@task
def deliver() -> int:
    """Attempt the deliveries that are due (enqueued when an event is committed)."""
    return delivery.deliver_due()


def enqueue_delivery() -> None:
    deliver.enqueue()
