import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kabinet.billing.models.dated import DatedRow
from kabinet.housing.models import PersonalAccount
from kabinet.jobs.models import Job
from kabinet.money import MONEY_FIELD, ZERO
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class PaymentSource(models.TextChoices):
    BANK = "bank", "банк (реестр платежей)"
    ONLINE = "online", "онлайн-оплата"
    CASH_DESK = "cash_desk", "касса УК"
    MANUAL = "manual", "внесён вручную"


class RegistryFormat(models.TextChoices):
    SBERBANK = "sberbank", "реестр Сбербанка (текст через «;»)"
    TABLE = "table", "таблица CSV или XLSX"


class RegistryStatus(models.TextChoices):
    QUEUED = "queued", "в очереди на проверку"
    IMPORTED = "imported", "зачтён"
    PARTIAL = "partial", "зачтены только правильные строки"
    REJECTED = "rejected", "не зачтён: в файле есть ошибки"
    FAILED = "failed", "не прочитан"


class PaymentRegistry(models.Model):
    """A bank's file of payments (реестр платежей) uploaded by staff, and what its import did.

    The same file is recognised by its SHA-256 and never imported twice; each row becomes a
    ``Payment`` whose ``external_id`` identifies the bank payment (see ``payments.registry``)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="организация"
    )
    file = models.FileField("файл", upload_to="registries/%Y/%m/")
    file_name = models.CharField("имя файла", max_length=255)
    sha256 = models.CharField("SHA-256 файла", max_length=64)
    format = models.CharField("формат", max_length=10, choices=RegistryFormat.choices, blank=True)
    status = models.CharField(
        "состояние", max_length=10, choices=RegistryStatus.choices, default=RegistryStatus.QUEUED
    )
    good_rows_only = models.BooleanField("зачесть только правильные строки", default=False)
    capital_repair = models.BooleanField(
        "реестр взносов на капитальный ремонт",
        default=False,
        help_text="Платежи на счёт получателя взносов на капремонт: гасят только долг по взносам.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="загрузил",
    )
    uploaded_at = models.DateTimeField("загружен", auto_now_add=True)
    job = models.ForeignKey(
        Job,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="задание",
    )
    rows_total = models.PositiveIntegerField("строк с платежами", default=0)
    rows_credited = models.PositiveIntegerField("зачтено", default=0)
    rows_duplicate = models.PositiveIntegerField("уже были зачтены", default=0)
    rows_rejected = models.PositiveIntegerField("с ошибкой", default=0)
    amount_credited = models.DecimalField("зачтено, ₽", **MONEY_FIELD, default=ZERO)
    commission = models.DecimalField("комиссия банка, ₽", **MONEY_FIELD, default=ZERO)
    declared_count = models.PositiveIntegerField("платежей по итоговой строке", null=True)
    declared_amount = models.DecimalField(
        "сумма по итоговой строке, ₽", **MONEY_FIELD, null=True, blank=True
    )
    errors = models.JSONField("ошибки", default=list, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "реестр платежей"
        verbose_name_plural = "реестры платежей"
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sha256"], name="registry_file_unique_per_organization"
            )
        ]

    def __str__(self):
        return f"Реестр № {self.pk} ({self.file_name})"

    @property
    def is_finished(self) -> bool:
        return self.status != RegistryStatus.QUEUED


class RegistryDay(models.Model):
    """What a registry says was paid on one day (its rows, credited or not), for reconciliation.

    Rows that repeat a payment already credited from an earlier registry are not counted again."""

    registry = models.ForeignKey(
        PaymentRegistry, on_delete=models.CASCADE, related_name="days", verbose_name="реестр"
    )
    day = models.DateField("дата платежа")
    count = models.PositiveIntegerField("платежей")
    amount = models.DecimalField("сумма", **MONEY_FIELD)
    commission = models.DecimalField("комиссия", **MONEY_FIELD, default=ZERO)

    objects = OrganizationScopedQuerySet.through("registry__organization").as_manager()

    class Meta:
        verbose_name = "итог реестра за день"
        verbose_name_plural = "итоги реестров по дням"
        constraints = [
            models.UniqueConstraint(fields=["registry", "day"], name="registry_day_unique")
        ]

    def __str__(self):
        return f"{self.registry}: {self.day:%d.%m.%Y}"


class Payment(models.Model):
    """Money received for a personal account. ``external_id`` (the bank's or the gateway's id)
    is unique per source, so the same payment reported twice is recorded once."""

    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name="лицевой счёт",
        db_index=False,  # the (account, paid_on) index serves it; one index less to write
    )
    paid_on = models.DateField("дата платежа")
    amount = models.DecimalField("сумма", **MONEY_FIELD)
    source = models.CharField("источник", max_length=20, choices=PaymentSource.choices)
    external_id = models.CharField("внешний идентификатор", max_length=100, blank=True)
    period = models.DateField(
        "за период",
        null=True,
        blank=True,
        help_text="Месяц начислений, который оплачен (первое число месяца): платёж сначала "
        "гасит его долг (ГК РФ ст. 319.1); без месяца — самый ранний долг.",
    )
    payer_name = models.CharField("плательщик", max_length=255, blank=True)
    commission = models.DecimalField("комиссия банка", **MONEY_FIELD, default=ZERO)
    # No database constraint on the registry: it would queue a check per payment, run at
    # COMMIT, of the one row every payment of a registry names (a million checks for a
    # million-row registry, bench/README.md «Bank registry import»). The row exists: it is
    # committed by the upload before its crediting starts, which inserts only its id; and
    # nothing deletes a registry (read-only in the admin, no page or service deletes one, its
    # organisation is PROTECTed), while PROTECT refuses an ORM delete of one with payments.
    # The account's constraint stays: staff delete accounts, and other payments (online, cash
    # desk, by hand) are written without a lock on theirs (see ``registry.crediting``).
    registry = models.ForeignKey(
        PaymentRegistry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name="реестр",
        db_constraint=False,
    )
    # A contribution to capital repair goes to its own payee (the special account or the
    # regional operator, ЖК РФ ст. 170 ч. 3) by its own QR code or registry: it settles the
    # capital repair debt only, and the rest of the bill's debt never (docs/billing-law.md).
    capital_repair = models.BooleanField(
        "взнос на капитальный ремонт",
        default=False,
        db_default=False,  # bank registries insert rows by raw SQL (payments.registry)
        help_text="Платёж получателю взносов на капитальный ремонт (спецсчёт или региональный "
        "оператор): гасит только долг по взносам.",
    )
    created_at = models.DateTimeField("зарегистрирован", auto_now_add=True)

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "платёж"
        verbose_name_plural = "платежи"
        ordering = ["-paid_on", "-id"]
        # Few indexes: a bank registry inserts 100 000 rows at once (bench/bench_registry.py).
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

    def clean(self):
        if self.period:
            self.period = self.period.replace(day=1)  # a month, whatever day staff typed


class OnlinePaymentStatus(models.TextChoices):
    PENDING = "pending", "ожидает оплаты"
    SUCCEEDED = "succeeded", "оплачен"
    CANCELED = "canceled", "отменён"
    # Still pending at the gateway past its lifetime (``settings.ONLINE_PAYMENT_LIFETIME``):
    # closed here, yet credited should the gateway ever confirm it was paid after all.
    EXPIRED = "expired", "истёк срок"


class OnlinePaymentMethod(models.TextChoices):
    """How the resident chose to pay: ЮKassa's ``payment_method_data.type``."""

    BANK_CARD = "bank_card", "банковская карта"
    SBP = "sbp", "СБП (Система быстрых платежей)"


