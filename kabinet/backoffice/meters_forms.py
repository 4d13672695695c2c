"""Forms of the staff's readings pages."""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.validators import FileExtensionValidator

from kabinet.fields import MonthField
from kabinet.housing.models import House
from kabinet.metering.forms import MeterReadingsForm
from kabinet.metering.models import Resource
from kabinet.months import first_of_month

MAX_IMPORT_SIZE = 20 * 1024 * 1024


@dataclass(frozen=True)
class ReadingsFilter:
    period: datetime.date
    house: House | None
    resource: str
    missing: bool


class ReadingsFilterForm(forms.Form):
    period = MonthField(label="Период", required=False)
    house = forms.ModelChoiceField(
        House.objects.none(), label="Дом", required=False, empty_label="все дома"
    )
    resource = forms.ChoiceField(
        label="Ресурс", choices=[("", "все ресурсы"), *Resource.choices], required=False
    )
    missing = forms.BooleanField(label="только без показаний", required=False)

    def __init__(self, organizations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["house"].queryset = House.objects.for_organizations(organizations)

    def filters(self, today: datetime.date) -> ReadingsFilter:
        """What to show: the valid choices (a wrong one is left out and shown as an error),
        the current month when none is chosen."""
        self.is_valid()
        data = self.cleaned_data
        return ReadingsFilter(
            period=data.get("period") or first_of_month(today),
            house=data.get("house"),
            resource=data.get("resource", ""),
            missing=data.get("missing", False),
        )


class StaffReadingsForm(MeterReadingsForm):
    """Readings staff enter for meters (a resident's by phone, a house meter's): for any month
    up to the current one, with the day they were taken."""

    period = MonthField(label="За месяц")
    taken_on = forms.DateField(
        label="Дата показания", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, meters, *args, today: datetime.date, **kwargs):
        kwargs.setdefault("initial", {"period": first_of_month(today), "taken_on": today})
        super().__init__(meters, *args, **kwargs)
        self.today = today

    def clean_period(self):
        period = self.cleaned_data["period"]
        if period > first_of_month(self.today):
            raise forms.ValidationError("Показания за будущий месяц не принимаются.")
        return period

    def clean_taken_on(self):
        taken_on = self.cleaned_data["taken_on"]
        if taken_on > self.today:
            raise forms.ValidationError("Эта дата ещё не наступила.")
        return taken_on


class ReadingsImportForm(forms.Form):
    organization = forms.ModelChoiceField(None, label="Организация", empty_label=None)
    file = forms.FileField(
        label="Файл CSV или XLSX",
        validators=[FileExtensionValidator(["csv", "txt", "xlsx"])],
        help_text="Столбцы: «ЛС», «Заводской номер», «Показание», «Дата» и, если нужно, "
        "«Период» (ММ.ГГГГ; по умолчанию — месяц даты). Такой файл получается выгрузкой.",
    )

    def __init__(self, organizations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.only_organization = organizations.first() if len(organizations) == 1 else None
        if self.only_organization:
            del self.fields["organization"]

    @property
    def chosen_organization(self):
        """The organisation whose readings the file holds."""
        return self.only_organization or self.cleaned_data["organization"]

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_IMPORT_SIZE:
            raise forms.ValidationError("Файл больше 20 МБ: разделите его на части.")
        return file


class AccountSearchForm(forms.Form):
    number = forms.CharField(label="Номер ЛС", max_length=30)
