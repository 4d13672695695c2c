"""Rules of law kept as dated data: key rates, penalty rules, the scale of the penalty,
increasing coefficients and normatives for common needs (docs/billing-law.md)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from kabinet.billing.models.dated import DatedRow
from kabinet.billing.models.services import VOLUME_FIELD
from kabinet.housing.models import House
from kabinet.metering.models import Resource
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class KeyRate(models.Model):
    """The Bank of Russia's key rate from a date (ЖК РФ ст. 155 ч. 14: пени считаются от неё).

    The history is shipped with the portal (no organisation: a data migration names each
    decision); staff may add a rate of their own organisation, e.g. a decision announced after
    the last release. On the same date the organisation's row wins."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="key_rates",
        verbose_name="организация",
        help_text="Пусто — ставка из истории Банка России, поставляемой с порталом.",
    )
    valid_from = models.DateField("действует с")
    rate = models.DecimalField(
        "ставка, % годовых",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    source = models.CharField("источник", max_length=255, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "ключевая ставка"
        verbose_name_plural = "ключевые ставки"
        ordering = ["organization", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "valid_from"], name="key_rate_date_unique"
            ),
            models.UniqueConstraint(
                fields=["valid_from"],
                condition=Q(organization__isnull=True),
                name="shipped_key_rate_date_unique",
            ),
        ]

    def __str__(self):
        return f"{self.rate} % с {self.valid_from:%d.%m.%Y}"


WASTEWATER = "wastewater"
COEFFICIENT_RESOURCES = [*Resource.choices, (WASTEWATER, "водоотведение")]


