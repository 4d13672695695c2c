from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from kabinet.formats import cut_at_word, month_name
from kabinet.housing.models import House, OwnershipType, PersonalAccount
from kabinet.metering.models import Resource
from kabinet.money import MONEY_FIELD
from kabinet.orgs import validators
from kabinet.orgs.models import BANK_NAME_LIMIT, Organization
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


class Tariff(models.Model):
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
    valid_from = models.DateField("действует с")
    valid_to = models.DateField("действует по", null=True, blank=True)

    objects = OrganizationScopedQuerySet.through("service__organization").as_manager()

    class Meta:
        verbose_name = "тариф"
        verbose_name_plural = "тарифы"
        ordering = ["service", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="tariff_value_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="tariff_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.service}: {self.value} с {self.valid_from:%d.%m.%Y}"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "Окончание действия раньше его начала."})
        if (
            self.house_id
            and self.service_id
            and self.house.organization_id != self.service.organization_id
        ):
            raise ValidationError({"house": "Дом другой организации."})


class CapitalRepairFundKind(models.TextChoices):
    """ЖК РФ ст. 170 ч. 3: the two ways a house forms its capital repair fund."""

    SPECIAL_ACCOUNT = "special_account", "специальный счёт"
    REGIONAL_OPERATOR = "regional_operator", "счёт регионального оператора"


