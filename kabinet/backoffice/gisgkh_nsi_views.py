"""«Справочники НСИ» of the «ГИС ЖКХ» page: which element of ГИС ЖКХ's reference books each
service and metered resource of the staff's organisations is (``kabinet.gisgkh.nsi``).

Every staff member reads their organisations' list; a service's element is set by a role that
may change billing in the service's organisation (the accountant, the manager), a resource's
by one that may change metering there (the operator, the manager) — checked on the record's
own organisation by ``record_to_change``."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect

from kabinet.backoffice.views import staff_render, staff_required
from kabinet.billing.models import Service
from kabinet.gisgkh.models import ResourceNsiItem, ServiceNsiItem
from kabinet.gisgkh.nsi import (
    clear_resource_nsi,
    clear_service_nsi,
    registries_for,
    set_resource_nsi,
    set_service_nsi,
)
from kabinet.gisgkh.selectors import nsi_overview
from kabinet.http import client_ip
from kabinet.metering.models import Resource
from kabinet.orgs.models import Organization
from kabinet.orgs.selectors import organizations_to_change, record_to_change

SERVICE_DUTY = "billing"  # services are the billing's
RESOURCE_DUTY = "metering"  # resources are the meters'


class NsiItemForm(forms.Form):
    code = forms.CharField(
        label="Код элемента",
        max_length=20,
        help_text="Как в справочнике ГИС ЖКХ: цифры и точки, например «1» или «2.1».",
    )
    guid = forms.CharField(label="GUID элемента", max_length=36)
    name = forms.CharField(label="Наименование в справочнике", max_length=255, required=False)


class ServiceNsiForm(NsiItemForm):
    registry = forms.TypedChoiceField(label="Справочник НСИ", coerce=int)
    field_order = ["registry", "code", "guid", "name"]

    def __init__(self, *args, registries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registry"].choices = [
            (number, f"НСИ {number} «{title}»") for number, title in registries.items()
        ]


@staff_required
def nsi(request):
    """The services and resources of the user's organisations with their НСИ elements."""
    return staff_render(
        request,
        "backoffice/gisgkh/nsi.html",
        {
            "title": "Справочники НСИ ГИС ЖКХ",
            "overview": nsi_overview(request.organizations),
            "service_writable": _writable(request.user, SERVICE_DUTY),
            "resource_writable": _writable(request.user, RESOURCE_DUTY),
        },
    )


def _writable(user, duty) -> set[int]:
    return set(organizations_to_change(user, duty).values_list("pk", flat=True))


@staff_required
def service_nsi(request, service_id):
    """Set or clear the НСИ element of one service."""
    service = record_to_change(
        request.user, SERVICE_DUTY, Service.objects.select_related("organization"), pk=service_id
    )
    item = ServiceNsiItem.objects.filter(service=service).first()
    registries = registries_for(service)
    form = ServiceNsiForm(
        request.POST or None,
        initial=_initial(item) or {"registry": next(iter(registries), None)},
        registries=registries,
    )
    who = {"by": request.user, "ip": client_ip(request)}
    if request.method == "POST" and registries:
        if "clear" in request.POST:
            clear_service_nsi(service, **who)
            messages.success(request, f"Сопоставление услуги «{service.name}» удалено.")
            return redirect("backoffice:gisgkh_nsi")
        if form.is_valid():
            try:
                set_service_nsi(service, **form.cleaned_data, **who)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Элемент НСИ услуги «{service.name}» сохранён.")
                return redirect("backoffice:gisgkh_nsi")
    return staff_render(
        request,
        "backoffice/gisgkh/nsi_item.html",
        {
            "title": f"Услуга «{service.name}» в НСИ",
            "organization": service.organization,
            "form": form if registries else None,
            "item": item,
        },
    )


@staff_required
def resource_nsi(request, organization_id, resource):
    """Set or clear the element of НСИ 2 of one resource of an organisation."""
    if resource not in Resource.values:
        raise Http404
    organization = record_to_change(
        request.user, RESOURCE_DUTY, Organization.objects, pk=organization_id
    )
    item = ResourceNsiItem.objects.filter(organization=organization, resource=resource).first()
    form = NsiItemForm(request.POST or None, initial=_initial(item))
    label = Resource(resource).label
    who = {"by": request.user, "ip": client_ip(request)}
    if request.method == "POST":
        if "clear" in request.POST:
            clear_resource_nsi(organization, resource, **who)
            messages.success(request, f"Сопоставление ресурса «{label}» удалено.")
            return redirect("backoffice:gisgkh_nsi")
        if form.is_valid():
            try:
                set_resource_nsi(organization, resource, **form.cleaned_data, **who)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Элемент НСИ 2 ресурса «{label}» сохранён.")
                return redirect("backoffice:gisgkh_nsi")
    return staff_render(
        request,
        "backoffice/gisgkh/nsi_item.html",
        {
            "title": f"Ресурс «{label}» в НСИ 2 «Вид коммунального ресурса»",
            "organization": organization,
            "form": form,
            "item": item,
        },
    )


def _initial(item) -> dict | None:
    if item is None:
        return None
    return {"registry": item.registry, "code": item.code, "guid": item.guid, "name": item.name}
