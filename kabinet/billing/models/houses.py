"""Per-house billing settings: the capital repair fund and its regional due dates, heating."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kabinet.billing.models.dated import DatedRow
from kabinet.formats import month_name
from kabinet.housing.models import House
from kabinet.orgs import validators
from kabinet.orgs.models import Organization, Payee
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class CapitalRepairFundKind(models.TextChoices):
    """ЖК РФ ст. 170 ч. 3: the two ways a house forms its capital repair fund."""

    SPECIAL_ACCOUNT = "special_account", "специальный счёт"
    REGIONAL_OPERATOR = "regional_operator", "счёт регионального оператора"


class CapitalRepairFund(Payee):
    """How a house collects capital repair contributions, and whom they are paid to.

    A house without one is billed no contribution (its owners pay the regional operator on
    the operator's own documents, or nothing). With one, its owners' accounts are charged the
    organisation's capital repair services, and the payment document has a section of its own
    with this payee's details and QR code (docs/payment-document.md)."""

    house = models.OneToOneField(
        House, on_delete=models.CASCADE, related_name="capital_repair_fund", verbose_name="дом"
    )
    kind = models.CharField(
        "способ формирования фонда", max_length=20, choices=CapitalRepairFundKind.choices
    )
    payee_name = models.CharField(
        "получатель взносов",
        max_length=160,
        validators=[validators.validate_payment_text],
        help_text="Владелец специального счёта (например, управляющая организация) или "
        "региональный оператор.",
    )
    settlement_account = models.CharField(
        "расчётный (специальный) счёт",
        max_length=20,
        validators=[validators.validate_bank_account],
    )
    online_account_id = models.CharField(
        "магазин получателя в ЮKassa",
        max_length=64,
        blank=True,
        help_text="Идентификатор магазина получателя взносов в ЮKassa (сплитование платежей): "
        "взнос, оплаченный онлайн, ЮKassa перечисляет на его счёт. Пусто — взнос онлайн через "
        "ЮKassa не принимается (только по QR-коду квитанции).",
    )

    objects = OrganizationScopedQuerySet.through("house__organization").as_manager()

    class Meta:
        verbose_name = "фонд капитального ремонта дома"
        verbose_name_plural = "фонды капитального ремонта домов"
        ordering = ["house"]

    def __str__(self):
        return f"{self.house}: {self.get_kind_display()}"


class HeatingMethod(models.TextChoices):
    """How a house's heating is measured (Правила № 354, приложение № 2)."""

    NORMATIVE = "normative", "по нормативу (формула 2)"
    NORMATIVE_COMMON = (
        "normative_common",
        "по нормативу на площадь помещения и его долю общего имущества (формулы 2(3), 2(4))",
    )
    HOUSE_METER = "house_meter", "по общедомовому прибору учёта (формулы 3, 3(1))"
    HOUSE_AND_PREMISE_METERS = (
        "house_and_premise_meters",
        "по общедомовому прибору и приборам учёта во всех помещениях (формулы 3(3), 3(4))",
    )


class HeatingPayment(models.TextChoices):
    """When heating is paid (Правила № 354 п. 42(1): the way is chosen by the subject of the
    Federation)."""

    SEASON = "season", "в течение отопительного периода"
    EVENLY = "evenly", "равномерно в течение календарного года"


def parse_season_months(text: str) -> tuple[int, ...]:
    """The months of the heating season from «10,11,12,1,2,3,4» (numbers 1–12, each once)."""
    try:
        months = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise ValidationError(
            "Укажите номера месяцев через запятую, например 10,11,12,1,2,3,4."
        ) from None
    if not months or len(set(months)) != len(months) or not all(1 <= m <= 12 for m in months):
        raise ValidationError("Номера месяцев — от 1 до 12, каждый по одному разу.")
    return months


class HeatingSetting(models.Model):
    """How a house's heating is charged from the month ``valid_from`` on, until a later row of
    the house (docs/billing-law.md, «Heating»). A house without one is charged by its heating
    service's normative every month, as before."""

    house = models.ForeignKey(
        House, on_delete=models.CASCADE, related_name="heating_settings", verbose_name="дом"
    )
    valid_from = models.DateField("действует с месяца", help_text="Первое число месяца.")
    method = models.CharField(
        "объём тепловой энергии",
        max_length=30,
        choices=HeatingMethod.choices,
        help_text="Формулы 2(3), 2(4) берут площадь общего имущества дома; формулы 3(3), 3(4) — "
        "показания приборов учёта тепла в помещениях (у лицевых счетов).",
    )
    payment = models.CharField("способ оплаты", max_length=10, choices=HeatingPayment.choices)
    season_months = models.CharField(
        "месяцы отопительного периода",
        max_length=40,
        default="10,11,12,1,2,3,4",
        validators=[parse_season_months],
        help_text="Номера месяцев через запятую (неполные месяцы — тоже).",
    )
    basis = models.CharField(
        "основание",
        max_length=500,
        blank=True,
        help_text="Решение субъекта РФ о способе оплаты (Правила № 354 п. 42(1)): акт, дата, "
        "номер.",
    )

    objects = OrganizationScopedQuerySet.through("house__organization").as_manager()

    class Meta:
        verbose_name = "расчёт отопления дома"
        verbose_name_plural = "расчёт отопления домов"
        ordering = ["house", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["house", "valid_from"], name="heating_setting_unique"),
            models.CheckConstraint(
                condition=Q(valid_from__day=1), name="heating_setting_first_day"
            ),
        ]

    def __str__(self):
        return f"{self.house}: {self.get_method_display()}, {self.get_payment_display()}"

    @property
    def months(self) -> tuple[int, ...]:
        return parse_season_months(self.season_months)

    def clean(self):
        if self.valid_from and self.valid_from.day != 1:
            raise ValidationError({"valid_from": "Укажите первое число месяца."})


