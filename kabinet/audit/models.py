from django.conf import settings
from django.db import models
from django.utils import timezone

from kabinet.money import MONEY_FIELD
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class AuditAction(models.TextChoices):
    ADDED = "added", "добавлено"
    CHANGED = "changed", "изменено"
    DELETED = "deleted", "удалено"
    BILLING_RUN = "billing_run", "расчёт начислений"
    CHARGES_IMPORT = "charges_import", "загрузка начислений"
    PERIOD_CLOSED = "period_closed", "закрытие периода"
    RECALCULATION_ADDED = "recalculation_added", "перерасчёт внесён"
    RECALCULATION_DELETED = "recalculation_deleted", "перерасчёт удалён"
    REGISTRY_CREDITED = "registry_credited", "зачтён реестр платежей"
    ROLE_CHANGED = "role_changed", "роль сотрудника"
    LINK_APPROVED = "link_approved", "присоединён лицевой счёт"
    STAFF_LOGIN = "staff_login", "вход сотрудника"
    GIS_IDENTIFIERS_IMPORT = "gis_identifiers_import", "загрузка идентификаторов ГИС ЖКХ"
    GIS_POSTING = "gis_posting", "отправка в ГИС ЖКХ"
    DOCUMENT_REISSUED = "document_reissued", "платёжный документ выпущен повторно"


class AuditEntryError(Exception):
    """The audit log is written once: an entry is never changed or deleted."""


class AuditEntryQuerySet(OrganizationScopedQuerySet):
    def update(self, **kwargs):
        # The one update allowed: a deleted user's entries lose the link (``SET_NULL``) and
        # keep their name in ``actor_name``.
        if kwargs != {"actor": None}:
            raise AuditEntryError("Записи журнала действий не изменяются.")
        return super().update(**kwargs)

    def delete(self):
        raise AuditEntryError("Записи журнала действий не удаляются.")


class AuditEntry(models.Model):
    """One money- or rights-changing action: who, when, from where, in which organisation, on
    what, and what changed (``changes``: field → [old, new]; ``amount`` for money)."""

    at = models.DateTimeField("когда", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кто",
    )
    actor_name = models.CharField(
        "имя входа", max_length=150, blank=True, help_text="Пусто — система (задание, команда)."
    )
    ip = models.GenericIPAddressField("IP-адрес", null=True, blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="организация",
    )
    action = models.CharField("действие", max_length=30, choices=AuditAction.choices)
    object_type = models.CharField("вид записи", max_length=100, blank=True)
    object_id = models.CharField("номер записи", max_length=64, blank=True)
    object_repr = models.CharField("запись", max_length=255, blank=True)
    changes = models.JSONField("изменения", default=dict, blank=True)
    amount = models.DecimalField("сумма", null=True, blank=True, **MONEY_FIELD)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "запись журнала действий"
        verbose_name_plural = "журнал действий"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organization", "-at"])]

    def __str__(self):
        at = timezone.localtime(self.at)
        return f"{at:%d.%m.%Y %H:%M} {self.actor_name or 'система'}: {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEntryError("Записи журнала действий не изменяются.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEntryError("Записи журнала действий не удаляются.")
