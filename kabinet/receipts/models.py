from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import get_valid_filename

from kabinet.billing.models import Period
from kabinet.housing import gis
from kabinet.housing.models import PersonalAccount
from kabinet.orgs import validators
from kabinet.orgs.models import bank_account_errors
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "в очереди"
    SENDING = "sending", "отправляется"
    SENT = "sent", "отправлена"
    FAILED = "failed", "ошибка"
    # Claimed, and its worker lost before it recorded the server's answer: the server may have
    # taken the letter, so no mailing sends it again (receipts.services).
    UNCERTAIN = "uncertain", "не подтверждена"


class ReceiptDelivery(models.Model):
    """One e-receipt: the payment document of ``account`` for ``period`` mailed to ``user``.
    Unique per account, period and subscriber, so that a repeated mailing sends nothing twice;
    a failed one is retried by the next mailing. ``job`` is the mailing that owns the row: only
    its batches send it (``receipts.services``), «sending» is set just before the SMTP server
    is asked to take the message and «sent» just after it has; a «sending» row whose worker
    was lost becomes «uncertain», never sent again."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="receipt_deliveries", verbose_name="период"
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.CASCADE,
        related_name="receipt_deliveries",
        verbose_name="лицевой счёт",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="receipt_deliveries",
        verbose_name="подписчик",
    )
    job = models.ForeignKey(
        "jobs.Job",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="рассылка",
    )
    email = models.EmailField("адрес")
    status = models.CharField("состояние", max_length=10, choices=DeliveryStatus.choices)
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    error = models.TextField("ошибка", blank=True)
    sent_at = models.DateTimeField("отправлена", null=True, blank=True)
    updated_at = models.DateTimeField("изменена", auto_now=True)

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "электронная квитанция"
        verbose_name_plural = "электронные квитанции"
        ordering = ["-period__month", "account", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "account", "user"], name="receipt_delivery_unique"
            )
        ]

    def __str__(self):
        return f"{self.account}, {self.period} → {self.email} ({self.get_status_display()})"


class PaymentDocumentId(models.Model):
    """The идентификатор платёжного документа (ИПД) that ГИС ЖКХ gave the payment document of
    ``account`` for ``period``: printed on it (Приказ Минстроя России № 43/пр, раздел 1
    формы), never made up here (see ``kabinet.housing.gis``)."""

    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.CASCADE,
        related_name="payment_document_ids",
        verbose_name="лицевой счёт",
    )
    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="+", verbose_name="период"
    )
    value = models.CharField(
        "идентификатор платёжного документа (ИПД)",
        max_length=gis.PAYMENT_DOCUMENT_ID_LENGTH,
        unique=True,
        validators=[gis.validate_payment_document_id],
        help_text="18 знаков, присваивает ГИС ЖКХ.",
    )

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "идентификатор платёжного документа"
        verbose_name_plural = "идентификаторы платёжных документов"
        ordering = ["account", "-period__month"]
        constraints = [
            models.UniqueConstraint(fields=["account", "period"], name="payment_document_id_unique")
        ]

    def __str__(self):
        return self.value

    def clean(self):
        if (
            self.account_id
            and self.period_id
            and self.account.organization_id != self.period.organization_id
        ):
            raise ValidationError({"period": "Период другой организации."})


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "письмо с квитанцией отправлено"
    PORTAL_PAGE = "portal_page", "открыта жителем в личном кабинете"
    PORTAL_PDF = "portal_pdf", "скачана жителем в PDF"


class DocumentDelivery(models.Model):
    """When the payment document of ``account`` for ``period`` first reached a resident
    (ЖК РФ ст. 155 ч. 2 п. 1: «представленных не позднее пятого числа»), and how. One row per
    account and period: the first delivery is kept, later ones change nothing
    (``receipts.delivery.record_document_delivered``)."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="document_deliveries", verbose_name="период"
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.CASCADE,
        related_name="document_deliveries",
        verbose_name="лицевой счёт",
    )
    delivered_at = models.DateTimeField("доставлен")
    channel = models.CharField("как", max_length=20, choices=DeliveryChannel.choices)

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "доставка платёжного документа"
        verbose_name_plural = "доставка платёжных документов"
        ordering = ["-period__month", "account"]
        constraints = [
            models.UniqueConstraint(fields=["period", "account"], name="document_delivery_unique")
        ]

    def __str__(self):
        return f"{self.account}, {self.period}: {self.delivered_at:%d.%m.%Y %H:%M}"


