"""Billing periods and their rows: a closed period and everything in it never changes."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from kabinet.billing.models.services import TARIFF_FIELD, VOLUME_FIELD, Service
from kabinet.formats import month_name
from kabinet.housing.models import PersonalAccount
from kabinet.money import MONEY_FIELD
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class TextJSONField(models.JSONField):
    """A ``JSONField`` kept by PostgreSQL as ``json``, its text as written, not ``jsonb``.

    ``jsonb`` parses every value into a binary form as it is stored, for the operators and
    indexes that query inside it. A billing run writes two such columns on each of a month's
    lines (7 200 000 at 1 000 000 accounts) and nothing queries inside them: they are read
    whole, for «Как рассчитано» and the payment document. Stored as ``json`` they are only
    checked, and a part's COPY costs the server a third less (bench/README.md «3.12.2026
    (evening)»). ``json`` has no equality: no DISTINCT, GROUP BY or UNION over whole rows."""

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        # psycopg parses ``json`` itself (Django has it hand over only ``jsonb`` as text)
        if connection.vendor == "postgresql":
            return value
        return super().from_db_value(value, expression, connection)


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

    # A billing run writes hundreds of thousands of lines at once, so each costs what the database
    # does per row. One index besides the primary key: the unique (account, service, period), which
    # serves the lookups by account (on PostgreSQL a period is a partition; on SQLite billing 0031
    # adds (period, account)) and which a run builds for a period's lines in a few seconds
    # (billing 0031 says why the account leads). The service's own index (Django's default for a
    # foreign key, until billing 0029) cost 7 % of the run's write and served only a service's
    # deletion and the admin's filter by service, rare staff actions that now scan the lines
    # (bench/README.md «what each index of a line costs»). No database constraint on the period
    # and the service, which every line of a run repeats: PostgreSQL would check the same ten rows
    # again for every line (7 of 32 s at 100 000 accounts); the run reads both in its own
    # transaction with the period locked, and PROTECT keeps them from being deleted. The
    # account's constraint stays: staff add and delete accounts while a run computes, and a run
    # cannot lock a whole organisation's accounts for its minutes (its check is ~¼ of the run's
    # write at 100 000 accounts: bench/README.md «the workers' memory, and what the write
    # costs»).
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
        db_index=False,
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
    tariff_spans = TextJSONField(
        "по тарифам",
        null=True,
        blank=True,
        help_text="Тариф изменился в течение месяца: части по каждому утверждённому тарифу "
        "(тариф, с, по, дней, объём, сумма); «тариф» строки — действующий в конце.",
    )
    recalculation = models.DecimalField("перерасчёт", default=0, **MONEY_FIELD)
    total = models.DecimalField("итого начислено", **MONEY_FIELD)
    # The figures the run found the volume from, for «Как рассчитано» (billing.explanation,
    # which documents the keys): areas, persons and the normative, the days of a partial
    # month, each meter's two readings or the months averaged. A house's common-house figures
    # are ``HouseFigures``, once per house. Empty on lines from before it was stored, from
    # imports and from the benchmarks' writers.
    inputs = TextJSONField("исходные данные расчёта", null=True, blank=True)

    objects = ChargeQuerySet.as_manager()

    class Meta:
        verbose_name = "начисление"
        verbose_name_plural = "начисления"
        ordering = ["period", "account", "service__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "service", "period"], name="charge_line_unique"
            ),
        ]

    def __str__(self):
        return f"{self.account}, {self.service}, {self.period}: {self.total}"

    def save(self, *args, **kwargs):
        # Not a CHECK constraint: SQLite compares decimals as floats and would refuse exact sums.
        self.total = self.charged + self.recalculation
        super().save(*args, **kwargs)