class IncreasingCoefficient(DatedRow):
    """The increasing coefficient (повышающий коэффициент) to the normative of a resource from
    ``valid_from`` to ``valid_to`` (Правила № 354 п. 42, formulas 1 and 4 of приложение № 2):
    the charge by the normative where a meter can be installed but is not, or has failed or
    is past its verification for longer than п. 59 «а» allows (п. 60).

    The federal values are shipped as rows without an organisation (billing/shipped_law.py
    names the act); staff may add their organisation's rows, which win on the same date."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="increasing_coefficients",
        verbose_name="организация",
        help_text="Пусто — значение из федерального акта, поставляемое с порталом.",
    )
    resource = models.CharField("ресурс", max_length=20, choices=COEFFICIENT_RESOURCES)
    value = models.DecimalField(
        "коэффициент", max_digits=6, decimal_places=4, validators=[MinValueValidator(1)]
    )
    source = models.CharField("основание (акт, дата, номер, пункт)", max_length=500, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta(DatedRow.Meta):
        verbose_name = "повышающий коэффициент"
        verbose_name_plural = "повышающие коэффициенты"
        ordering = ["resource", "-valid_from"]
        constraints = [
            *DatedRow.Meta.constraints,
            models.CheckConstraint(condition=Q(value__gte=1), name="coefficient_at_least_one"),
        ]

    def __str__(self):
        return f"{self.get_resource_display()}: {self.value} с {self.valid_from:%d.%m.%Y}"


# The resources a region sets a normative «в целях содержания общего имущества» for (ЖК РФ
# ст. 154 ч. 2 п. 1, ст. 156 ч. 9.2; docs/billing-law.md, «The common-house share»).
COMMON_NEEDS_RESOURCES = [
    (Resource.COLD_WATER, Resource.COLD_WATER.label),
    (Resource.HOT_WATER, Resource.HOT_WATER.label),
    (Resource.ELECTRICITY, Resource.ELECTRICITY.label),
    (WASTEWATER, "водоотведение"),
]


class CommonNeedsNormative(DatedRow):
    """The normative of a resource consumed for the common property (норматив потребления
    коммунального ресурса в целях содержания общего имущества, КР на СОИ) per m² of the
    common-property area a month, from ``valid_from`` to ``valid_to``, for one house or, with no
    house, all houses of the organisation. Regions set it (ЖК РФ ст. 156 ч. 9.2), so no
    federal value is shipped. The run charges the common-house share by it where the house
    has no meter reading, and caps the share by it otherwise (Правила № 354 п. 44)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="common_needs_normatives",
        verbose_name="организация",
    )
    house = models.ForeignKey(
        House,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="common_needs_normatives",
        verbose_name="дом",
        help_text="Пусто — для всех домов организации (норматив дома важнее).",
    )
    resource = models.CharField("ресурс", max_length=20, choices=COMMON_NEEDS_RESOURCES)
    value = models.DecimalField(
        "норматив на 1 м² общего имущества в месяц",
        **VOLUME_FIELD,
        validators=[MinValueValidator(0)],
        help_text="м³ (вода, водоотведение) или кВт·ч (электроэнергия) в месяц на 1 м² площади "
        "помещений, входящих в состав общего имущества.",
    )
    source = models.CharField(
        "основание (акт субъекта РФ, дата, номер)", max_length=500, blank=True
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta(DatedRow.Meta):
        verbose_name = "норматив на общедомовые нужды"
        verbose_name_plural = "нормативы на общедомовые нужды (КР на СОИ)"
        ordering = ["organization", "resource", "-valid_from"]
        constraints = [
            *DatedRow.Meta.constraints,
            models.CheckConstraint(condition=Q(value__gte=0), name="common_normative_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_resource_display()}: {self.value} с {self.valid_from:%d.%m.%Y}"

    def clean(self):
        super().clean()
        if (
            self.house_id
            and self.organization_id
            and (self.house.organization_id != self.organization_id)
        ):
            raise ValidationError({"house": "Дом другой организации."})


class PenaltyRuleKind(models.TextChoices):
    RATE_CAP = "rate_cap", "предельная ставка пеней"
    MORATORIUM = "moratorium", "мораторий на пени"
    DUE_DAY = "due_day", "срок оплаты, установленный законом"
    DOCUMENT_DAY = "document_day", "срок представления платёжного документа"


class PenaltyRule(models.Model):
    """A rule of law about penalties or the due date that holds for a range of dates, as data:
    next year's change of the law is a new row (shipped by a data migration), not new code.

    - rate cap: for penalty days ``first_day``–``last_day`` the key rate is at most ``value``;
    - moratorium: no penalty accrues on ``first_day``–``last_day`` (only on debts for months
      that ended before ``arisen_before``, when set);
    - due day: months billed from ``first_day`` on are due on the ``value``-th of the next
      month whatever the organisation's contract says;
    - document day: the payment documents of months billed from ``first_day`` on are due to
      residents by the ``value``-th of the next month (ЖК РФ ст. 155 ч. 2 п. 1)."""

    kind = models.CharField("вид", max_length=20, choices=PenaltyRuleKind.choices)
    first_day = models.DateField("действует с")
    last_day = models.DateField("действует по", null=True, blank=True)
    value = models.DecimalField(
        "значение", max_digits=5, decimal_places=2, null=True, blank=True,
        help_text="Ставка, % (предельная ставка) или число месяца (срок оплаты, срок документа).",
    )  # fmt: skip
    arisen_before = models.DateField(
        "для долгов, возникших до", null=True, blank=True, help_text="Для моратория."
    )
    source = models.CharField("основание (акт, дата, номер, пункт)", max_length=500)

    class Meta:
        verbose_name = "правило начисления пеней"
        verbose_name_plural = "правила начисления пеней"
        ordering = ["kind", "first_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__isnull=True) | Q(last_day__gte=F("first_day")),
                name="penalty_rule_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} с {self.first_day:%d.%m.%Y}"


class PenaltyScale(DatedRow):
    """ЖК РФ ст. 155 ч. 14 in one edition, for the penalty days from ``valid_from`` to
    ``valid_to``: nothing for the first ``free_days`` days of delay, then 1/``fraction`` of the
    rate a day, and from day ``step_day`` of delay 1/``step_fraction``. Federal law: the rows
    are shipped (billing/shipped_law.py ``SCALES``, each with its act), not entered by staff;
    the next edition is a new row there."""

    free_days = models.PositiveSmallIntegerField("дней просрочки без пени")
    fraction = models.PositiveSmallIntegerField(
        "доля ставки в день, 1/N", validators=[MinValueValidator(1)]
    )
    step_day = models.PositiveSmallIntegerField(
        "с какого дня просрочки другая доля", null=True, blank=True
    )
    step_fraction = models.PositiveSmallIntegerField(
        "доля ставки с этого дня, 1/N", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    source = models.CharField("основание (акт, дата, номер, пункт)", max_length=500)

    class Meta(DatedRow.Meta):
        verbose_name = "шкала пени (ЖК РФ ст. 155 ч. 14)"
        verbose_name_plural = "шкалы пени (ЖК РФ ст. 155 ч. 14)"
        ordering = ["valid_from"]
        constraints = [
            *DatedRow.Meta.constraints,
            models.UniqueConstraint(fields=["valid_from"], name="penalty_scale_from_unique"),
            models.CheckConstraint(condition=Q(fraction__gte=1), name="penalty_scale_fraction"),
            models.CheckConstraint(
                condition=Q(step_day__isnull=True, step_fraction__isnull=True)
                | Q(step_day__gt=F("free_days"), step_fraction__gte=1),
                name="penalty_scale_step_complete",
            ),
        ]

    def __str__(self):
        return f"ЖК РФ ст. 155 ч. 14 с {self.valid_from:%d.%m.%Y}"