class Supplier(models.Model):
    """The requisites of a supplier that is not the organisation itself — a
    ресурсоснабжающая организация or another исполнитель — which the payment document gives
    for the lines it supplies (Правила № 354 п. 69 «б»: the исполнитель's name, bank details,
    address and phones; Приказ Минстроя России № 43/пр, раздел 1 «Сведения о плательщике и
    исполнителе услуг»; docs/payment-document.md). A service names its supplier in
    ``Service.supplier``; the row here of the same name in the organisation gives the rest."""

    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="suppliers",
        verbose_name="организация",
    )
    name = models.CharField(
        "наименование",
        max_length=255,
        help_text="Как в поле «поставщик» услуг: по нему строки квитанции находят реквизиты.",
    )
    inn = models.CharField("ИНН", max_length=12, validators=[validators.validate_inn])
    kpp = models.CharField("КПП", max_length=9, blank=True, validators=[validators.validate_kpp])
    address = models.CharField("адрес", max_length=255, blank=True)
    phone = models.CharField("телефон", max_length=100, blank=True)
    email = models.EmailField("e-mail", blank=True)
    website = models.URLField("сайт", blank=True)
    bank_name = models.CharField("банк", max_length=255, blank=True)
    bik = models.CharField("БИК", max_length=9, blank=True, validators=[validators.validate_bik])
    correspondent_account = models.CharField(
        "корр. счёт", max_length=20, blank=True, validators=[validators.validate_bank_account]
    )
    settlement_account = models.CharField(
        "расчётный счёт", max_length=20, blank=True, validators=[validators.validate_bank_account]
    )

    objects = OrganizationScopedQuerySet.through("organization").as_manager()

    class Meta:
        verbose_name = "поставщик услуг"
        verbose_name_plural = "поставщики услуг"
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="supplier_unique_name")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        bank = (self.bank_name, self.bik, self.correspondent_account, self.settlement_account)
        if any(bank) and not all(bank):
            errors["bank_name"] = (
                "Банковские реквизиты — банк, БИК, корр. и расчётный счёт — все или ни одного."
            )
        else:
            errors.update(bank_account_errors(self))
        if errors:
            raise ValidationError(errors)


class IssuedDocumentError(Exception):
    """An issued payment document is never changed or deleted: a correction is a new version."""


class IssuedDocumentQuerySet(OrganizationScopedQuerySet.through("account__organization")):
    def update(self, **kwargs):
        # The one update allowed: a deleted staff user's documents lose the link (SET_NULL).
        if kwargs != {"issued_by": None}:
            raise IssuedDocumentError("Выпущенный платёжный документ не изменяется.")
        return super().update(**kwargs)

    def delete(self):
        raise IssuedDocumentError("Выпущенный платёжный документ не удаляется.")


def issued_document_path(document, filename: str) -> str:
    """Where the stored file goes: per organisation and month, named by the account and the
    version (the storage adds a suffix rather than overwrite a file of the same name)."""
    month = document.period.month
    number = get_valid_filename(document.account.number) or "account"
    return (
        f"receipts/{document.account.organization_id}/{month:%Y-%m}/{number}-{document.version}.pdf"
    )


class IssuedDocument(models.Model):
    """The payment document of ``account`` for the closed ``period`` as it was issued: the PDF
    drawn once and kept through the storage API (``file``, with its SHA-256), the data it was
    drawn from (``data``, ``receipts.snapshot``), its number and time of issue. As pretix keeps
    its invoices: never changed or deleted; a corrected document is a new ``version`` issued by
    staff with a ``reason`` (audited), the earlier ones kept (``receipts.issuing``)."""

    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="issued_documents",
        verbose_name="лицевой счёт",
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="issued_documents", verbose_name="период"
    )
    version = models.PositiveSmallIntegerField("версия", default=1)
    number = models.CharField("номер", max_length=60)
    file = models.FileField("файл", upload_to=issued_document_path, max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("размер, байт")
    data = models.JSONField("данные документа")
    issued_at = models.DateTimeField("выпущен")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="выпустил",
        help_text="Пусто — выпущен при закрытии периода или по первому запросу.",
    )
    reason = models.TextField("причина исправления", blank=True)

    objects = IssuedDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = "выпущенный платёжный документ"
        verbose_name_plural = "выпущенные платёжные документы"
        ordering = ["account", "-period__month", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period", "version"], name="issued_document_unique_version"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="issued_document_version_from_one"
            ),
        ]

    def __str__(self):
        return f"Платёжный документ № {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise IssuedDocumentError("Выпущенный платёжный документ не изменяется.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise IssuedDocumentError("Выпущенный платёжный документ не удаляется.")
