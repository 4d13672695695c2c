"""The form of the staff page «Расчёт пени»: the day the calculation runs to."""

from django import forms
from django.utils import timezone


class PenaltyDateForm(forms.Form):
    to = forms.DateField(
        label="Рассчитать на дату",
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Введите дату в виде ДД.ММ.ГГГГ."},
    )

    def __init__(self, data=None):
        super().__init__(data, initial={"to": timezone.localdate()})

    def clean_to(self):
        to = self.cleaned_data["to"]
        if to > timezone.localdate():
            raise forms.ValidationError("Дата расчёта не может быть позже сегодняшней.")
        return to

    def day(self):
        """The chosen day (today when nothing is asked); None when the form has errors."""
        if not self.is_bound:
            return timezone.localdate()
        return self.cleaned_data["to"] if self.is_valid() else None
