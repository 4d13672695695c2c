"""Staff pages of meters and readings: each query starts from ``request.organizations``;
readings are entered for an account or a house meter loaded through ``record_to_change`` (the
role in its own organisation), and imported into an organisation where the role may write."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from kabinet.backoffice.meters_forms import (
    AccountSearchForm,
    ReadingsFilterForm,
    ReadingsImportForm,
    StaffReadingsForm,
)
from kabinet.backoffice.views import find_account_page, staff_render, staff_required
from kabinet.dbrouting import reads_from_replica
from kabinet.formats import month_name
from kabinet.housing.models import PersonalAccount
from kabinet.metering import exports, services
from kabinet.metering.models import Meter, ReadingSource
from kabinet.metering.selectors import (
    active_meters,
    house_meters,
    meter_cards,
    organization_readings,
)
from kabinet.orgs.selectors import can_change, organizations_to_change, record_to_change

PAGE_SIZE = 100
DUTY = "metering"  # the role's right to change meters and readings (orgs.selectors)
EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", exports.as_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exports.as_xlsx),
}


def _filtered_readings(request):
    today = timezone.localdate()
    form = ReadingsFilterForm(
        request.organizations, {"period": f"{today:%Y-%m}", **request.GET.dict()}
    )
    chosen = form.filters(today)
    meters = organization_readings(
        request.organizations,
        chosen.period,
        house=chosen.house,
        resource=chosen.resource,
        missing=chosen.missing,
    )
    return form, chosen, meters


@staff_required
def readings(request):
    """The readings of a month for every apartment meter, with filters and a way to each
    account's meters."""
    form, chosen, meters = _filtered_readings(request)
    query = request.GET.copy()
    query.pop("page", None)
    return staff_render(
        request,
        "backoffice/meters/readings.html",
        {
            "title": f"Показания счётчиков за {month_name(chosen.period)}",
            "form": form,
            "page": Paginator(meters, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": query.urlencode(),
            "search": AccountSearchForm(),
        },
    )


@staff_required
@reads_from_replica  # a report: a few seconds stale is harmless
def readings_export(request, file_format):
    _, chosen, meters = _filtered_readings(request)
    content_type, write = EXPORT_TYPES[file_format]
    response = HttpResponse(
        write(exports.readings_rows(meters, chosen.period)), content_type=content_type
    )
    response["Content-Disposition"] = (
        f'attachment; filename="readings-{chosen.period:%Y-%m}.{file_format}"'
    )
    return response


@staff_required(duty=DUTY, refusal="Показания загружают оператор и руководитель организации.")
def readings_import(request):
    writable = organizations_to_change(request.user, DUTY)
    form = ReadingsImportForm(writable, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.queue_readings_import(
            form.chosen_organization, form.cleaned_data["file"], request.user
        )
        return redirect("backoffice:job", job.pk)
    return staff_render(
        request, "backoffice/meters/import.html", {"title": "Импорт показаний", "form": form}
    )


@staff_required
def find_account(request):
    """«Ввести показания по ЛС»: straight to the account when its number is found once."""
    return find_account_page(
        request,
        "backoffice:account_readings",
        "backoffice/meters/find_account.html",
        "Показания по лицевому счёту",
    )


@staff_required
def account_readings(request, account_id):
    """A resident's meters: their history, and the form to enter readings for them."""
    account = _record(
        request,
        PersonalAccount.objects.select_related("organization", "premise__house"),
        pk=account_id,
    )
    return _meters_page(
        request,
        active_meters(account),
        "backoffice/meters/account.html",
        {"title": f"Показания счётчиков ЛС № {account.number}", "account": account},
        organization_id=account.organization_id,
    )


@staff_required
def house_meters_list(request):
    return staff_render(
        request,
        "backoffice/meters/house_meters.html",
        {
            "title": "Общедомовые приборы учёта",
            "meters": house_meters(request.organizations),
        },
    )


@staff_required
def house_meter(request, meter_id):
    meter = _record(
        request, Meter.objects.filter(house__isnull=False).select_related("house"), pk=meter_id
    )
    return _meters_page(
        request,
        [meter],
        "backoffice/meters/house_meter.html",
        {"title": f"Общедомовой прибор: {meter}", "meter": meter},
        organization_id=meter.house.organization_id,
    )


def _record(request, queryset, **lookup):
    """The account or house meter of the page: entering readings (a POST) needs the right in
    its organisation, looking at them only that it is one of the user's organisations."""
    if request.method == "POST":
        return record_to_change(request.user, DUTY, queryset, **lookup)
    return get_object_or_404(queryset.for_organizations(request.organizations), **lookup)


def _meters_page(request, meters, template, context, *, organization_id):
    """The history of ``meters`` and, for those allowed in their organisation, the form that
    records readings."""
    today = timezone.localdate()
    cards = meter_cards(meters, today)
    data = request.POST if request.method == "POST" else None
    form = StaffReadingsForm([card.meter for card in cards], data, today=today)
    if data is not None and form.is_valid():
        try:
            recorded = services.record_readings(
                form.values(),
                period=form.cleaned_data["period"],
                taken_on=form.cleaned_data["taken_on"],
                source=ReadingSource.STAFF,
                user=request.user,
                confirmed=form.confirmed(),
            )
        except services.ReadingsRefused as refused:
            form.refuse(refused.checks)
        else:
            messages.success(
                request,
                f"Показания за {month_name(recorded[0].period)} записаны: "
                f"счётчиков — {len(recorded)}.",
            )
            return redirect(request.path)
    can_enter = can_change(request.user, DUTY, organization_id)
    return staff_render(
        request,
        template,
        {**context, "panels": form.panels(cards), "form": form, "can_change": can_enter},
    )
