"""«Не доставлены в срок»: the accounts whose payment document for a closed period did not
reach a resident by the deadline of ЖК РФ ст. 155 ч. 2 (``receipts.delivery``), for one of
the staff user's organisations, on the page or as CSV/XLSX. Every role of the organisation
may read it; it changes nothing."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.utils import timezone

from kabinet.backoffice.billing_forms import OrganizationForm
from kabinet.backoffice.views import staff_render, staff_required
from kabinet.billing.law import document_deadline
from kabinet.dbrouting import reads_from_replica
from kabinet.months import parse_month
from kabinet.receipts.delivery import closed_periods, period_of, undelivered_accounts
from kabinet.receipts.models import DeliveryChannel
from kabinet.tabular import write_csv, write_xlsx

PAGE_SIZE = 100
HEADER = ["ЛС", "Владелец", "Адрес", "Доставлен", "Как", "Подписка на e-mail"]
EXPORTS = {
    "csv": ("text/csv; charset=utf-8", write_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda header, rows: write_xlsx(header, rows, "Не доставлены"),
    ),
}


def _chosen(request):
    """(organisation chooser, organisation, period) from ``?organization=&period=ГГГГ-ММ``;
    404 for a month that is not a closed period of the organisation."""
    chooser = OrganizationForm(request.organizations, request.GET or None)
    organization = chooser.chosen()
    if organization is None:
        return chooser, None, None
    text = request.GET.get("period")
    try:
        month = parse_month(text) if text else None
    except ValueError:
        raise Http404("Нет такого периода.") from None
    period = period_of(organization, month)
    if text and period is None:
        raise Http404("Нет закрытого периода за этот месяц.")
    return chooser, organization, period


def _rows(accounts):
    channels = dict(DeliveryChannel.choices)
    for account in accounts.iterator(chunk_size=2000):
        delivered = account.delivered_at and timezone.localtime(account.delivered_at)
        yield [
            account.number,
            account.holder_name,
            str(account.premise),
            delivered,
            channels.get(account.delivered_by, ""),
            "да" if account.subscribed else "нет",
        ]


@staff_required
def undelivered_documents(request):
    chooser, organization, period = _chosen(request)
    page = None
    if period is not None:
        page = Paginator(undelivered_accounts(period), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return staff_render(
        request,
        "backoffice/billing/undelivered.html",
        {
            "title": "Платёжные документы, не доставленные в срок",
            "chooser": chooser,
            "organization": organization,
            "period": period,
            "periods": closed_periods(organization) if organization else [],
            "deadline": document_deadline(period.month) if period else None,
            "page": page,
            "rows": list(_rows(page.object_list)) if page else [],
            "header": HEADER,
            "query": query.urlencode(),
        },
    )


@staff_required
@reads_from_replica  # a report: a few seconds stale is harmless
def undelivered_documents_export(request, file_format):
    _, _, period = _chosen(request)
    if period is None:
        raise Http404("Нет закрытых периодов.")
    content_type, write = EXPORTS[file_format]
    response = HttpResponse(
        write(HEADER, _rows(undelivered_accounts(period))), content_type=content_type
    )
    response["Content-Disposition"] = (
        f'attachment; filename="undelivered-{period.month:%Y-%m}.{file_format}"'
    )
    return response
