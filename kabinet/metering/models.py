from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kabinet.housing.models import House, PersonalAccount
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class Resource(models.TextChoices):
    COLD_WATER = "cold_water", "холодная вода"
    HOT_WATER = "hot_water", "горячая вода"
    ELECTRICITY = "electricity", "электроэнергия"
    HEAT = "heat", "тепловая энергия"
    GAS = "gas", "газ"


class Meter(models.Model):
    """A meter of one personal account (ИПУ) or of a whole house (ОДПУ)."""

    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meters",
        verbose_name="лицевой счёт",
    )
    house = models.ForeignKey(
        House,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="house_meters",
        verbose_name="дом (общедомовой прибор)",
    )
    resource = models.CharField("ресурс", max_length=20, choices=Resource.choices)
    serial_number = models.CharField("заводской номер", max_length=50)
    place = models.CharField("место установки", max_length=100, blank=True)
    digits = models.PositiveSmallIntegerField(
        "разрядность",
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(10)],
        help_text="Число знаков до запятой: после 99999 счётчик начинает с нуля.",
    )
    installed_on = models.DateField("дата установки", null=True, blank=True)
    verification_due = models.DateField("дата очередной поверки")
    is_active = models.BooleanField("действует", default=True)

    objects = OrganizationScopedQuerySet.through(
        "account__organization", "house__organization"
    ).as_manager()

    class Meta:
        verbose_name = "прибор учёта"
        verbose_name_plural = "приборы учёта"
        ordering = ["resource", "serial_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False, house__isnull=True)
                | Q(account__isnull=True, house__isnull=False),
                name="meter_of_account_or_house",
            )
        ]

    def __str__(self):
        return f"{self.get_resource_display()} № {self.serial_number}"


class ReadingSource(models.TextChoices):
    RESIDENT = "resident", "житель"
    STAFF = "staff", "сотрудник"
    IMPORT = "import", "импорт"
    AVERAGE = "average", "по среднему"
    NORMATIVE = "normative", "по нормативу"


class Reading(models.Model):
    """A meter reading for a month (one per meter and month; a correction replaces it)."""

    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="readings", verbose_name="прибор учёта"
    )
    value = models.DecimalField(
        "показание", max_digits=14, decimal_places=3, validators=[MinValueValidator(0)]
    )
    taken_on = models.DateField("дата")
    period = models.DateField("период", help_text="Первое число месяца, за который показание.")
    source = models.CharField("источник", max_length=20, choices=ReadingSource.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кто передал",
    )
    created_at = models.DateTimeField("принято", auto_now_add=True)

    objects = OrganizationScopedQuerySet.through(
        "meter__account__organization", "meter__house__organization"
    ).as_manager()

    class Meta:
        verbose_name = "показание"
        verbose_name_plural = "показания"
        ordering = ["meter", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "period"], name="reading_meter_period_unique"),
            models.CheckConstraint(condition=Q(period__day=1), name="reading_period_first_day"),
            models.CheckConstraint(condition=Q(value__gte=0), name="reading_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.meter}: {self.value} ({self.period:%m.%Y})"
