"""Form fields shared by the resident's, the staff's and the admin's forms: numbers and months
read by one parser each, so that every form refuses what its column cannot hold."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone

from kabinet.formats import format_for_input
from kabinet.money import MONEY_FIELD, TooLarge, parse_amount
from kabinet.months import EARLIEST, LATEST, first_of_month, parse_month


class AmountField(forms.CharField):
    """A number as people type it (``123,45``, ``1 234,56``) that fits a column of
    ``max_digits`` and ``decimal_places`` (money by default); ``signed`` allows a minus,
    ``positive`` refuses zero."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {
        "invalid": "Введите число, например 123,45.",
        "not_positive": "Сумма должна быть больше нуля.",
    }

    def __init__(self, *, max_digits=MONEY_FIELD["max_digits"],
                 decimal_places=MONEY_FIELD["decimal_places"], signed=False, positive=False,
                 **kwargs):  # fmt: skip
        self.max_digits, self.decimal_places = max_digits, decimal_places
        self.signed, self.positive = signed, positive
        super().__init__(**kwargs)

    def prepare_value(self, value):
        """An initial ``Decimal`` is shown as people type it (``6889,37``)."""
        if isinstance(value, Decimal):
            return format_for_input(value, self.decimal_places)
        return super().prepare_value(value)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            amount = parse_amount(
                value,
                max_digits=self.max_digits,
                decimal_places=self.decimal_places,
                signed=self.signed,
            )
        except TooLarge as error:
            raise forms.ValidationError(f"{error}.", code="too_large") from None
        except ValueError as error:
            raise forms.ValidationError(
                f"{error}. {self.error_messages['invalid']}", code="invalid"
            ) from None
        if self.positive and amount <= 0:
            raise forms.ValidationError(self.error_messages["not_positive"], code="not_positive")
        return amount


class ColumnDecimalField(forms.DecimalField):
    """The admin's form field of a ``DecimalField``: read by ``parse_amount`` (ASCII digits,
    a comma or a point, no more than the column holds); the model's validators say the rest."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_amount(
                str(value),
                max_digits=self.max_digits,
                decimal_places=self.decimal_places,
                signed=True,
            )
        except ValueError as error:
            raise forms.ValidationError(f"{error}.", code="invalid") from None


class MonthField(forms.DateField):
    """A whole month, as ``<input type="month">`` sends it (``2026-11``) or typed as
    ``11.2026``, within the portal's years."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return first_of_month(value)
        try:
            return parse_month(str(value))
        except ValueError:
            raise forms.ValidationError(
                f"Укажите месяц с {EARLIEST.year} по {LATEST.year} год, например 11.2026.",
                code="invalid",
            ) from None


class DayField(forms.DateField):
    """A day, as ``<input type="date">`` sends it (``2026-11-30``) or typed as ``30.11.2026``,
    within the portal's years. A whole month (``2026-11``, as links from the month pages carry
    it) means its first day, or its last with ``month_end=True``."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, *, month_end: bool = False, **kwargs):
        self.month_end = month_end
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                day = datetime.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
            if EARLIEST <= day <= LATEST.replace(day=31) and text.isascii():
                return day
            break
        else:
            try:
                month = parse_month(text)
            except ValueError:
                month = None
            if month is not None:
                if not self.month_end:
                    return month
                next_month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
                return next_month - datetime.timedelta(days=1)
        raise forms.ValidationError(
            f"Укажите дату с {EARLIEST.year} по {LATEST.year} год, например 30.11.2026.",
            code="invalid",
        )


def expiry_date_field() -> forms.DateField:
    """«Действует по» of a key or a token (``ExpiryMixin``): a day, or none for no end."""
    return forms.DateField(
        label="Действует по",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Включительно. Пусто — бессрочно (пока не отзовёте).",
    )


class ExpiryMixin:
    """The checks of a form's ``expires_on`` (``expiry_date_field``): not a day past, and the
    moment it ends — the end of the chosen day, local time."""

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on is not None and expires_on < timezone.localdate():
            raise forms.ValidationError("Дата уже прошла.")
        return expires_on

    def expires_at(self) -> datetime.datetime | None:
        expires_on = self.cleaned_data["expires_on"]
        if expires_on is None:
            return None
        next_day = expires_on + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time()))