class CapitalRepairFund(models.Model):
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
    inn = models.CharField("ИНН", max_length=12, validators=[validators.validate_inn])
    kpp = models.CharField("КПП", max_length=9, blank=True, validators=[validators.validate_kpp])
    bank_name = models.CharField("банк", max_length=255)
    bank_short_name = models.CharField(
        "краткое наименование банка",
        max_length=BANK_NAME_LIMIT,
        blank=True,
        validators=[validators.validate_payment_text],
        help_text="Для QR-кода оплаты (ГОСТ Р 56042-2014): не длиннее 45 знаков. Пусто — "
        "полное наименование, сокращённое до 45 знаков по словам.",
    )
    bik = models.CharField("БИК", max_length=9, validators=[validators.validate_bik])
    correspondent_account = models.CharField(
        "корр. счёт", max_length=20, validators=[validators.validate_bank_account]
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

    @property
    def payment_bank_name(self) -> str:
        return self.bank_short_name or cut_at_word(self.bank_name, BANK_NAME_LIMIT)

    def clean(self):
        errors = {}
        if self.bik and len(self.bik) == 9 and self.bik.isdigit():
            for name, check in (
                ("settlement_account", validators.check_settlement_account),
                ("correspondent_account", validators.check_correspondent_account),
            ):
                value = getattr(self, name)
                if len(value) == 20 and value.isdigit():
                    try:
                        check(self.bik, value)
                    except ValidationError as error:
                        errors[name] = error.messages
        if errors:
            raise ValidationError(errors)


class HeatingMethod(models.TextChoices):
    """How a house's heating is measured (Правила № 354, приложение № 2)."""

    NORMATIVE = "normative", "по нормативу (формула 2)"
    HOUSE_METER = "house_meter", "по общедомовому прибору учёта (формулы 3, 3(1))"


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
    method = models.CharField("объём тепловой энергии", max_length=20,
                              choices=HeatingMethod.choices)  # fmt: skip
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


class CapitalRepairDueDay(models.Model):
    """A region's own due date for capital repair contributions paid to the regional operator
    (ЖК РФ ст. 171 ч. 1: «в сроки, установленные для внесения платы за жилое помещение и
    коммунальные услуги, если иное не установлено законом субъекта Российской Федерации»):
    the contributions of the billed months from ``first_month`` to ``last_month`` are due on
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
    first_month = models.DateField(
        "для месяцев начислений с", help_text="Первое число первого расчётного месяца."
    )
    last_month = models.DateField(
        "по", null=True, blank=True, help_text="Пусто — пока закон субъекта не изменится."
    )
    source = models.CharField("основание (закон субъекта РФ: дата, номер, статья)", max_length=500)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "срок уплаты взносов на капремонт по закону субъекта"
        verbose_name_plural = "сроки уплаты взносов на капремонт по закону субъекта"
        ordering = ["organization", "-first_month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_month__isnull=True) | Q(last_month__gte=F("first_month")),
                name="capital_repair_due_day_range",
            )
        ]

    def __str__(self):
        return f"до {self.day}-го числа, с {month_name(self.first_month)}"

    def clean(self):
        if self.first_month:
            self.first_month = self.first_month.replace(day=1)
        if self.last_month:
            self.last_month = self.last_month.replace(day=1)
        if self.first_month and self.last_month and self.last_month < self.first_month:
            raise ValidationError({"last_month": "Конец раньше начала."})


class PeriodStatus(models.TextChoices):
    OPEN = "open", "открыт"
    CLOSED = "closed", "закрыт"


class ClosedPeriodError(Exception):
    """Something asked to change a closed period or its figures; they never change once
    residents have seen them (corrections are recalculations, charged in the open period)."""


def refuse_closed(periods) -> None:
    """Raise ``ClosedPeriodError`` if any of ``periods`` (a queryset) is closed."""
    closed = periods.filter(status=PeriodStatus.CLOSED).order_by("month").first()
    if closed is not None:
        raise ClosedPeriodError(
            f"Период {month_name(closed.month)} закрыт: его данные не меняются. "
            "Исправления вносятся перерасчётом в открытом периоде."
        )


# What a closed period keeps (its timestamps may still be set, as the demo's history does).
FROZEN_PERIOD_FIELDS = {"organization", "organization_id", "month", "status"}


class PeriodQuerySet(OrganizationScopedQuerySet):
    def update(self, **kwargs):
        if FROZEN_PERIOD_FIELDS & kwargs.keys():
            refuse_closed(self)
        return super().update(**kwargs)

    def delete(self):
        refuse_closed(self)
        return super().delete()


class Period(models.Model):
    """A calendar month of one organisation's accounting; a closed period never changes."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="periods", verbose_name="организация"
    )
    month = models.DateField("месяц", help_text="Первое число месяца.")
    status = models.CharField(
        "состояние", max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
    calculated_at = models.DateTimeField(
        "рассчитан",
        null=True,
        blank=True,
        help_text="Когда начисления периода получены в "
        "последний раз: расчётом или загрузкой из файла.",
    )
    closed_at = models.DateTimeField("закрыт", null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = "расчётный период"
        verbose_name_plural = "расчётные периоды"
        ordering = ["organization", "-month"]
        get_latest_by = "month"
        constraints = [
            models.UniqueConstraint(fields=["organization", "month"], name="period_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="period_month_first_day"),
        ]

    def __str__(self):
        return month_name(self.month)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = Period.objects.filter(pk=self.pk)
            if self.status == PeriodStatus.CLOSED:  # closing, or a closed one kept as it is
                stored = stored.exclude(organization=self.organization_id, month=self.month)
            refuse_closed(stored)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        refuse_closed(Period.objects.filter(pk=self.pk))
        return super().delete(*args, **kwargs)

    @property
    def is_closed(self) -> bool:
        return self.status == PeriodStatus.CLOSED

    def clean(self):
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "Укажите первое число месяца."})


class ChargeBasis(models.TextChoices):
    READING = "reading", "по показаниям"
    AVERAGE = "average", "по среднему потреблению"
    NORMATIVE = "normative", "по нормативу"
    AREA = "area", "по площади"
    FIXED = "fixed", "фиксированная"
    IMPORT = "import", "загружено из файла"


class PeriodRowQuerySet(OrganizationScopedQuerySet.through("account__organization")):
    """Rows of periods, one query refusing to update or delete a closed period's rows.

    ``bulk_create`` is the loading path of history (tests, benchmarks), as ``loaddata`` is;
    the engine writes through ``billing.bulk.insert_period_rows``, which asserts the period is
    open."""

    def update(self, **kwargs):
        refuse_closed(Period.objects.filter(pk__in=self.values("period")))
        return super().update(**kwargs)

    def delete(self):
        refuse_closed(Period.objects.filter(pk__in=self.values("period")))
        return super().delete()


class PeriodRow(models.Model):
    """A row of one period (``period``): saved and deleted only while the period is open."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._refuse_closed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_closed()
        return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        closed = Period.objects.filter(pk=self.period_id, status=PeriodStatus.CLOSED)
        if self.period_id and closed.exists():
            raise ValidationError(
                {"period": "Период закрыт: исправления вносятся перерасчётом в открытом периоде."}
            )

    def _refuse_closed(self) -> None:
        """The period the row is in, and the one it is put in, must both be open."""
        periods = Q(pk=self.period_id)
        if self.pk is not None:
            periods |= Q(pk__in=type(self)._base_manager.filter(pk=self.pk).values("period"))
        refuse_closed(Period.objects.filter(periods))


class ChargeQuerySet(PeriodRowQuerySet):
    def published(self):
        """Lines of closed periods: what residents see. An open period's lines are a draft
        that the next billing run may replace."""
        return self.filter(period__status=PeriodStatus.CLOSED)


class Charge(PeriodRow):
    """One line of an account's charges for a period: account × service × period."""

    # A billing run writes hundreds of thousands of lines at once, so each costs what the
    # database does per row. No single-column indexes: (period, account, service) and
    # (account, period) serve those lookups. No database constraint on the period and the
    # service, which every line of a run repeats: PostgreSQL would check the same ten rows
    # again for every line (7 of 32 s at 100 000 accounts); the run reads both in its own
    # transaction with the period locked, and PROTECT keeps them from being deleted.
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="charges",
        verbose_name="период",
        db_index=False,
        db_constraint=False,
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="charges",
        verbose_name="лицевой счёт",
        db_index=False,
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="charges",
        verbose_name="услуга",
        db_constraint=False,
    )
    tariff = models.DecimalField("тариф", **TARIFF_FIELD)
    volume = models.DecimalField("объём", **VOLUME_FIELD, help_text="Индивидуальное потребление.")
    basis = models.CharField(
        "объём определён", max_length=10, choices=ChargeBasis.choices, blank=True
    )
    common_volume = models.DecimalField(
        "объём на общедомовые нужды", default=0, **VOLUME_FIELD, help_text="ОДН, доля помещения."
    )
    charged = models.DecimalField(
        "начислено", **MONEY_FIELD, help_text="Вместе с платой за общедомовые нужды."
    )
    common_charged = models.DecimalField(
        "начислено на общедомовые нужды",
        default=0,
        **MONEY_FIELD,
        help_text="Входит в «начислено».",
    )
    coefficient = models.DecimalField(
        "повышающий коэффициент",
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Правила № 354 п. 42: к нормативу, когда прибор учёта можно установить, но "
        "его нет (или он неисправен, не поверен).",
    )
    coefficient_charged = models.DecimalField(
        "начислено за счёт повышающего коэффициента",
        default=0,
        db_default=0,
        **MONEY_FIELD,
        help_text="Входит в «начислено»: превышение над платой без коэффициента.",
    )
    tariff_spans = models.JSONField(
        "по тарифам",
        null=True,
        blank=True,
        help_text="Тариф изменился в течение месяца: части по каждому утверждённому тарифу "
        "(тариф, с, по, дней, объём, сумма); «тариф» строки — действующий в конце.",
    )
    recalculation = models.DecimalField("перерасчёт", default=0, **MONEY_FIELD)
    total = models.DecimalField("итого начислено", **MONEY_FIELD)

    objects = ChargeQuerySet.as_manager()

    class Meta:
        verbose_name = "начисление"
        verbose_name_plural = "начисления"
        ordering = ["period", "account", "service__position"]
        indexes = [models.Index(fields=["account", "period"])]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "account", "service"], name="charge_line_unique"
            ),
        ]

    def __str__(self):
        return f"{self.account}, {self.service}, {self.period}: {self.total}"

    def save(self, *args, **kwargs):
        # Not a CHECK constraint: SQLite compares decimals as floats and would refuse exact sums.
        self.total = self.charged + self.recalculation
        super().save(*args, **kwargs)


