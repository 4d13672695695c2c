import uuid

from django.db import models

from kabinet.money import MONEY_FIELD


class SandboxStatus(models.TextChoices):
    PENDING = "pending", "ожидает оплаты"
    SUCCEEDED = "succeeded", "оплачен"
    CANCELED = "canceled", "отменён"


class SandboxPayment(models.Model):
    """The gateway's side of a payment: what a real gateway keeps in its own database."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    idempotence_key = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(**MONEY_FIELD)
    description = models.CharField(max_length=255)
    return_url = models.URLField(max_length=2000)
    notification_url = models.URLField(max_length=2000)
    status = models.CharField(
        max_length=10, choices=SandboxStatus.choices, default=SandboxStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    receipt = models.JSONField(default=dict, blank=True)  # the fiscal receipt's data, if sent
    receipt_status = models.CharField(max_length=10, blank=True)  # set once paid
    # Autopay: the payer agreed to save the way they paid (ЮKassa's ``save_payment_method``);
    # once paid, ``saved_method`` is it. A charge of a saved method names it in ``charged_method``.
    save_method = models.BooleanField(default=False)
    saved_method = models.ForeignKey(
        "SandboxSavedMethod", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    charged_method = models.ForeignKey(
        "SandboxSavedMethod", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "платёж тестового шлюза"
        verbose_name_plural = "платежи тестового шлюза"

    def __str__(self):
        return f"{self.id}: {self.amount} ({self.get_status_display()})"


class SandboxSavedMethod(models.Model):
    """A payer's saved way to pay, as the gateway keeps it (the merchant knows only its id).

    ``declines`` makes every charge of it fail, as a card without money would; ``revoked``
    is a method the payer or the bank withdrew."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=100)
    declines = models.BooleanField(default=False)
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "сохранённый способ оплаты тестового шлюза"
        verbose_name_plural = "сохранённые способы оплаты тестового шлюза"

    def __str__(self):
        return self.title