class CapitalRepairDueDay(DatedRow):
    """A region's own due date for capital repair contributions paid to the regional operator
    (ЖК РФ ст. 171 ч. 1: «в сроки, установленные для внесения платы за жилое помещение и
    коммунальные услуги, если иное не установлено законом субъекта Российской Федерации»):
    the contributions of the billed months from ``valid_from`` to ``valid_to`` are due on
    ``day`` of the next month (the month's last day if it has fewer), moved to the next working
    day. A special account has no such exception (ч. 2): its contributions are due with the
    rest of the bill. Without a row the federal rule applies (``billing.law.due_date``)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="capital_repair_due_days",
        verbose_name="организация",
    )
    day = models.PositiveSmallIntegerField(
        "срок: число следующего месяца",
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="Например, 20 — до 20-го числа месяца, следующего за расчётным; в коротком "
        "месяце — его последний день; нерабочий день переносится на следующий рабочий.",
    )
    # The range counts billed months: both ends are first days of months (``clean``).
    valid_from = models.DateField(
        "для месяцев начислений с", help_text="Первое число первого расчётного месяца."
    )
    valid_to = models.DateField(
        "по", null=True, blank=True, help_text="Пусто — пока закон субъекта не изменится."
    )
    source = models.CharField("основание (закон субъекта РФ: дата, номер, статья)", max_length=500)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta(DatedRow.Meta):
        verbose_name = "срок уплаты взносов на капремонт по закону субъекта"
        verbose_name_plural = "сроки уплаты взносов на капремонт по закону субъекта"
        ordering = ["organization", "-valid_from"]

    def __str__(self):
        return f"до {self.day}-го числа, с {month_name(self.valid_from)}"

    def clean(self):
        if self.valid_from:
            self.valid_from = self.valid_from.replace(day=1)
        if self.valid_to:
            self.valid_to = self.valid_to.replace(day=1)
        super().clean()
