from allauth.account.adapter import get_adapter
from django import forms

from kabinet.fields import ExpiryMixin, expiry_date_field
from kabinet.users.models import TokenScope, User
from kabinet.users.profile import normalize_phone


class ProfileForm(forms.ModelForm):
    """Login, ФИО and phone; the e-mail is changed through its confirmation (allauth)."""

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "middle_name", "phone"]
        labels = {
            "username": "Имя пользователя",
            "last_name": "Фамилия",
            "first_name": "Имя",
            "middle_name": "Отчество",
            "phone": "Телефон",
        }
        help_texts = {
            "username": "Латинские буквы, цифры и знаки . _ -; с ним вы входите в кабинет.",
            "middle_name": "Если есть.",
            "phone": "Например: +7 912 345-67-89. Управляющая организация может позвонить вам "
            "по обращению.",
        }
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("last_name", "first_name"):
            self.fields[name].required = True

    def clean_username(self):
        username = get_adapter().clean_username(self.cleaned_data["username"], shallow=True)
        username = username.lower()
        taken = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("Это имя пользователя уже занято.")
        return username

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValueError:
            raise forms.ValidationError(
                "Введите номер телефона из 10 цифр после +7, например +7 912 345-67-89."
            ) from None


class SubscriptionsForm(forms.Form):
    """Reminders and news for the user, e-mailed receipts for each linked account."""

    reading_reminders = forms.BooleanField(
        label="Напоминать о передаче показаний счётчиков", required=False
    )
    news_by_email = forms.BooleanField(
        label="Новости управляющей организации по e-mail", required=False
    )

    def __init__(self, *args, user, links, **kwargs):
        kwargs.setdefault(
            "initial",
            {"reading_reminders": user.reading_reminders, "news_by_email": user.news_by_email},
        )
        super().__init__(*args, **kwargs)
        self.links = list(links)
        for link in self.links:
            self.fields[f"receipts_{link.account_id}"] = forms.BooleanField(
                label=f"Квитанции по ЛС № {link.account.number} на e-mail",
                required=False,
                initial=link.receipts_by_email,
            )

    def receipts_for(self) -> set[int]:
        return {
            link.account_id
            for link in self.links
            if self.cleaned_data.get(f"receipts_{link.account_id}")
        }


class PasswordConfirmForm(forms.Form):
    """Deleting the profile: the person proves it is them by the password."""

    password = forms.CharField(
        label="Пароль",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Неверный пароль.")
        return password


class AccessTokenForm(ExpiryMixin, forms.Form):
    """«Новый токен»: a name, what it may do, optionally one account and the last day."""

    name = forms.CharField(
        label="Название", max_length=100, help_text="Например: «Счётчик воды на кухне»."
    )
    scope = forms.ChoiceField(
        label="Права",
        choices=TokenScope.choices,
        initial=TokenScope.READINGS,
        help_text="Для счётчика или умного дома достаточно «передача показаний».",
    )
    account = forms.ModelChoiceField(
        label="Лицевой счёт",
        queryset=None,
        required=False,
        empty_label="все мои лицевые счета",
    )
    expires_on = expiry_date_field()

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
