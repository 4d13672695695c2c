"""«Ключи API»: an organisation's managers issue keys for its own systems (accounting, a bank
gateway) and revoke them; the key is shown once (``api.staff_keys``)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kabinet.api import staff_keys
from kabinet.backoffice.views import staff_render, staff_required
from kabinet.fields import ExpiryMixin, expiry_date_field
from kabinet.http import client_ip
from kabinet.orgs.models import StaffRole


class StaffKeyForm(ExpiryMixin, forms.Form):
    organization = forms.ModelChoiceField(None, label="Организация", empty_label=None)
    name = forms.CharField(
        label="Название", max_length=100, help_text="Например: «1С: Бухгалтерия» или «Банк»."
    )
    role = forms.ChoiceField(
        label="Роль",
        choices=StaffRole.choices,
        initial=StaffRole.ACCOUNTANT,
        help_text="Ключ может то же, что сотрудник с этой ролью: читать всё организации, "
        "загружать показания (оператор, руководитель) и реестры платежей (бухгалтер, "
        "руководитель).",
    )
    expires_on = expiry_date_field()

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


# Managers only; the check is also what the menus ask before showing «Ключи API».
managers_only = staff_required(
    duty=staff_keys.MANAGES, refusal="Ключи API выдаёт руководитель организации."
)


def _managed(request):
    return staff_keys.organizations_to_manage(request.user)


@managers_only
def api_keys(request):
    """The keys of the organisations the user manages, and a new one, shown once."""
    managed = _managed(request)
    form = StaffKeyForm(request.POST or None, organizations=managed)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = staff_keys.create_key(
                form.cleaned_data["organization"],
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                created_by=request.user,
                expires_at=form.expires_at(),
                ip=client_ip(request),
            )
        except staff_keys.KeyRefused as error:
            form.add_error(None, str(error))
        else:
            form = StaffKeyForm(organizations=managed)
    return staff_render(
        request,
        "backoffice/api_keys.html",
        {
            "title": "Ключи API",
            "form": form,
            "created": created,
            "keys": staff_keys.keys_for(managed),
            "now": timezone.now(),
            "docs": request.build_absolute_uri(reverse("api:openapi-view")),
        },
    )


@managers_only
@require_POST
def revoke_api_key(request, key_id):
    key = staff_keys.keys_for(_managed(request)).filter(pk=key_id).first()
    if key is None:
        raise Http404
    staff_keys.revoke_key(key, request.user, ip=client_ip(request))
    messages.success(request, f"Ключ «{key.name}» отозван.")
    return redirect("backoffice:api_keys")
