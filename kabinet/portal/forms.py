from captcha.fields import CaptchaField
from django import forms
from django.db.models.functions import Length

from kabinet.fields import AmountField
from kabinet.housing.models import House, Premise
from kabinet.orgs.models import Organization


class PremiseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.short_label


class AddressForm(forms.Form):
    """Управляющая организация → Дом → Квартира; each choice narrows the next.

    ``selection`` (the submitted or the query-string values) decides which houses and premises
    are offered; the page narrows the lists with or without JavaScript."""

    organization = forms.ModelChoiceField(
        Organization.objects.all(), label="Управляющая организация", empty_label="— выберите —"
    )
    house = forms.ModelChoiceField(House.objects.none(), label="Дом", empty_label="— выберите —")
    premise = PremiseChoiceField(
        Premise.objects.none(), label="Квартира", empty_label="— выберите —"
    )

    def __init__(self, *args, selection=None, **kwargs):
        super().__init__(*args, **kwargs)
        selection = selection if selection is not None else (self.data or self.initial)
        organization = _selected_id(selection, "organization")
        house = _selected_id(selection, "house")
        if organization:
            self.fields["house"].queryset = House.objects.filter(organization=organization)
        if organization and house:
            self.fields["premise"].queryset = Premise.objects.filter(
                house=house, house__organization=organization
            ).order_by(Length("number"), "number")


def _selected_id(selection, name) -> int | None:
    value = selection.get(name)
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


class LinkAccountForm(AddressForm):
    account_number = forms.CharField(label="Лицевой счет", max_length=30)
    paid_on = forms.DateField(
        label="Дата платежа",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )
    amount = AmountField(
        label="Сумма платежа",
        positive=True,
        help_text="Если вы заплатили 123 рубля 45 копеек, необходимо ввести 123,45",
    )
    captcha = CaptchaField(
        label="Введите код с рисунка:",
        error_messages={"invalid": "Код с рисунка введён неверно. Попробуйте ещё раз."},
    )


class LinkRequestForm(AddressForm):
    account_number = forms.CharField(
        label="Лицевой счет (если знаете)", max_length=30, required=False
    )
    message = forms.CharField(
        label="Сообщение для управляющей организации",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Например: «Я собственник квартиры, оплачиваю наличными в кассе».",
    )
