"""«Начисления» of one personal account and its payment document (квитанция): the print page
and the PDF. Residents see closed periods only; any other month answers 404."""

import datetime
import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe

from kabinet.billing.explanation import explain_charge
from kabinet.billing.selectors import published_charge
from kabinet.portal.charge_figures import charge_history_figures, month_receipt
from kabinet.portal.charts import monthly_totals_chart
from kabinet.portal.periods import chosen_period
from kabinet.portal.views import account_or_404, render_account
from kabinet.receipts.delivery import record_document_delivered
from kabinet.receipts.issuing import (
    DocumentUnavailable,
    document_filename,
    issued_document,
    issued_receipt,
    stored_pdf,
)
from kabinet.receipts.layout import receipt_sections
from kabinet.receipts.models import DeliveryChannel
from kabinet.receipts.qr import payment_qr
from kabinet.receipts.selectors import receipt_period


@login_required
def account_charges(request, account_id):
    """The chosen month's charges (services, ОДН, recalculations, penalties, totals) as its
    issued payment document has them, and the history of monthly totals as a table and a
    chart (``portal.charge_figures``: cached, a fixed number of queries)."""
    account = account_or_404(request, account_id)
    figures = charge_history_figures(account)
    period = chosen_period(figures.periods, request.GET.get("period"))
    return render_account(
        request,
        account,
        "portal/charges/charges.html",
        "charges",
        periods=figures.periods,
        period=period,
        receipt=month_receipt(account, period) if period else None,
        history=figures.history,
        chart=monthly_totals_chart(figures.history, selected=period.month if period else None),
    )


@login_required
def charge_explanation(request, account_id, year, month, service_id):
    """«Как рассчитано»: one line of a month's services table in words and stored figures,
    and «Оспорить» to write to the УК about it."""
    account = account_or_404(request, account_id)
    if not (1 <= month <= 12 and datetime.MINYEAR <= year <= datetime.MAXYEAR):
        raise Http404("Нет такого месяца.")
    charge = published_charge(account, datetime.date(year, month, 1), service_id)
    if charge is None:
        raise Http404("Нет такого начисления.")
    return render_account(
        request,
        account,
        "portal/charges/explanation.html",
        "charges",
        charge=charge,
        explanation=explain_charge(charge),
    )


def _issued_or_404(request, account_id, year, month):
    """The account, the closed period and the account's issued document for it (issued now if
    the period's issue has not reached it); any other month answers 404."""
    account = account_or_404(request, account_id)
    period = receipt_period(account, year, month)
    if period is None:
        raise Http404("Нет квитанции за этот период.")
    return account, period, issued_document(account, period)


@login_required
def receipt(request, account_id, year, month):
    """The payment document as a page to read and print: the data it was issued with. The
    resident's opening it delivers it (ЖК РФ ст. 155 ч. 2: the first delivery is recorded,
    see ``receipts.delivery``)."""
    account, period, document = _issued_or_404(request, account_id, year, month)
    record_document_delivered(account=account, period=period, channel=DeliveryChannel.PORTAL_PAGE)
    data = issued_receipt(document)
    payload = data.qr_payload
    # segno writes only the symbol's paths: nothing of the payload's text is in the markup.
    qr_svg = mark_safe(payment_qr(payload).svg_inline(scale=4, omitsize=True)) if payload else ""
    return render(
        request,
        "portal/charges/receipt.html",
        {
            "account": account,
            "receipt": data,
            "qr_svg": qr_svg,
            "sections": receipt_sections(data),
        },
    )


@login_required
def receipt_pdf(request, account_id, year, month):
    """The issued PDF, byte for byte as stored; a file gone or changed is never drawn anew
    behind the resident's back: a page says so (the error log names the document)."""
    account, period, document = _issued_or_404(request, account_id, year, month)
    try:
        content = stored_pdf(document)
    except DocumentUnavailable:
        return render_account(
            request,
            account,
            "portal/charges/receipt_unavailable.html",
            "charges",
            period=period,
            document=document,
            status=503,
        )
    record_document_delivered(account=account, period=period, channel=DeliveryChannel.PORTAL_PDF)
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=document_filename(document),
        content_type="application/pdf",
    )