class RecalculationKind(models.TextChoices):
    READING = "reading", "исправлены показания"
    ABSENCE = "absence", "временное отсутствие"
    QUALITY = "quality", "услуга ненадлежащего качества"
    # ЖК РФ ст. 157 ч. 6, Правила № 354 п. 155(1): 50 % of an overcharge, paid to the
    # resident by reducing the payment (``recalculations.EXECUTOR_FINE_SHARE``)
    FINE = "fine", "штраф исполнителя за необоснованное увеличение платы"
    HEATING = "heating", "корректировка платы за отопление"
    OTHER = "other", "другое"


class Recalculation(PeriodRow):
    """A correction of an earlier period: charged in ``period``, naming the period it corrects."""

    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="recalculations",
        verbose_name="начислен в периоде",
    )
    corrected_period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name="корректирует период"
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="recalculations",
        verbose_name="лицевой счёт",
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="recalculations", verbose_name="услуга"
    )
    amount = models.DecimalField("сумма", **MONEY_FIELD, help_text="Минус — уменьшение.")
    volume = models.DecimalField(
        "изменение объёма",
        **VOLUME_FIELD,
        null=True,
        blank=True,
        help_text="Для исправленных показаний: на сколько изменился объём месяца. Следующее "
        "показание снимает уже исправленный объём месяцев, начисленных по среднему.",
    )
    kind = models.CharField(
        "вид", max_length=20, choices=RecalculationKind.choices, default=RecalculationKind.OTHER
    )
    reason = models.CharField("основание", max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кто внёс",
    )
    created_at = models.DateTimeField("внесён", auto_now_add=True)

    objects = PeriodRowQuerySet.as_manager()

    class Meta:
        verbose_name = "перерасчёт"
        verbose_name_plural = "перерасчёты"
        ordering = ["-period__month", "account"]

    def __str__(self):
        return f"{self.account}, {self.service}: {self.amount} за {self.corrected_period}"

    def clean(self):
        super().clean()
        if self.period_id and self.corrected_period_id:
            if self.corrected_period.month > self.period.month:
                raise ValidationError(
                    {"corrected_period": "Перерасчёт не может исправлять будущий период."}
                )
            if self.corrected_period.organization_id != self.period.organization_id:
                raise ValidationError({"corrected_period": "Период другой организации."})


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


