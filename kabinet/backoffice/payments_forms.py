import datetime

from django import forms

from kabinet.fields import MonthField
from kabinet.orgs.models import Organization

MAX_REGISTRY_SIZE = 50 * 1024 * 1024  # a registry of 100 000 payments is about 12 MB


class RegistryUploadForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.none(), label="Управляющая организация", empty_label=None
    )
    file = forms.FileField(
        label="Файл реестра",
        help_text="Текстовый реестр Сбербанка (поля через «;», UTF-8 или Windows-1251) "
        "или таблица CSV/XLSX со столбцами «Дата», «Лицевой счёт», «Сумма» "
        "(и, если есть, «Плательщик», «Адрес», «Период», «Комиссия», «Номер операции»).",
    )
    good_rows_only = forms.BooleanField(
        label="Если в файле есть ошибки, зачесть только правильные строки", required=False
    )
    capital_repair = forms.BooleanField(
        label="Реестр взносов на капитальный ремонт",
        required=False,
        help_text="Платежи на специальный счёт или счёт регионального оператора: они гасят "
        "только долг по взносам на капремонт и пени на них.",
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_REGISTRY_SIZE:
            raise forms.ValidationError("Файл больше 50 МБ: разделите реестр на части.")
        return file


class ReconciliationForm(forms.Form):
    month = MonthField(label="Месяц", required=False)

    def chosen_month(self, today: datetime.date) -> datetime.date:
        month = self.cleaned_data.get("month") if self.is_valid() else None
        return (month or today).replace(day=1)
