"""Staff pages of payments: bank registries (upload, progress, result) and reconciliation.
A registry is uploaded into, and credited for, an organisation where the role may write
payments; the lists show all of the user's organisations."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from kabinet.backoffice.payments_forms import ReconciliationForm, RegistryUploadForm
from kabinet.backoffice.views import staff_render, staff_required
from kabinet.http import client_ip
from kabinet.jobs.services import job_progress
from kabinet.months import add_months
from kabinet.orgs.selectors import can_change, organizations_to_change, record_to_change
from kabinet.payments.models import PaymentRegistry, PaymentSource, RegistryStatus
from kabinet.payments.registry.uploads import DuplicateRegistry, import_good_rows, upload_registry
from kabinet.payments.selectors import reconciliation, reconciliation_totals, registries_for

REGISTRIES_SHOWN = 50
DUTY = "payments"  # the role's right to upload and credit registries (orgs.selectors)


@staff_required
def registry_list(request):
    """Реестры платежей: upload a bank's file; the latest uploads with their outcome."""
    writable = organizations_to_change(request.user, DUTY)
    form = RegistryUploadForm(request.POST or None, request.FILES or None, organizations=writable)
    if request.method == "POST":
        if not writable.exists():
            raise PermissionDenied("Загружать реестры могут бухгалтер и руководитель.")
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                registry = upload_registry(
                    form.cleaned_data["organization"],
                    upload.name,
                    upload.read(),
                    request.user,
                    good_rows_only=form.cleaned_data["good_rows_only"],
                    capital_repair=form.cleaned_data["capital_repair"],
                    ip=client_ip(request),
                )
            except DuplicateRegistry as error:
                messages.warning(request, str(error))
                return redirect("backoffice:registry", error.registry.pk)
            return redirect("backoffice:registry", registry.pk)
    return staff_render(
        request,
        "backoffice/payments/registry_list.html",
        {
            "title": "Реестры платежей",
            "form": form,
            "can_upload": writable.exists(),
            "registries": registries_for(request.organizations)[:REGISTRIES_SHOWN],
        },
    )


@staff_required
def registry_detail(request, registry_id):
    """One registry: progress while it is checked, then what was credited and what was not."""
    registry = get_object_or_404(registries_for(request.organizations), pk=registry_id)
    done, total, _ = job_progress(registry.job) if registry.job else (0, 0, 0)
    return staff_render(
        request,
        "backoffice/payments/registry_detail.html",
        {
            "title": str(registry),
            "registry": registry,
            "percent": round(100 * done / total) if total else 0,
            "done": done,
            "total": total,
            "can_import_good_rows": registry.status == RegistryStatus.REJECTED
            and can_change(request.user, DUTY, registry.organization_id),
            "days": registry.days.order_by("day"),
            "good_rows": registry.rows_total - registry.rows_rejected,
        },
    )


@staff_required
@require_POST
def registry_import_good_rows(request, registry_id):
    registry = record_to_change(request.user, DUTY, PaymentRegistry.objects, pk=registry_id)
    if registry.status == RegistryStatus.REJECTED:
        import_good_rows(registry, request.user, ip=client_ip(request))
    return redirect("backoffice:registry", registry.pk)


@staff_required
def payment_reconciliation(request):
    """Сверка: payments of each day by source against what the banks' registries say."""
    form = ReconciliationForm(request.GET or None)
    month = form.chosen_month(timezone.localdate())
    last_day = add_months(month, 1) - datetime.timedelta(days=1)
    days = reconciliation(request.organizations, month, last_day)
    totals = reconciliation_totals(days)
    return staff_render(
        request,
        "backoffice/payments/reconciliation.html",
        {
            "title": "Сверка платежей",
            "form": form,
            "month": month,
            "previous": add_months(month, -1),
            "next": add_months(month, 1),
            "days": days,
            "sources": PaymentSource.choices,
            "totals": totals.by_source,
            "total": totals.total,
            "registries_total": totals.registries,
            "difference_total": totals.difference,
        },
    )
