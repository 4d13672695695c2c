"""Staff pages of billing: the run of the open period and its summary, the import of charges,
closing the period, recalculations. Every query starts from ``request.organizations``; what
changes a period or a recalculation loads it through ``record_to_change``, which checks the
role in its own organisation."""

import re
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from kabinet.backoffice.billing_forms import (
    ChargesImportForm,
    ClosePeriodForm,
    HeatingCorrectionForm,
    OrganizationForm,
    RecalculationForm,
)
from kabinet.backoffice.views import staff_render, staff_required
from kabinet.billing import jobs
from kabinet.billing.closing import close_period
from kabinet.billing.heating_correction import add_heating_corrections, heating_corrections
from kabinet.billing.lines import BillingError
from kabinet.billing.models import Period, Recalculation
from kabinet.billing.recalculations import (
    add_recalculation,
    delete_recalculation,
    preview_figures,
    recalculation_amounts,
)
from kabinet.billing.run import open_period
from kabinet.billing.summary import run_summary
from kabinet.formats import format_rubles, month_name
from kabinet.http import client_ip
from kabinet.jobs.models import JobKind, JobStatus
from kabinet.jobs.services import job_percent, job_progress
from kabinet.orgs.selectors import can_change, record_to_change
from kabinet.receipts.delivery import document_plan
from kabinet.receipts.tasks import last_document_issue

DUTY = "billing"  # the role's right to run, close, import and recalculate (orgs.selectors)


def _period_to_change(request, period_id) -> Period:
    return record_to_change(
        request.user, DUTY, Period.objects.select_related("organization"), pk=period_id
    )


def _page_of(view_name, organization) -> str:
    """A billing page's address for ``organization`` (chosen by the query string)."""
    url = reverse(view_name)
    return f"{url}?organization={organization.pk}" if organization else url


def _billing_page(organization) -> str:
    return _page_of("backoffice:billing", organization)


def _heating_correction_page(organization) -> str:
    return _page_of("backoffice:heating_correction", organization)


def _recalculations_page(organization) -> str:
    return _page_of("backoffice:recalculations", organization)


@staff_required
def billing(request):
    """«Расчёт начислений»: the open period, its run and summary, the import, closing."""
    chooser = OrganizationForm(request.organizations, request.GET or None)
    return _render_billing(request, chooser)


def _render_billing(request, chooser, *, import_form=None, close_form=None, status=200):
    organization = chooser.chosen()
    period = open_period(organization) if organization else None
    last_job = jobs.last_billing_job(period) if period else None
    calculated = period is not None and period.calculated_at is not None
    response = staff_render(
        request,
        "backoffice/billing/billing.html",
        {
            "title": "Расчёт начислений",
            "chooser": chooser,
            "organization": organization,
            "period": period,
            "can_change": organization is not None and can_change(request.user, DUTY, organization),
            "last_job": last_job,
            "summary": run_summary(period) if calculated else None,
            "import_form": import_form or ChargesImportForm(),
            "close_form": close_form or ClosePeriodForm(),
            "recalculations": period.recalculations.count() if period else 0,
            "plan": document_plan(period, timezone.localdate()) if period else None,
        },
    )
    response.status_code = status
    return response


@staff_required
@require_POST
def billing_run(request, period_id):
    """«Выполнить расчёт»: queue the run, then watch it on the job's page."""
    period = _period_to_change(request, period_id)
    try:
        job = jobs.queue_billing_run(period, request.user, ip=client_ip(request))
    except BillingError as error:
        messages.error(request, str(error))
        return redirect(_billing_page(period.organization))
    return redirect("backoffice:billing_job", job.pk)


@staff_required
@require_POST
def billing_import(request, period_id):
    """Charges from a file: queued as a job whose page names the bad rows, if any."""
    period = _period_to_change(request, period_id)
    form = ChargesImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = jobs.queue_charges_import(
                period, form.cleaned_data["file"], request.user, ip=client_ip(request)
            )
        except BillingError as error:
            messages.error(request, str(error))
            return redirect(_billing_page(period.organization))
        return redirect("backoffice:billing_job", job.pk)
    chooser = OrganizationForm(request.organizations, {"organization": period.organization_id})
    return _render_billing(request, chooser, import_form=form, status=400)


@staff_required
@require_POST
def billing_close(request, period_id):
    """«Закрыть период» after the confirmation box is ticked; a refusal is shown as a
    message (earlier period open, not calculated, month not begun, closed already)."""
    period = _period_to_change(request, period_id)
    form = ClosePeriodForm(request.POST)
    if not form.is_valid():
        chooser = OrganizationForm(request.organizations, {"organization": period.organization_id})
        return _render_billing(request, chooser, close_form=form, status=400)
    try:
        following = close_period(period, request.user, ip=client_ip(request))
    except BillingError as error:
        messages.error(request, str(error))
        return redirect(_billing_page(period.organization))
    messages.success(
        request,
        f"Период {month_name(period.month)} закрыт: жители видят его начисления. "
        f"Открыт период {month_name(following.month)}.",
    )
    issue = last_document_issue(period)
    if issue is not None:
        messages.info(
            request,
            format_html(
                "Платёжные документы выпускаются и затем рассылаются подписчикам: "
                '<a href="{}">ход выпуска</a>.',
                reverse("backoffice:job", args=[issue.pk]),
            ),
        )
    return redirect(_billing_page(period.organization))


