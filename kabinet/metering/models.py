from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kabinet.housing.models import House, PersonalAccount, Premise
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class Resource(models.TextChoices):
    COLD_WATER = "cold_water", "холодная вода"
    HOT_WATER = "hot_water", "горячая вода"
    ELECTRICITY = "electricity", "электроэнергия"
    HEAT = "heat", "тепловая энергия"
    GAS = "gas", "газ"


RESOURCE_UNITS = {
    Resource.COLD_WATER: "м³",
    Resource.HOT_WATER: "м³",
    Resource.ELECTRICITY: "кВт·ч",
    Resource.HEAT: "Гкал",
    Resource.GAS: "м³",
}


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

    @property
    def unit(self) -> str:
        return RESOURCE_UNITS[self.resource]


class MeterImpossible(models.Model):
    """Staff's record that a meter of ``resource`` cannot be installed in a premise (the act of
    inspection, Приказ Минрегиона России от 29.12.2011 № 627): the normative is charged
    without the increasing coefficient (Правила № 354 п. 42)."""

    premise = models.ForeignKey(
        Premise, on_delete=models.CASCADE, related_name="meter_impossible",
        verbose_name="помещение",
    )  # fmt: skip
    resource = models.CharField("ресурс", max_length=20, choices=Resource.choices)
    established_on = models.DateField("дата акта обследования")
    basis = models.CharField("основание", max_length=255, blank=True)

    objects = OrganizationScopedQuerySet.through("premise__house__organization").as_manager()

    class Meta:
        verbose_name = "отсутствие технической возможности установить прибор учёта"
        verbose_name_plural = "отсутствие технической возможности установить прибор учёта"
        ordering = ["premise", "resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["premise", "resource"], name="meter_impossible_once_per_resource"
            )
        ]

    def __str__(self):
        return f"{self.premise}: {self.get_resource_display()} — установка невозможна"


class ReadingSource(models.TextChoices):
    RESIDENT = "resident", "житель"
    STAFF = "staff", "сотрудник"
    IMPORT = "import", "импорт"
    AVERAGE = "average", "по среднему"
    NORMATIVE = "normative", "по нормативу"


READING_FIELD = {"max_digits": 14, "decimal_places": 3}  # a reading's column, for its parser

# Readings taken from the meter itself; the others are the billing's estimates for a month
# without one (never a floor for a new reading, and replaced by a reading for their month).
ACTUAL_SOURCES = (ReadingSource.RESIDENT, ReadingSource.STAFF, ReadingSource.IMPORT)
ESTIMATED_SOURCES = (ReadingSource.AVERAGE, ReadingSource.NORMATIVE)


class ReadingQuerySet(
    OrganizationScopedQuerySet.through("meter__account__organization", "meter__house__organization")
):
    def actual(self):
        return self.filter(source__in=ACTUAL_SOURCES)


class Reading(models.Model):
    """A meter reading for a month (one per meter and month; a correction replaces it)."""

    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="readings", verbose_name="прибор учёта"
    )
    value = models.DecimalField("показание", **READING_FIELD, validators=[MinValueValidator(0)])
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

    objects = ReadingQuerySet.as_manager()

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

    @property
    def is_estimate(self) -> bool:
        return self.source in ESTIMATED_SOURCES


class ReadingReminder(models.Model):
    """A reminder e-mail sent to a user for one organisation's reading window of a month:
    the record that makes the daily reminder run send it once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="пользователь",
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name="организация"
    )
    month = models.DateField("месяц", help_text="Первое число месяца.")
    sent_at = models.DateTimeField("отправлено", auto_now_add=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "напоминание о показаниях"
        verbose_name_plural = "напоминания о показаниях"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "month"], name="reading_reminder_once_a_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="reading_reminder_month_first"),
        ]

    def __str__(self):
        return f"{self.user}: {self.organization}, {self.month:%m.%Y}"
