"""Forms of the staff's billing pages."""

import re
from decimal import Decimal

from django import forms
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator

from kabinet.billing.common_correction import common_services
from kabinet.billing.models import (
    PENALTY_METHODS,
    Period,
    PeriodStatus,
    RecalculationKind,
    Service,
)
from kabinet.fields import AmountField
from kabinet.formats import month_name
from kabinet.housing.models import House, PersonalAccount

MAX_IMPORT_SIZE = 100 * 1024 * 1024  # 900 000 lines (100 000 accounts) of CSV are about 45 MB


class OrganizationForm(forms.Form):
    """Which of the staff user's organisations the page shows (asked only if several)."""

    organization = forms.ModelChoiceField(None, label="Организация", empty_label=None)

    def __init__(self, organizations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations.order_by("name")

    def chosen(self):
        """The organisation asked for, else the first one (``None`` if there are none)."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["organization"]
        return self.fields["organization"].queryset.first()

    @property
    def is_choice(self) -> bool:
        return len(self.fields["organization"].queryset) > 1


class ClosePeriodForm(forms.Form):
    confirm = forms.BooleanField(
        label="Начисления проверены: закрыть период",
        error_messages={
            "required": "Отметьте, что начисления проверены: закрытый период уже не меняется."
        },
    )


class ReissueDocumentForm(forms.Form):
    """A corrected payment document of one closed month: the reason is kept with it and in
    the audit log; the document issued before stays."""

    period = forms.ModelChoiceField(None, label="Месяц", empty_label=None)
    reason = forms.CharField(
        label="Что исправлено",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Попадёт в журнал действий и в список документов.",
    )
    confirm = forms.BooleanField(
        label="Выпустить исправленный документ: жители будут получать его вместо прежнего",
        error_messages={"required": "Отметьте, что выпускаете исправленный документ."},
    )

    def __init__(self, periods, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods
        self.fields["period"].label_from_instance = lambda period: month_name(period.month)


class ChargesImportForm(forms.Form):
    file = forms.FileField(
        label="Файл CSV или XLSX",
        validators=[FileExtensionValidator(["csv", "txt", "xlsx"])],
        help_text="Столбцы: «ЛС», «Услуга» (как она названа в списке услуг), «Тариф», «Объём», "
        "«Начислено» и, если есть, «Перерасчёт». Дробная часть — после запятой или точки.",
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_IMPORT_SIZE:
            raise forms.ValidationError("Файл больше 100 МБ: такой не загрузить.")
        return file


class RecalculationForm(forms.Form):
    """A recalculation of a closed month; which figure it needs depends on its kind."""

    account = forms.CharField(label="Номер ЛС", max_length=30)
    service = forms.ModelChoiceField(Service.objects.none(), label="Услуга")
    corrected_period = forms.ModelChoiceField(Period.objects.none(), label="Исправляемый месяц")
    # The heating correction is computed for a whole house on its own page.
    kind = forms.ChoiceField(
        label="Вид перерасчёта",
        choices=[c for c in RecalculationKind.choices if c[0] != RecalculationKind.HEATING],
    )
    days = forms.IntegerField(
        label="Дней отсутствия",
        required=False,
        min_value=1,
        max_value=31,
        help_text="Для временного отсутствия: пересчитывается начисленное по нормативу.",
    )
    percent = AmountField(
        label="Снижение платы, %",
        required=False,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
        help_text="Для услуги ненадлежащего качества: доля платы за месяц.",
    )
    amount = AmountField(
        label="Сумма, ₽",
        required=False,
        signed=True,
        help_text="Для вида «другое»: минус — уменьшение платы.",
    )
    overcharge = AmountField(
        label="Необоснованное увеличение платы, ₽",
        required=False,
        positive=True,
        help_text="Для штрафа исполнителя: на сколько плата за месяц была завышена; штраф — "
        "50 % этой суммы, уменьшает плату (ЖК РФ ст. 157 ч. 6).",
    )
    reason = forms.CharField(
        label="Основание",
        max_length=255,
        help_text="Например: акт от 12.11.2026 № 15 о перерыве в подаче горячей воды.",
    )

    NEEDS = {
        RecalculationKind.ABSENCE: "days",
        RecalculationKind.QUALITY: "percent",
        RecalculationKind.FINE: "overcharge",
        RecalculationKind.OTHER: "amount",
    }

    def __init__(self, organization, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["service"].queryset = Service.objects.filter(organization=organization).exclude(
            method__in=PENALTY_METHODS
        )
        self.fields["corrected_period"].queryset = Period.objects.filter(
            organization=organization, status=PeriodStatus.CLOSED
        ).order_by("-month")

    def clean_account(self):
        number = re.sub(r"\s+", "", self.cleaned_data["account"])
        account = PersonalAccount.objects.filter(
            organization=self.organization, number=number
        ).first()
        if account is None:
            raise forms.ValidationError(f"Лицевой счёт № {number} не найден.")
        return account

    def clean(self):
        data = super().clean()
        needed = self.NEEDS.get(data.get("kind"))
        if needed and data.get(needed) is None and needed not in self.errors:
            self.add_error(needed, "Для этого вида перерасчёта заполните это поле.")
        return data

    def arguments(self) -> dict:
        """The arguments of ``recalculations.recalculation_amounts`` (and ``add_recalculation``)."""
        data = self.cleaned_data
        params = {}
        if needed := self.NEEDS.get(data["kind"]):
            params[needed] = data[needed]
        return {
            "account": data["account"],
            "service": data["service"],
            "corrected": data["corrected_period"],
            "kind": data["kind"],
            **params,
        }


class HeatingCorrectionForm(forms.Form):
    """The house and the year of a heating correction (Правила № 354 п. 42(1))."""

    house = forms.ModelChoiceField(House.objects.none(), label="Дом", empty_label="— дом —")
    year = forms.IntegerField(label="Год", min_value=2012, max_value=2100)

    def __init__(self, organization, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["house"].queryset = House.objects.filter(organization=organization)


class CommonCorrectionForm(HeatingCorrectionForm):
    """The house, the resource (its service) and the year of an ОДН correction (Правила № 491
    п. 29(3), Постановление № 92)."""

    service = forms.ModelChoiceField(
        Service.objects.none(), label="Коммунальный ресурс", empty_label="— услуга —"
    )

    field_order = ["house", "service", "year"]

    def __init__(self, organization, *args, **kwargs):
        super().__init__(organization, *args, **kwargs)
        self.fields["service"].queryset = common_services(organization)
