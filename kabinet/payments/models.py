from django.db import models
from django.db.models import Q

from kabinet.housing.models import PersonalAccount
from kabinet.money import MONEY_FIELD
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class PaymentSource(models.TextChoices):
    BANK = "bank", "банк (реестр платежей)"
    ONLINE = "online", "онлайн-оплата"
    CASH_DESK = "cash_desk", "касса УК"
    MANUAL = "manual", "внесён вручную"


class Payment(models.Model):
    """Money received for a personal account. ``external_id`` (the bank's or the gateway's id)
    is unique per source, so the same payment reported twice is recorded once."""

    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name="лицевой счёт",
    )
    paid_on = models.DateField("дата платежа")
    amount = models.DecimalField("сумма", **MONEY_FIELD)
    source = models.CharField("источник", max_length=20, choices=PaymentSource.choices)
    external_id = models.CharField("внешний идентификатор", max_length=100, blank=True)
    period = models.DateField("за период", null=True, blank=True)
    payer_name = models.CharField("плательщик", max_length=255, blank=True)
    created_at = models.DateTimeField("зарегистрирован", auto_now_add=True)

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "платёж"
        verbose_name_plural = "платежи"
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["account", "paid_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="payment_external_id_unique_per_source",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.account}: {self.amount} от {self.paid_on:%d.%m.%Y}"
