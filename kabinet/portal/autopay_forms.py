"""The autopay settings form: when to pay and the monthly limit."""

from django import forms

from kabinet.fields import AmountField
from kabinet.formats import format_rubles
from kabinet.payments import services
from kabinet.payments.autopay import services as autopay
from kabinet.payments.autopay.models import LAST_CHARGE_DAY
from kabinet.payments.models import AutopayMode


class AutopayForm(forms.Form):
    mode = forms.ChoiceField(
        label="Когда оплачивать",
        choices=AutopayMode.choices,
        initial=AutopayMode.FULL,
        widget=forms.RadioSelect,
        help_text="Новая квитанция появляется, когда организация закрывает месяц; оплата — на "
        "следующий день. За день до списания придёт письмо.",
    )
    day = forms.TypedChoiceField(
        label="День месяца",
        choices=[("", "—"), *((day, str(day)) for day in range(1, LAST_CHARGE_DAY + 1))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=f"Для оплаты в выбранный день: с 1 по {LAST_CHARGE_DAY} число.",
    )
    limit = AmountField(
        label="Не больше, ₽ в месяц",
        positive=True,
        help_text="Если к оплате больше, ничего не спишем и напишем вам об этом.",
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        ceiling = format_rubles(services.payment_limit(account))
        self.fields["limit"].help_text = (
            f"{self.fields['limit'].help_text} Не больше {ceiling}: больше организация не "
            "принимает одной онлайн-оплатой."
        )

    def clean_limit(self):
        """Not above the organisation's limit of one online payment (``check_limit``)."""
        limit = self.cleaned_data["limit"]
        try:
            autopay.check_limit(self.account, limit)
        except autopay.AutopayRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return limit

    def clean(self):
        data = super().clean()
        if data.get("mode") == AutopayMode.DAY and not data.get("day"):
            self.add_error("day", "Выберите день месяца.")
        return data