class FiscalReceiptStatus(models.TextChoices):
    """The fiscal receipt's registration (ЮKassa's ``receipt_registration``)."""

    PENDING = "pending", "формируется"
    SUCCEEDED = "succeeded", "сформирован"
    CANCELED = "canceled", "не сформирован"


class OnlinePayment(models.Model):
    """A resident's payment through a payment gateway, from «Оплатить» to the gateway's verdict.

    Once the gateway confirms it, exactly one ``Payment`` (source ONLINE, ``external_id`` = the
    gateway's id) is credited to the account, however many notifications arrive."""

    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="online_payments",
        verbose_name="лицевой счёт",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="online_payments",
        verbose_name="плательщик",
    )
    email = models.EmailField("e-mail для квитанции об оплате", blank=True)
    amount = models.DecimalField("сумма", **MONEY_FIELD)
    period = models.DateField(
        "за период", null=True, blank=True, help_text="Месяц, который жилец выбрал оплатить."
    )
    capital_repair = models.BooleanField(
        "взнос на капитальный ремонт",
        default=False,
        help_text="Оплата получателю взносов на капитальный ремонт (фонд дома): зачтённый платёж "
        "гасит только долг по взносам.",
    )
    provider = models.CharField("платёжный сервис", max_length=20)
    method = models.CharField(
        "способ оплаты",
        max_length=20,
        choices=OnlinePaymentMethod.choices,
        blank=True,
        help_text="Пусто — способ выбирается на странице платёжного сервиса.",
    )
    gateway_id = models.CharField("идентификатор в платёжном сервисе", max_length=100, blank=True)
    idempotence_key = models.UUIDField("ключ идемпотентности", default=uuid.uuid4, unique=True)
    confirmation_url = models.URLField("страница оплаты", max_length=2000, blank=True)
    status = models.CharField(
        "состояние",
        max_length=10,
        choices=OnlinePaymentStatus.choices,
        default=OnlinePaymentStatus.PENDING,
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="online_payment",
        verbose_name="зачтённый платёж",
    )
    created_at = models.DateTimeField("создан", auto_now_add=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)
    paid_at = models.DateTimeField("оплачен", null=True, blank=True)
    checked_at = models.DateTimeField("последняя проверка", null=True, blank=True)
    receipt_sent_at = models.DateTimeField("квитанция отправлена", null=True, blank=True)
    # The fiscal receipt (54-ФЗ) sent to the gateway with the payment (payments.fiscal), and
    # what the gateway reports of it.
    fiscal_receipt_data = models.JSONField("данные чека", default=dict, blank=True)
    fiscal_receipt_id = models.CharField("чек в платёжном сервисе", max_length=100, blank=True)
    fiscal_receipt_status = models.CharField(
        "состояние чека", max_length=10, choices=FiscalReceiptStatus.choices, blank=True
    )
    fiscal_receipt_url = models.URLField("ссылка на чек", max_length=2000, blank=True)
    # The registered receipt's fiscal attributes, when the gateway gives them but no link
    # (ЮKassa's receipts API): ФН, ФД, ФП, the time — the portal shows the receipt from them.
    fiscal_receipt_details = models.JSONField("фискальные данные чека", default=dict, blank=True)
    # The organisation's commission passed on to the payer (``PaymentCommission``): paid on top
    # of ``amount`` (the gateway takes ``gateway_amount``), never credited to the debt.
    commission = models.DecimalField("комиссия плательщика", **MONEY_FIELD, default=ZERO)

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "онлайн-оплата"
        verbose_name_plural = "онлайн-оплаты"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "gateway_id"],
                condition=~Q(gateway_id=""),
                name="online_payment_gateway_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="online_payment_amount_positive"
            ),
        ]

    def __str__(self):
        return f"Онлайн-оплата № {self.pk}: {self.account}, {self.amount}"

    @property
    def is_pending(self) -> bool:
        return self.status == OnlinePaymentStatus.PENDING

    @property
    def gateway_amount(self):
        """What the payer pays at the gateway: the amount for the debt and the commission."""
        return self.amount + self.commission

    @property
    def may_still_succeed(self) -> bool:
        """Closed here without the gateway's word (expired, or cancelled by the payer), so the
        gateway may yet report it paid — and then the money is credited."""
        return self.status in (OnlinePaymentStatus.EXPIRED, OnlinePaymentStatus.CANCELED)


