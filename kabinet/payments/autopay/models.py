"""Autopay's records (``autopay.services`` is the workflow): a resident's standing order
for one personal account, and one charge per account and receipt month.

Only the gateway's id of the saved way to pay is kept (and its title, «Bank card *4444», to
show): card data never reaches our database. Imported by ``payments.models``."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kabinet.housing.models import PersonalAccount
from kabinet.money import MONEY_FIELD
from kabinet.orgs.scoping import OrganizationScopedQuerySet

LAST_CHARGE_DAY = 28  # every month has it


class AutopayMode(models.TextChoices):
    FULL = "full", "оплачивать каждую новую квитанцию полностью"
    DAY = "day", "оплачивать в выбранный день месяца"


class Autopay(models.Model):
    """A resident's autopay of one account: how and up to how much, charged to their saved
    method. At most one is in force per account; a cancelled one stays as history."""

    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="+", verbose_name="лицевой счёт"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,  # the saved method is the user's: it goes with them
        related_name="autopays",
        verbose_name="плательщик",
    )
    email = models.EmailField("e-mail для писем об автоплатеже")
    provider = models.CharField("платёжный сервис", max_length=20)
    method_id = models.CharField(
        "сохранённый способ оплаты в платёжном сервисе", max_length=100, blank=True
    )
    method_title = models.CharField("способ оплаты", max_length=100, blank=True)
    binding_payment = models.OneToOneField(
        "payments.OnlinePayment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="платёж, которым сохранён способ оплаты",
    )
    mode = models.CharField("когда оплачивать", max_length=4, choices=AutopayMode.choices)
    day = models.PositiveSmallIntegerField(
        "день месяца",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(LAST_CHARGE_DAY)],
    )
    limit = models.DecimalField("не больше, ₽ в месяц", **MONEY_FIELD)
    skip_month = models.DateField(
        "пропустить квитанцию за месяц", null=True, blank=True, help_text="Первое число месяца."
    )
    activated_at = models.DateTimeField("способ оплаты сохранён", null=True, blank=True)
    canceled_at = models.DateTimeField("отключён", null=True, blank=True)
    created_at = models.DateTimeField("создан", auto_now_add=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "автоплатёж"
        verbose_name_plural = "автоплатежи"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(canceled_at__isnull=True),
                name="autopay_one_in_force_per_account",
            ),
            models.CheckConstraint(condition=Q(limit__gt=0), name="autopay_limit_positive"),
            models.CheckConstraint(
                condition=Q(mode="full", day__isnull=True)
                | Q(mode="day", day__gte=1, day__lte=LAST_CHARGE_DAY),
                name="autopay_day_with_its_mode",
            ),
        ]

    def __str__(self):
        return f"Автоплатёж № {self.pk}: {self.account}"

    @property
    def is_active(self) -> bool:
        """In force with a saved method: charges are made."""
        return self.canceled_at is None and bool(self.method_id)


class AutopayChargeStatus(models.TextChoices):
    SCHEDULED = "scheduled", "запланировано"
    CHARGING = "charging", "списывается"
    PENDING = "pending", "ждёт ответа платёжного сервиса"
    SUCCEEDED = "succeeded", "оплачено"
    FAILED = "failed", "не удалось списать"
    OVER_LIMIT = "over_limit", "не оплачено: сумма больше лимита"
    NOTHING_DUE = "nothing_due", "оплачивать нечего"
    SKIPPED = "skipped", "пропущено по вашей просьбе"
    CANCELED = "canceled", "автоплатёж отключён"


class AutopayCharge(models.Model):
    """Autopay's payment of one receipt month: one row per (autopay, month), enforced by the
    database, so however often and however concurrently the task runs, a month is charged
    once. Each attempt is its own ``OnlinePayment`` (a declined one is final at the gateway)."""

    autopay = models.ForeignKey(
        Autopay, on_delete=models.CASCADE, related_name="charges", verbose_name="автоплатёж"
    )
    month = models.DateField("квитанция за месяц")
    due_on = models.DateField("дата списания")
    status = models.CharField(
        "состояние",
        max_length=12,
        choices=AutopayChargeStatus.choices,
        default=AutopayChargeStatus.SCHEDULED,
    )
    amount = models.DecimalField("сумма", **MONEY_FIELD, null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("попыток списания", default=0)
    online_payment = models.ForeignKey(
        "payments.OnlinePayment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="последняя попытка",
    )
    reason = models.CharField("причина", max_length=255, blank=True)
    notice_sent_at = models.DateTimeField("предупреждение отправлено", null=True, blank=True)
    result_sent_at = models.DateTimeField("итог отправлен", null=True, blank=True)
    created_at = models.DateTimeField("создано", auto_now_add=True)
    updated_at = models.DateTimeField("изменено", auto_now=True)

    objects = OrganizationScopedQuerySet.through("autopay__account__organization").as_manager()

    class Meta:
        verbose_name = "списание автоплатежа"
        verbose_name_plural = "списания автоплатежа"
        ordering = ["-month", "-id"]
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [
            models.UniqueConstraint(fields=["autopay", "month"], name="autopay_charge_once_a_month")
        ]

    def __str__(self):
        return f"{self.autopay}: {self.month:%m.%Y}"
