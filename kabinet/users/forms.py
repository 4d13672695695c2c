from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.models import EmailAddress
from django import forms
from django.urls import reverse_lazy
from django.utils.html import format_html

from kabinet.users.models import User

NAME_MAX_LENGTH = 150


class LoginForm(AllauthLoginForm):
    """The seed's login form: «Имя пользователя» (or the e-mail), «Пароль», «Запомнить?»."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Имя пользователя или e-mail"
        self.fields["login"].widget.attrs["placeholder"] = ""
        self.fields["password"].label = "Пароль"
        self.fields["password"].widget.attrs["placeholder"] = ""
        self.fields["password"].help_text = ""
        self.fields["remember"].label = "Запомнить?"


class SignupForm(AllauthSignupForm):
    """«Введите регистрационные данные»: every field required but «Отчество» (not everyone has
    one, and the profile leaves it optional too), consent to 152-ФЗ included."""

    last_name = forms.CharField(label="Фамилия", max_length=NAME_MAX_LENGTH)
    first_name = forms.CharField(label="Имя", max_length=NAME_MAX_LENGTH)
    middle_name = forms.CharField(label="Отчество", max_length=NAME_MAX_LENGTH, required=False)
    consent = forms.BooleanField(
        label=format_html(
            "Я даю согласие на обработку моих персональных данных в соответствии с "
            '<a href="{}" target="_blank">Политикой обработки персональных данных</a> '
            "(Федеральный закон № 152-ФЗ «О персональных данных»)",
            reverse_lazy("portal:privacy"),
        ),
        error_messages={
            "required": "Без согласия на обработку персональных данных регистрация невозможна."
        },
    )

    field_order = [
        "username", "email", "last_name", "first_name", "middle_name",
        "password1", "password2", "consent",
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"username": "Имя пользователя", "email": "E-mail", "password1": "Пароль",
                  "password2": "Подтверждение пароля"}  # fmt: skip
        for name, label in labels.items():
            self.fields[name].label = label
            self.fields[name].widget.attrs.pop("placeholder", None)

    def clean_username(self):
        username = super().clean_username()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Пользователь с таким именем уже зарегистрирован.")
        return username

    def custom_signup(self, request, user):
        user.middle_name = self.cleaned_data["middle_name"]
        user.save(update_fields=["middle_name"])


class AddEmailForm(AllauthAddEmailForm):
    """«Изменение e-mail»: an address another account uses is refused here, in words, and its
    owner is not mailed. The person has just given their password again (reauthentication), so
    telling them the address is taken reveals no more than the sign-up's login check does."""

    def clean_email(self):
        value = self.cleaned_data["email"].strip()
        taken = User.objects.filter(email__iexact=value).exclude(pk=self.user.pk).exists() or (
            EmailAddress.objects.filter(email__iexact=value).exclude(user=self.user).exists()
        )
        if taken:
            raise forms.ValidationError(
                "Этот e-mail уже указан в профиле другого пользователя. Укажите другой адрес.",
                code="email_taken",
            )
        return super().clean_email()
