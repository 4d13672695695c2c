"""Webhooks of an organisation: the addresses it registered, the outbox of events written in
the transaction of the event itself, each event's delivery to each address and its attempts."""

from django.conf import settings
from django.db import models

from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class EventKind(models.TextChoices):
    PAYMENT_CREDITED = "payment.credited", "платёж зачислен"
    READING_SUBMITTED = "reading.submitted", "житель передал показания"
    APPEAL_CREATED = "appeal.created", "новое обращение"
    PERIOD_CLOSED = "period.closed", "период закрыт"


class Webhook(models.Model):
    """An address of the organisation's system that hears of ``events``, signed with
    ``secret`` (kept as it is: the signature needs it)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhooks", verbose_name="организация"
    )
    url = models.URLField("адрес", max_length=500)
    secret = models.CharField("секрет подписи", max_length=100)
    events = models.JSONField("события", default=list)
    is_active = models.BooleanField("включён", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="добавил",
    )
    created_at = models.DateTimeField("добавлен", auto_now_add=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "вебхук"
        verbose_name_plural = "вебхуки"
        ordering = ["-created_at"]

    def __str__(self):
        return self.url

    def event_names(self) -> list[str]:
        names = dict(EventKind.choices)
        return [names.get(event, event) for event in self.events]


class OutboxEvent(models.Model):
    """An event of the organisation, written with the change it reports (the outbox)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name="организация"
    )
    kind = models.CharField("событие", max_length=30, choices=EventKind.choices)
    payload = models.JSONField("данные")
    created_at = models.DateTimeField("произошло", auto_now_add=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "событие"
        verbose_name_plural = "события"

    def __str__(self):
        return f"{self.get_kind_display()} № {self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "доставляется"
    DELIVERED = "delivered", "доставлено"
    FAILED = "failed", "не доставлено"


class Delivery(models.Model):
    """One event to one webhook: attempted until the address answers 2xx, with backoff."""

    event = models.ForeignKey(
        OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name="событие"
    )
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name="вебхук"
    )
    status = models.CharField(
        "состояние", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка", null=True, blank=True)
    delivered_at = models.DateTimeField("доставлено", null=True, blank=True)

    objects = OrganizationScopedQuerySet.through("webhook__organization").as_manager()

    class Meta:
        verbose_name = "доставка события"
        verbose_name_plural = "доставки событий"
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.event} → {self.webhook}"


class Attempt(models.Model):
    """One try of a delivery: what the address answered, or why it did not."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempts_made", verbose_name="доставка"
    )
    at = models.DateTimeField("когда", auto_now_add=True)
    status_code = models.PositiveSmallIntegerField("код ответа", null=True, blank=True)
    error = models.CharField("ошибка", max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField("длительность, мс", default=0)

    class Meta:
        verbose_name = "попытка доставки"
        verbose_name_plural = "попытки доставки"
        ordering = ["pk"]

    def __str__(self):
        return f"{self.at:%d.%m.%Y %H:%M:%S} {self.status_code or self.error}"
