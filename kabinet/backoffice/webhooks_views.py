"""«Вебхуки»: an organisation's managers register the addresses of its systems for events
(payment credited, readings submitted, appeal created), see each delivery with its attempts
and switch a webhook off (``kabinet.webhooks``)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from kabinet.api.staff_keys import MANAGES, organizations_to_manage
from kabinet.backoffice.views import staff_render, staff_required
from kabinet.http import client_ip
from kabinet.webhooks import services
from kabinet.webhooks.delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER
from kabinet.webhooks.models import EventKind, Webhook

DELIVERIES_SHOWN = 50


class WebhookForm(forms.Form):
    organization = forms.ModelChoiceField(None, label="Организация", empty_label=None)
    url = forms.URLField(
        label="Адрес", max_length=500, assume_scheme="https", help_text="Например: https://…"
    )
    events = forms.MultipleChoiceField(
        label="События",
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[EventKind.PAYMENT_CREDITED],
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


# Managers only; the check is also what the menus ask before showing «Вебхуки».
managers_only = staff_required(
    duty=MANAGES, refusal="Вебхуки настраивает руководитель организации."
)


def _managed(request):
    return organizations_to_manage(request.user)


@managers_only
def webhooks(request):
    managed = _managed(request)
    form = WebhookForm(request.POST or None, organizations=managed)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_webhook(
                form.cleaned_data["organization"],
                form.cleaned_data["url"],
                form.cleaned_data["events"],
                request.user,
                ip=client_ip(request),
            )
        except services.WebhookRefused as error:
            form.add_error("url", str(error))
        else:
            form = WebhookForm(organizations=managed)
    return staff_render(
        request,
        "backoffice/webhooks.html",
        {
            "title": "Вебхуки",
            "form": form,
            "created": created,
            "webhooks": Webhook.objects.for_organizations(managed).select_related("organization"),
            "signature_header": SIGNATURE_HEADER,
            "timestamp_header": TIMESTAMP_HEADER,
        },
    )


def _webhook(request, webhook_id):
    return get_object_or_404(Webhook.objects.for_organizations(_managed(request)), pk=webhook_id)


@managers_only
def webhook(request, webhook_id):
    """A webhook's deliveries, newest first, each with its attempts."""
    hook = _webhook(request, webhook_id)
    return staff_render(
        request,
        "backoffice/webhook.html",
        {
            "title": f"Вебхук {hook.url}",
            "webhook": hook,
            "deliveries": services.deliveries_of(hook)[:DELIVERIES_SHOWN],
        },
    )


@managers_only
@require_POST
def disable_webhook(request, webhook_id):
    hook = _webhook(request, webhook_id)
    services.disable_webhook(hook, request.user, ip=client_ip(request))
    messages.success(request, f"Вебхук {hook.url} выключен.")
    return redirect("backoffice:webhooks")
