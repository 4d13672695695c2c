"""«Акт сверки»: the reconciliation statement of one linked account, as a page, PDF and XLSX —
the figures of «Платежи» (``billing.reconciliation`` reads the same ledger)."""

import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.utils import timezone

from kabinet.billing.reconciliation import reconciliation_statement
from kabinet.billing.reconciliation_documents import statement_pdf, statement_xlsx
from kabinet.portal.payments_forms import QUICK_CHOICES, StatementRangeForm
from kabinet.portal.views import account_or_404, render_account

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _statement(request, account_id):
    account = account_or_404(request, account_id)
    today = timezone.localdate()
    form = StatementRangeForm(request.GET or None, today=today)
    first, last, months = form.period()
    return account, form, months, reconciliation_statement(account, first, last)


def _filename(statement, extension: str) -> str:
    return (
        f"akt-sverki-{statement.account.number}-{statement.first:%Y-%m-%d}"
        f"-{statement.to:%Y-%m-%d}.{extension}"
    )


@login_required
def reconciliation(request, account_id):
    account, form, months, statement = _statement(request, account_id)
    query = urlencode({"first": f"{statement.first:%Y-%m-%d}", "last": f"{statement.to:%Y-%m-%d}"})
    return render_account(
        request,
        account,
        "portal/reconciliation.html",
        "payments",
        form=form,
        months=months,
        quick_choices=QUICK_CHOICES,
        statement=statement,
        query=query,
    )


@login_required
def reconciliation_pdf(request, account_id):
    _account, _form, _months, statement = _statement(request, account_id)
    return FileResponse(
        io.BytesIO(statement_pdf(statement, issued=timezone.localdate())),
        as_attachment=True,
        filename=_filename(statement, "pdf"),
        content_type="application/pdf",
    )


@login_required
def reconciliation_xlsx(request, account_id):
    _account, _form, _months, statement = _statement(request, account_id)
    return FileResponse(
        io.BytesIO(statement_xlsx(statement)),
        as_attachment=True,
        filename=_filename(statement, "xlsx"),
        content_type=XLSX_TYPE,
    )
