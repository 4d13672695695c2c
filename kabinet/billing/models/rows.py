"""The period rows beside the charges: recalculations, penalties, balances, instalment plans."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kabinet.billing.models.periods import Period, PeriodRow, PeriodRowQuerySet
from kabinet.billing.models.services import (
    CAPITAL_REPAIR_METHODS,
    INSTALMENT_METHODS,
    PENALTY_METHODS,
    VOLUME_FIELD,
    CalculationMethod,
    Service,
)
from kabinet.housing.models import PersonalAccount
from kabinet.money import MONEY_FIELD


class RecalculationKind(models.TextChoices):
    READING = "reading", "исправлены показания"
    ABSENCE = "absence", "временное отсутствие"
    QUALITY = "quality", "услуга ненадлежащего качества"
    # ЖК РФ ст. 157 ч. 6, Правила № 354 п. 155(1): 50 % of an overcharge, paid to the
    # resident by reducing the payment (``recalculations.EXECUTOR_FINE_SHARE``)
    FINE = "fine", "штраф исполнителя за необоснованное увеличение платы"
    HEATING = "heating", "корректировка платы за отопление"
    # Правила № 491 п. 29(3) «а» (Постановление № 92 of 03.02.2022): the year's ОДН by the
    # house meter (``billing.common_correction``)
    COMMON = "common", "корректировка платы за КР на СОИ (ОДН)"
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
    # A reading correction: the recomputed line's ``Charge.inputs`` (billing.explanation).
    inputs = models.JSONField("исходные данные расчёта", null=True, blank=True)
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


class PenaltyBasis(models.TextChoices):
    KEY_RATE = "key_rate", "ключевая ставка (ЖК РФ ст. 155 ч. 14)"
    RATE_CAP = "rate_cap", "ставка не выше предельной (ПП РФ № 474, № 329)"
    MORATORIUM = "moratorium", "мораторий: пени не начисляются (ПП РФ № 424, № 497)"


class Penalty(PeriodRow):
    """One line of a penalty calculation: the days of a period on which one month's unpaid
    debt, the rate and its fraction stayed the same (the resident sees these day by day)."""

    # Written only by the billing run, with its period locked (``bulk.insert_period_rows``,
    # ``parts.write_run``): no database constraint on the period, which every line of a run
    # repeats — as on ``Charge``. Its check was half of the 2.3 s the run's commit spent on the
    # penalty lines' keys at 1 000 000 accounts (100 000 lines; bench/README.md «3.12.2026
    # (afternoon)»). Deleting a period still deletes its lines (Django's CASCADE).
    period = models.ForeignKey(
        Period,
        on_delete=models.CASCADE,
        related_name="penalties",
        verbose_name="период",
        db_constraint=False,
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
    # Closed periods never change, so this sum holds for good: the next closing starts the
    # account's opening balance from it instead of adding up every earlier month's lines
    # (billing/balances.py). Empty in the rows stored before it was kept.
    charged_to_date = models.DecimalField(
        "начислено нарастающим итогом",
        **MONEY_FIELD,
        null=True,
        blank=True,
        help_text="Все начисления закрытых периодов по этот включительно.",
    )

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
