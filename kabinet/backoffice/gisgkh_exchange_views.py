"""«Обмен с ГИС ЖКХ»: the postings of the staff's organisations, each message's state and
errors, and the log of every request and answer (kabinet.gisgkh.exchange)."""

from django.shortcuts import get_object_or_404

from kabinet.backoffice.views import staff_render, staff_required
from kabinet.gisgkh.models import Exchange, Posting
from kabinet.jobs.models import Job


@staff_required
def postings(request):
    rows = (
        Posting.objects.for_organizations(request.organizations)
        .select_related("organization")
        .prefetch_related("exchanges")[:100]
    )
    return staff_render(
        request,
        "backoffice/gisgkh/postings.html",
        {
            "title": "Обмен с ГИС ЖКХ",
            "rows": [(posting, Job.objects.about(posting).first()) for posting in rows],
        },
    )


@staff_required
def exchange(request, exchange_id: int):
    message = get_object_or_404(
        Exchange.objects.for_organizations(request.organizations).select_related(
            "posting__organization"
        ),
        pk=exchange_id,
    )
    return staff_render(
        request,
        "backoffice/gisgkh/exchange.html",
        {
            "title": f"Сообщение {message.message_guid}",
            "message": message,
            "log": message.log.all(),
        },
    )
