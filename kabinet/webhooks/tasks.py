"""Background work of webhooks (``django.tasks``)."""

from django.tasks import task

from kabinet.webhooks import services


@task
def deliver() -> int:
    """Attempt the deliveries that are due (enqueued when an event is committed)."""
    return services.deliver_due()