class IncreasingCoefficient(models.Model):
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
    valid_from = models.DateField("действует с")
    valid_to = models.DateField("действует по", null=True, blank=True)
    value = models.DecimalField(
        "коэффициент", max_digits=6, decimal_places=4, validators=[MinValueValidator(1)]
    )
    source = models.CharField("основание (акт, дата, номер, пункт)", max_length=500, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "повышающий коэффициент"
        verbose_name_plural = "повышающие коэффициенты"
        ordering = ["resource", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="coefficient_dates_ordered",
            ),
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


class CommonNeedsNormative(models.Model):
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
    valid_from = models.DateField("действует с")
    valid_to = models.DateField("действует по", null=True, blank=True)
    source = models.CharField(
        "основание (акт субъекта РФ, дата, номер)", max_length=500, blank=True
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "норматив на общедомовые нужды"
        verbose_name_plural = "нормативы на общедомовые нужды (КР на СОИ)"
        ordering = ["organization", "resource", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="common_normative_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="common_normative_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_resource_display()}: {self.value} с {self.valid_from:%d.%m.%Y}"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "Окончание действия раньше его начала."})
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


class PenaltyBasis(models.TextChoices):
    KEY_RATE = "key_rate", "ключевая ставка (ЖК РФ ст. 155 ч. 14)"
    RATE_CAP = "rate_cap", "ставка не выше предельной (ПП РФ № 474, № 329)"
    MORATORIUM = "moratorium", "мораторий: пени не начисляются (ПП РФ № 424, № 497)"


class Penalty(PeriodRow):
    """One line of a penalty calculation: the days of a period on which one month's unpaid
    debt, the rate and its fraction stayed the same (the resident sees these day by day)."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="penalties", verbose_name="период"
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="penalties",
        verbose_name="лицевой счёт",
    )
    debt_month = models.DateField("долг за месяц")
    due_date = models.DateField("срок оплаты")
    date_from = models.DateField("с")
    date_to = models.DateField("по")
    debt = models.DecimalField("долг", **MONEY_FIELD)
    rate = models.DecimalField("ставка, %", max_digits=5, decimal_places=2)
    fraction = models.PositiveSmallIntegerField("доля ставки, 1/…")
    rule = models.CharField(
        "правило", max_length=20, choices=PenaltyBasis.choices, default=PenaltyBasis.KEY_RATE
    )
    capital_repair = models.BooleanField(
        "на взносы на капремонт",
        default=False,
        help_text="Пени по ЖК РФ ст. 155 ч. 14.1 на долг по взносам на капитальный ремонт.",
    )
    amount = models.DecimalField("пени", **MONEY_FIELD)

    objects = PeriodRowQuerySet.as_manager()

    class Meta:
        verbose_name = "расчёт пеней"
        verbose_name_plural = "расчёт пеней"
        ordering = ["period", "account", "date_from", "debt_month"]
        indexes = [models.Index(fields=["account", "period"])]

    def __str__(self):
        return f"{self.account}: {self.amount} с {self.date_from:%d.%m.%Y}"

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def first_overdue_day(self) -> int:
        return (self.date_from - self.due_date).days


class AccountBalance(PeriodRow):
    """An account's figures for a closed period, stored when the period is closed."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="balances", verbose_name="период"
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="balances",
        verbose_name="лицевой счёт",
    )
    opening = models.DecimalField("на начало периода", **MONEY_FIELD)
    charged = models.DecimalField("начислено", **MONEY_FIELD)
    recalculation = models.DecimalField("перерасчёты", **MONEY_FIELD)
    penalties = models.DecimalField("пени", **MONEY_FIELD)
    paid = models.DecimalField("оплачено", **MONEY_FIELD)
    closing = models.DecimalField("на конец периода", **MONEY_FIELD)

    objects = PeriodRowQuerySet.as_manager()

    class Meta:
        verbose_name = "сальдо лицевого счёта"
        verbose_name_plural = "сальдо лицевых счетов"
        ordering = ["-period__month", "account"]
        constraints = [
            models.UniqueConstraint(fields=["period", "account"], name="balance_once_per_period")
        ]

    def __str__(self):
        return f"{self.account}, {self.period}: {self.closing}"


# What an instalment plan may spread: a utility's charge (Правила № 354 п. 72 speaks of
# «коммунальная услуга»), not maintenance by area, a penalty, a contribution or a plan's own line.
NOT_INSTALLABLE = (CalculationMethod.AREA, *PENALTY_METHODS, *CAPITAL_REPAIR_METHODS,
                   *INSTALMENT_METHODS)  # fmt: skip


class InstalmentPlan(PeriodRow):
    """An instalment plan (рассрочка, Правила № 354 п. 72): ``amount`` of the account's charge
    for ``service`` in ``period`` is paid in ``months`` equal shares from that month on, with
    interest at ``rate`` % a year on what is not yet due (``billing/instalments.py``).

    Granted in the month whose charge it spreads, while that month is open: the month's own
    payment document then shows the plan (section 5 of the form of Приказ № 43/пр), and the
    deferred part is never a debt. Once the month is closed the plan never changes, like the
    month's lines (the later months' lines are computed from it)."""

    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="instalment_plans",
        verbose_name="месяц начисления",
        help_text="Месяц, плата за который вносится в рассрочку; с него же начинаются платежи. "
        "Только открытый период.",
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        related_name="instalment_plans",
        verbose_name="лицевой счёт",
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="instalment_plans",
        verbose_name="коммунальная услуга",
    )
    amount = models.DecimalField(
        "сумма в рассрочку, ₽", **MONEY_FIELD, help_text="Не больше начисленного за месяц."
    )
    months = models.PositiveSmallIntegerField(
        "срок, месяцев",
        default=12,
        validators=[MinValueValidator(2), MaxValueValidator(12)],
        help_text="Правила № 354 п. 72: до 12 месяцев, включая месяц начисления.",
    )
    rate = models.DecimalField(
        "проценты, % годовых",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="Не выше ключевой ставки Банка России на день предоставления + 3 % "
        "(Правила № 354 п. 72).",
    )
    granted_on = models.DateField(
        "дата предоставления", help_text="Ключевая ставка этого дня ограничивает проценты."
    )
    consent_on = models.DateField("согласие потребителя получено")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кто внёс",
    )
    created_at = models.DateTimeField("внесена", auto_now_add=True)

    objects = PeriodRowQuerySet.as_manager()

    class Meta:
        verbose_name = "рассрочка платы"
        verbose_name_plural = "рассрочки платы"
        ordering = ["-period__month", "account"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(
                condition=Q(months__gte=2, months__lte=12), name="instalment_months_2_to_12"
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="instalment_rate_not_negative"),
            models.UniqueConstraint(
                fields=["period", "account", "service"], name="instalment_once_per_line"
            ),
        ]

    def __str__(self):
        return (
            f"{self.account}, {self.service} за {self.period}: {self.amount} на {self.months} мес."
        )

    def clean(self):
        super().clean()
        from kabinet.billing.instalments import plan_errors  # the rules live with the engine

        errors = plan_errors(self)
        if errors:
            raise ValidationError(errors)