@staff_required
def billing_job(request, job_id):
    """A run or an import: progress while it works (the page refreshes itself), then its
    figures, the run's remarks or the file's bad rows."""
    job = get_object_or_404(jobs.billing_jobs(request.organizations), pk=job_id)
    done, total, _ = job_progress(job)
    return staff_render(
        request,
        "backoffice/billing/job.html",
        {
            "title": job.title,
            "job": job,
            "is_run": job.kind == JobKind.BILLING_RUN,
            "failed_job": job.status == JobStatus.FAILED,
            "done": done,
            "total": total,
            "percent": job_percent(job),
            "back": _billing_page(job.organization),
        },
    )


@staff_required
def recalculations(request):
    """«Перерасчёты»: compute a recalculation («Рассчитать»), then record it («Сохранить»);
    the open period's recalculations, each can be taken back."""
    chooser = OrganizationForm(request.organizations, request.GET or None)
    organization = chooser.chosen()
    period = open_period(organization) if organization else None
    form = RecalculationForm(organization, request.POST or None)
    preview_months = None
    if request.method == "POST":
        if not can_change(request.user, DUTY, organization):
            raise PermissionDenied("Перерасчёты вносят бухгалтер и руководитель организации.")
        if form.is_valid():
            preview_months, saved = _preview_or_save(request, form)
            if saved:
                return redirect(_recalculations_page(organization))
    listed = (
        Recalculation.objects.filter(period=period)
        .select_related("account", "service", "corrected_period", "created_by")
        .order_by("-created_at", "-pk")
        if period
        else Recalculation.objects.none()
    )
    return staff_render(
        request,
        "backoffice/billing/recalculations.html",
        {
            "title": "Перерасчёты",
            "chooser": chooser,
            "organization": organization,
            "period": period,
            "form": form,
            "preview": (
                sum((month.amount for month in preview_months), Decimal(0))
                if preview_months
                else None
            ),
            "preview_months": preview_months,
            "shown_amount": preview_figures(preview_months) if preview_months else "",
            "can_change": organization is not None and can_change(request.user, DUTY, organization),
            "recalculations": listed,
            "billing_page": _billing_page(organization),
        },
    )


def _preview_or_save(request, form) -> tuple[list | None, bool]:
    """(each month's correction to show, whether they are saved). The staff member sees the
    months and amounts first; they are saved only when «Сохранить» comes with the figures
    shown (the data may have changed)."""
    arguments = form.arguments()
    try:
        months = recalculation_amounts(**arguments)
    except BillingError as error:
        form.add_error(None, str(error))
        return None, False
    if "save" not in request.POST:
        return months, False
    try:
        made = add_recalculation(
            **arguments,
            reason=form.cleaned_data["reason"],
            user=request.user,
            ip=client_ip(request),
            shown=request.POST.get("shown_amount", ""),
        )
    except BillingError as error:
        form.add_error(None, str(error))
        return months, False
    first = made[0]
    corrected = ", ".join(month_name(r.corrected_period.month) for r in made)
    messages.success(
        request,
        f"Перерасчёт записан: ЛС № {first.account.number}, «{first.service}», "
        f"{format_rubles(sum((r.amount for r in made), Decimal(0)))} за {corrected}.",
    )
    return months, True


@staff_required
@require_POST
def recalculation_delete(request, recalculation_id):
    recalculation = record_to_change(
        request.user,
        DUTY,
        Recalculation.objects.select_related("account__organization", "service", "period"),
        pk=recalculation_id,
    )
    organization = recalculation.account.organization
    try:
        delete_recalculation(recalculation, user=request.user, ip=client_ip(request))
    except BillingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Перерасчёт по ЛС № {recalculation.account.number} «{recalculation.service}» удалён.",
        )
    return redirect(_recalculations_page(organization))


@staff_required
def heating_correction(request):
    """«Корректировка за отопление»: a house's year of heating paid evenly by its meter,
    corrected to the meter's figures (Правила № 354 п. 42(1)) — computed («Рассчитать»), then
    recorded as recalculations of the open period («Сохранить»)."""
    chooser = OrganizationForm(request.organizations, request.GET or None)
    organization = chooser.chosen()
    period = open_period(organization) if organization else None
    form = HeatingCorrectionForm(organization, request.POST or None)
    corrections = None
    if request.method == "POST":
        if not can_change(request.user, DUTY, organization):
            raise PermissionDenied("Корректировку вносят бухгалтер и руководитель организации.")
        if form.is_valid():
            house, year = form.cleaned_data["house"], form.cleaned_data["year"]
            try:
                corrections = heating_corrections(house, year)
                if "save" in request.POST:
                    shown = request.POST.get("shown_amount", "")
                    if not _plain_amount(shown):
                        raise BillingError("Сначала нажмите «Рассчитать» и проверьте суммы.")
                    made = add_heating_corrections(
                        house, year, user=request.user, ip=client_ip(request),
                        expected=Decimal(shown),
                    )  # fmt: skip
                    total = sum((r.amount for r in made), Decimal(0))
                    messages.success(
                        request,
                        f"Корректировка за {year} год записана: {len(made)} ЛС, "
                        f"{format_rubles(total)}.",
                    )
                    return redirect(_heating_correction_page(organization))
            except BillingError as error:
                form.add_error(None, str(error))
    total = sum((c.amount for c in corrections), Decimal(0)) if corrections else None
    return staff_render(
        request,
        "backoffice/billing/heating_correction.html",
        {
            "title": "Корректировка платы за отопление",
            "chooser": chooser,
            "organization": organization,
            "period": period,
            "form": form,
            "corrections": corrections,
            "total": total,
            "can_change": organization is not None and can_change(request.user, DUTY, organization),
        },
    )


def _plain_amount(text: str) -> bool:
    """A figure the page itself put in the form: an optional minus, digits, two decimals."""
    return re.fullmatch(r"-?\d{1,14}\.\d{2}", text) is not None
