"""The staff page «Расчёт пени» of one personal account for a court claim, and its PDF and XLSX.
Every staff role of the account's organisation may read it (``organizations_for``); an account
of another organisation is not found."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from kabinet.backoffice.penalty_claim_forms import PenaltyDateForm
from kabinet.backoffice.views import find_account_page, staff_render, staff_required
from kabinet.billing.penalty_documents import EMPTY, REPAIR_RULE, penalty_pdf, penalty_xlsx
from kabinet.billing.penalty_statement import penalty_statement
from kabinet.housing.models import PersonalAccount

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _account(request, account_id) -> PersonalAccount:
    return get_object_or_404(
        PersonalAccount.objects.for_organizations(request.organizations).select_related(
            "organization", "premise__house"
        ),
        pk=account_id,
    )


def _page(request, account, form, *, status=200):
    to = form.day()
    response = staff_render(
        request,
        "backoffice/billing/penalty_claim.html",
        {
            "title": f"Расчёт пени: ЛС № {account.number}",
            "account": account,
            "form": form,
            "statement": penalty_statement(account, to=to) if to else None,
            "empty": EMPTY,
            "repair_rule": REPAIR_RULE,
            "query": f"to={to:%Y-%m-%d}" if to else "",
        },
    )
    response.status_code = status
    return response


@staff_required
def penalty_claim(request, account_id):
    """The table by debt month up to the chosen day, with the links to download it."""
    account = _account(request, account_id)
    return _page(request, account, PenaltyDateForm(request.GET or None))


@staff_required
def penalty_claim_document(request, account_id, file_format):
    """The same calculation as PDF or XLSX; a bad date shows the page with its error."""
    account = _account(request, account_id)
    form = PenaltyDateForm(request.GET or None)
    to = form.day()
    if to is None:
        return _page(request, account, form, status=400)
    statement = penalty_statement(account, to=to)
    render = penalty_pdf if file_format == "pdf" else penalty_xlsx
    response = HttpResponse(
        render(statement, issued=timezone.localdate()), content_type=CONTENT_TYPES[file_format]
    )
    name = f"raschet-peni-{account.number}-{to:%Y-%m-%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required
def find_account(request):
    """«Расчёт пени по ЛС» from the billing page: straight to the account when found once."""
    return find_account_page(
        request,
        "backoffice:penalty_claim",
        "backoffice/billing/penalty_find_account.html",
        "Расчёт пени по лицевому счёту",
    )
