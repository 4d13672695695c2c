"""What a billing run found for a whole house: the figures of its common-house share (ОДН),
stored once per house, month and resource so that «Как рассчитано» of each line can quote
them (``billing.explanation``) without a copy on every line."""

from django.db import models

from kabinet.billing.models.periods import Period, PeriodRow, PeriodRowQuerySet
from kabinet.billing.models.services import VOLUME_FIELD
from kabinet.housing.models import House


class HouseFiguresQuerySet(PeriodRowQuerySet):
    """A period's rows that belong to their organisation through the house, not an account."""

    organization_lookups = ("house__organization",)


class HouseFigures(PeriodRow):
    """A house's common-house volume of a resource for a period, as the run computed it
    (Правила № 354 п. 44; ``calculation.common_house_volume``): the house meter's volume (none:
    by the normative), the premises' volumes, the cap (normative × common-property area), what
    was shared among the premises by area and what exceeded the cap. Written with the period's
    lines; frozen with them when the period closes."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="house_figures", verbose_name="период"
    )
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="+", verbose_name="дом")
    resource = models.CharField("ресурс", max_length=20)
    house_volume = models.DecimalField(
        "по общедомовому прибору", **VOLUME_FIELD, null=True, blank=True,
        help_text="Пусто — показаний нет, ОДН по нормативу.",
    )  # fmt: skip
    individual = models.DecimalField("объём помещений", **VOLUME_FIELD)
    normative = models.DecimalField("норматив на ОДН, на м²", **VOLUME_FIELD, null=True, blank=True)
    common_area = models.DecimalField(
        "площадь общего имущества, м²", max_digits=12, decimal_places=2, null=True, blank=True
    )
    premises_area = models.DecimalField(
        "площадь всех помещений, м²", max_digits=12, decimal_places=2
    )
    distribute_excess = models.BooleanField("превышение распределяется", default=False)
    charged = models.DecimalField("распределено по помещениям", **VOLUME_FIELD)
    excess = models.DecimalField("сверх норматива (не предъявлено)", **VOLUME_FIELD, default=0)

    objects = HouseFiguresQuerySet.as_manager()

    class Meta:
        verbose_name = "показатели дома за период"
        verbose_name_plural = "показатели домов за период"
        constraints = [
            models.UniqueConstraint(
                fields=["period", "house", "resource"], name="house_figures_once_per_period"
            )
        ]

    def __str__(self):
        return f"{self.house}, {self.resource}, {self.period}"
