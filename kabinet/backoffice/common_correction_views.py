"""«Корректировка ОДН»: the year's common-house share of a house and resource corrected by the
house meter (Правила № 491 п. 29(3) «а» as amended by Постановление № 92; ЖК РФ ст. 156
ч. 9.2) — computed («Рассчитать»), then recorded as recalculations of the open period
(«Сохранить»), as the heating correction's page does. Houses and services come from the
chosen organisation of ``request.organizations``; recording needs the billing role there."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from kabinet.backoffice.billing_forms import CommonCorrectionForm, OrganizationForm
from kabinet.backoffice.billing_views import DUTY, _page_of, _plain_amount
from kabinet.backoffice.views import staff_render, staff_required
from kabinet.billing.common_correction import (
    add_common_corrections,
    common_correction,
    in_first_quarter,
)
from kabinet.billing.lines import BillingError
from kabinet.billing.run import open_period
from kabinet.formats import format_rubles
from kabinet.housing.models import House
from kabinet.http import client_ip
from kabinet.orgs.selectors import can_change, record_to_change


def _house_to_change(request) -> None:
    """The house named by the form, checked in its own organisation: 404 for another
    organisation's house, 403 for a role there that may not change billing."""
    house_id = request.POST.get("house", "")
    if house_id.isdigit():
        record_to_change(request.user, DUTY, House.objects.all(), pk=int(house_id))


@staff_required
def common_correction_page(request):
    """«Корректировка ОДН»: preview a house's year for a resource, then record it."""
    chooser = OrganizationForm(request.organizations, request.GET or None)
    organization = chooser.chosen()
    period = open_period(organization) if organization else None
    writable = organization is not None and can_change(request.user, DUTY, organization)
    form = CommonCorrectionForm(organization, request.POST or None)
    correction = None
    if request.method == "POST":
        if not writable:
            raise PermissionDenied("Корректировку вносят бухгалтер и руководитель организации.")
        _house_to_change(request)
        if form.is_valid():
            house, service = form.cleaned_data["house"], form.cleaned_data["service"]
            year = form.cleaned_data["year"]
            try:
                correction = common_correction(house, service, year)
                if "save" in request.POST:
                    shown = request.POST.get("shown_amount", "")
                    if not _plain_amount(shown):
                        raise BillingError("Сначала нажмите «Рассчитать» и проверьте суммы.")
                    made = add_common_corrections(
                        house, service, year, user=request.user, ip=client_ip(request),
                        expected=Decimal(shown),
                    )  # fmt: skip
                    total = sum((r.amount for r in made), Decimal(0))
                    messages.success(
                        request,
                        f"Корректировка ОДН за {year} год записана: {len(made)} ЛС, "
                        f"{format_rubles(total)}.",
                    )
                    return redirect(_page_of("backoffice:common_correction", organization))
            except BillingError as error:
                form.add_error(None, str(error))
    return staff_render(
        request,
        "backoffice/billing/common_correction.html",
        {
            "title": "Корректировка платы за КР на СОИ (ОДН)",
            "chooser": chooser,
            "organization": organization,
            "period": period,
            "form": form,
            "correction": correction,
            "late": bool(correction and period and not in_first_quarter(period, correction.year)),
            "can_change": writable,
        },
    )
