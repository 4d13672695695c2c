"""«Платёжные документы» of one personal account: every issued version of its documents, each
to download exactly as stored (``receipts.issuing``). Every staff role of the account's
organisation reads them; a corrected document is issued only by a role with the billing duty
in *the account's* organisation (``record_to_change``), with a reason, audited; the earlier
version stays."""

import io

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect

from kabinet.backoffice.billing_forms import ReissueDocumentForm
from kabinet.backoffice.views import find_account_page, staff_render, staff_required
from kabinet.housing.models import PersonalAccount
from kabinet.http import client_ip
from kabinet.orgs.selectors import can_change, record_to_change
from kabinet.receipts.issuing import (
    DocumentUnavailable,
    ReissueConflict,
    document_filename,
    documents_of,
    issued_receipt,
    reissue_document,
    stored_pdf,
)
from kabinet.receipts.selectors import document_periods

DUTY = "billing"  # issuing a corrected document is the billing's right (orgs.selectors)


def _accounts():
    return PersonalAccount.objects.select_related("organization", "premise__house")


def _account(request, account_id) -> PersonalAccount:
    return get_object_or_404(_accounts().for_organizations(request.organizations), pk=account_id)


def _page(request, account, form, *, problem: str = "", status: int = 200):
    documents = list(documents_of(account))
    for document in documents:
        document.to_pay = issued_receipt(document).to_pay  # as the document printed it
    issued_months = {document.period_id for document in documents}
    response = staff_render(
        request,
        "backoffice/billing/account_documents.html",
        {
            "title": f"Платёжные документы: ЛС № {account.number}",
            "account": account,
            "documents": documents,
            "not_issued": [
                period for period in document_periods(account) if period.pk not in issued_months
            ],
            "form": form if can_change(request.user, DUTY, account.organization_id) else None,
            "problem": problem,
        },
    )
    response.status_code = status
    return response


@staff_required
def account_documents(request, account_id):
    """The list; POST issues a corrected document of the chosen month."""
    if request.method != "POST":
        account = _account(request, account_id)
        return _page(request, account, ReissueDocumentForm(document_periods(account)))
    account = record_to_change(request.user, DUTY, _accounts(), pk=account_id)
    form = ReissueDocumentForm(document_periods(account), request.POST)
    if not form.is_valid():
        return _page(request, account, form, status=400)
    period = form.cleaned_data["period"]
    try:
        document = reissue_document(
            account,
            period,
            user=request.user,
            reason=form.cleaned_data["reason"],
            ip=client_ip(request),
        )
    except ReissueConflict as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Выпущен исправленный документ № {document.number}; прежние версии сохранены.",
        )
    return redirect("backoffice:account_documents", account.pk)


@staff_required
def account_document_file(request, account_id, document_id):
    """One issued version's PDF, byte for byte as stored (its SHA-256 checked)."""
    account = _account(request, account_id)
    document = get_object_or_404(documents_of(account), pk=document_id)
    try:
        content = stored_pdf(document)
    except DocumentUnavailable as error:
        problem = (
            f"{error} Его нельзя выдать: выпущенный документ не меняется. Если документ нужен, "
            "выпустите исправленный — эта версия останется в списке."
        )
        return _page(
            request, account, ReissueDocumentForm(document_periods(account)), problem=problem,
            status=503,
        )  # fmt: skip
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=document_filename(document),
        content_type="application/pdf",
    )


@staff_required
def find_account(request):
    """«Платёжные документы по ЛС» from the billing pages: straight to the account when found
    once."""
    return find_account_page(
        request,
        "backoffice:account_documents",
        "backoffice/billing/documents_find_account.html",
        "Платёжные документы по лицевому счёту",
    )
