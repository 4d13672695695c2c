"""Services and their tariffs: what the run charges and how (``CalculationMethod``)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from kabinet.billing.models.dated import DatedRow
from kabinet.housing.models import House, OwnershipType
from kabinet.metering.models import Resource
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet

TARIFF_FIELD = {"max_digits": 14, "decimal_places": 4}
VOLUME_FIELD = {"max_digits": 16, "decimal_places": 6}


class CalculationMethod(models.TextChoices):
    AREA = "area", "по площади помещения"
    AREA_NORMATIVE = "area_normative", "по нормативу на площадь (м²)"
    METER = "meter", "по счётчику (без счётчика — по нормативу на человека)"
    NORMATIVE = "normative", "по нормативу на человека"
    WASTEWATER = "wastewater", "по объёму водопотребления (ХВС + ГВС)"
    FIXED = "fixed", "фиксированная сумма на лицевой счёт"
    CAPITAL_REPAIR = "capital_repair", "взнос на капитальный ремонт (по площади помещения)"
    PENALTY = "penalty", "пени"
    CAPITAL_REPAIR_PENALTY = (
        "capital_repair_penalty",
        "пени на взносы на капитальный ремонт (ЖК РФ ст. 155 ч. 14.1)",
    )
    INSTALMENT = "instalment", "рассрочка платы (Правила № 354 п. 72)"
    INSTALMENT_INTEREST = "instalment_interest", "проценты за рассрочку (Правила № 354 п. 72)"


# Lines the penalty engine charges (no tariff): the ч. 14 stream and the ч. 14.1 one.
PENALTY_METHODS = (CalculationMethod.PENALTY, CalculationMethod.CAPITAL_REPAIR_PENALTY)
# Lines the instalment plans charge (billing/instalments.py), not a method of their own.
INSTALMENT_METHODS = (CalculationMethod.INSTALMENT, CalculationMethod.INSTALMENT_INTEREST)
# Lines of the capital repair payee (its own section and QR code on the receipt).
CAPITAL_REPAIR_METHODS = (
    CalculationMethod.CAPITAL_REPAIR,
    CalculationMethod.CAPITAL_REPAIR_PENALTY,
)


class Service(models.Model):
    """A housing or utility service an organisation charges for (a row of the services table)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="services", verbose_name="организация"
    )
    name = models.CharField("услуга", max_length=255)
    unit = models.CharField("единица измерения", max_length=30, blank=True)
    method = models.CharField("способ расчёта", max_length=30, choices=CalculationMethod.choices)
    resource = models.CharField(
        "ресурс",
        max_length=20,
        choices=Resource.choices,
        blank=True,
        help_text="Для услуг по счётчику.",
    )
    supplier = models.CharField("поставщик", max_length=255, blank=True)
    normative = models.DecimalField(
        "норматив потребления",
        null=True,
        blank=True,
        **VOLUME_FIELD,
        help_text="В единицах услуги на человека в месяц (на м² — для расчёта по площади).",
    )
    ownership = models.CharField(
        "только для помещений",
        max_length=20,
        choices=OwnershipType.choices,
        blank=True,
        help_text="Например, плата за наём — только для муниципальных помещений. Пусто — для всех.",
    )
    position = models.PositiveSmallIntegerField("порядок в квитанции", default=0)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "услуга"
        verbose_name_plural = "услуги"
        ordering = ["organization", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="service_name_unique")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.method == CalculationMethod.METER and not self.resource:
            raise ValidationError({"resource": "Для расчёта по счётчику укажите ресурс."})
        needs_normative = {CalculationMethod.AREA_NORMATIVE, CalculationMethod.NORMATIVE}
        if self.method in needs_normative and self.normative is None:
            raise ValidationError({"normative": "Для расчёта по нормативу укажите норматив."})


class Tariff(DatedRow):
    """A service's price from ``valid_from`` to ``valid_to`` (inclusive; open-ended if empty),
    for one house or, with no house, for all houses of the organisation."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="tariffs", verbose_name="услуга"
    )
    house = models.ForeignKey(
        House,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tariffs",
        verbose_name="дом",
        help_text="Пусто — для всех домов организации.",
    )
    value = models.DecimalField("тариф, ₽ за единицу", **TARIFF_FIELD)

    objects = OrganizationScopedQuerySet.through("service__organization").as_manager()

    class Meta(DatedRow.Meta):
        verbose_name = "тариф"
        verbose_name_plural = "тарифы"
        ordering = ["service", "-valid_from"]
        constraints = [
            *DatedRow.Meta.constraints,
            models.CheckConstraint(condition=Q(value__gte=0), name="tariff_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.service}: {self.value} с {self.valid_from:%d.%m.%Y}"

    def clean(self):
        super().clean()
        if (
            self.house_id
            and self.service_id
            and self.house.organization_id != self.service.organization_id
        ):
            raise ValidationError({"house": "Дом другой организации."})
