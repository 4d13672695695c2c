import datetime

from django import forms

from kabinet.fields import AmountField, DayField, MonthField
from kabinet.formats import format_rubles, month_name
from kabinet.months import add_months, first_of_month
from kabinet.payments.models import OnlinePaymentMethod

QUICK_CHOICES = {1: "Этот месяц", 3: "3 месяца", 6: "6 месяцев", 12: "12 месяцев"}
DEFAULT_MONTHS = 12
MAX_MONTHS = 120
# The fields a period's error is about, by its code: the page shows it above the form, the API
# names these fields (``api.problems.form_problem``).
PERIOD_ERROR_FIELDS = {
    "future": ("last",),
    "reversed": ("first", "last"),
    "too_long": ("first", "last"),
}


class LedgerPeriodForm(forms.Form):
    """«Период отображения»: whole months, or a quick choice of the last 1, 3, 6 or 12."""

    error_fields = PERIOD_ERROR_FIELDS

    first = MonthField(label="С месяца", required=False)
    last = MonthField(label="По месяц", required=False)
    months = forms.TypedChoiceField(
        choices=list(QUICK_CHOICES.items()), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = first_of_month(today)

    def clean(self):
        data = super().clean()
        first, last, months = data.get("first"), data.get("last"), data.get("months")
        if months or not (first or last):
            months = months or DEFAULT_MONTHS
            first, last = add_months(self.current, 1 - months), self.current
        first, last = first or last, last or self.current
        if last > self.current:
            raise forms.ValidationError("Период не может заканчиваться в будущем.", code="future")
        if first > last:
            raise forms.ValidationError("Начало периода позже его конца.", code="reversed")
        if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            raise forms.ValidationError("Выберите период не длиннее 10 лет.", code="too_long")
        data.update(first=first, last=last, months=months)
        return data

    def period(self) -> tuple[datetime.date, datetime.date, int | None]:
        """The chosen months; the default period when the choice is not valid."""
        if self.is_valid():
            return (
                self.cleaned_data["first"],
                self.cleaned_data["last"],
                self.cleaned_data["months"],
            )
        return add_months(self.current, 1 - DEFAULT_MONTHS), self.current, DEFAULT_MONTHS


class StatementRangeForm(forms.Form):
    """The reconciliation statement's range: any first and last day (not in the future, at most
    ten years), or a quick choice of the last 1, 3, 6 or 12 months (from the first day of the
    earliest to today). The default is the last 12 months."""

    error_fields = PERIOD_ERROR_FIELDS

    first = DayField(label="С даты", required=False)
    last = DayField(label="По дату", required=False, month_end=True)
    months = forms.TypedChoiceField(
        choices=list(QUICK_CHOICES.items()), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def last_months(self, months: int) -> tuple[datetime.date, datetime.date]:
        return add_months(first_of_month(self.today), 1 - months), self.today

    def clean(self):
        data = super().clean()
        first, last, months = data.get("first"), data.get("last"), data.get("months")
        if months or not (first or last):
            months = months or DEFAULT_MONTHS
            first, last = self.last_months(months)
        last = last or self.today
        if first_of_month(last) == first_of_month(self.today):
            last = min(last, self.today)  # this month (or its end, from a month's link): so far
        first = first or first_of_month(last)
        if last > self.today:
            raise forms.ValidationError("Период не может заканчиваться в будущем.", code="future")
        if first > last:
            raise forms.ValidationError("Начало периода позже его конца.", code="reversed")
        if add_months(first_of_month(first), MAX_MONTHS) <= first_of_month(last):
            raise forms.ValidationError("Выберите период не длиннее 10 лет.", code="too_long")
        data.update(first=first, last=last, months=months)
        return data

    def period(self) -> tuple[datetime.date, datetime.date, int | None]:
        """The chosen days; the default period when the choice is not valid."""
        if self.is_valid():
            data = self.cleaned_data
            return data["first"], data["last"], data["months"]
        return *self.last_months(DEFAULT_MONTHS), DEFAULT_MONTHS


class OnlinePaymentForm(forms.Form):
    """The amount, and optionally the unpaid billed month it pays (ГК РФ ст. 319.1 п. 1: the
    payment settles the month named; without one, the oldest debt)."""

    amount = AmountField(label="Сумма к оплате, ₽", positive=True)
    period = forms.ChoiceField(
        label="За какой месяц",
        required=False,
        help_text="Платёж сначала погасит долг за выбранный месяц, остаток — самый ранний долг.",
    )

    method = forms.ChoiceField(
        label="Способ оплаты",
        required=False,  # not sent: chosen on the gateway's page
        choices=OnlinePaymentMethod.choices,
        initial=OnlinePaymentMethod.BANK_CARD,
        widget=forms.RadioSelect,
        help_text="СБП — перевод из приложения вашего банка по QR-коду или ссылке.",
    )

    def __init__(self, *args, limit, unpaid_months=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.fields[
            "amount"
        ].help_text = f"Любая сумма больше нуля, но не больше {format_rubles(limit)}."
        self.months = {f"{month:%Y-%m}": month for month, _ in unpaid_months}
        if self.months:
            self.fields["period"].choices = [
                ("", "Не указывать — в счёт самого раннего долга"),
                *((f"{month:%Y-%m}", f"{month_name(month).capitalize()} — долг "
                   f"{format_rubles(owed)}") for month, owed in unpaid_months),
            ]  # fmt: skip
        else:
            del self.fields["period"]

    def clean_period(self) -> datetime.date | None:
        return self.months.get(self.cleaned_data.get("period") or "")

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount > self.limit:
            raise forms.ValidationError(
                f"Онлайн можно оплатить не больше {format_rubles(self.limit)} за раз."
            )
        return amount