class OnlinePaymentPart(models.Model):
    """One account's share of an online payment that pays several accounts of one organisation
    at once (Главная, «Оплатить несколько счетов»). On success each part is credited to its
    account as its own ``Payment`` (``external_id`` = the gateway's id and the part's number),
    all of them in one transaction: either every part is credited or none is."""

    online_payment = models.ForeignKey(
        OnlinePayment, on_delete=models.CASCADE, related_name="parts", verbose_name="онлайн-оплата"
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="online_payment_parts",
        verbose_name="лицевой счёт",
    )
    amount = models.DecimalField("сумма", **MONEY_FIELD)
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="online_payment_part",
        verbose_name="зачтённый платёж",
    )

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "часть онлайн-оплаты"
        verbose_name_plural = "части онлайн-оплаты"
        ordering = ["online_payment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["online_payment", "account"], name="online_payment_part_unique_account"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="online_payment_part_amount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.online_payment}: ЛС {self.account}, {self.amount}"


class PaymentCommission(DatedRow):
    """The commission an organisation passes on to the payer of an online payment, as a percent
    of the amount, from ``valid_from`` (to ``valid_to``). The payer sees it before paying; it is
    added to the amount the gateway takes and is not credited to the account. Without a row for
    the day — no commission (``payments.commission``)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="payment_commissions",
        verbose_name="организация",
    )
    percent = models.DecimalField(
        "комиссия, % от суммы",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10"))],
        help_text="0 — без комиссии. Комиссия показывается жителю до оплаты и добавляется к "
        "сумме платежа; в счёт долга зачисляется сумма без неё.",
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "комиссия онлайн-оплаты"
        verbose_name_plural = "комиссия онлайн-оплаты"
        ordering = ["organization", "-valid_from"]
        constraints = [
            *DatedRow.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "valid_from"], name="payment_commission_unique_start"
            ),
        ]

    def __str__(self):
        return f"{self.percent} % с {self.valid_from:%d.%m.%Y}"


# Autopay's models live in their own module; imported here so that Django registers them.
from kabinet.payments.autopay.models import (  # noqa: E402, F401
    Autopay,
    AutopayCharge,
    AutopayChargeStatus,
    AutopayMode,
)
