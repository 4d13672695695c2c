"""Staff pages of appeals: the thread of one appeal, the answer and the state (the list of
appeals is the admin's, see admin.AppealAdmin). Answering or changing the state needs the
right in the appeal's own organisation (``record_to_change``)."""

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from kabinet.appeals import services as appeals
from kabinet.appeals.attachments import attachment_response
from kabinet.appeals.forms import AnswerForm, StatusForm
from kabinet.appeals.selectors import appeals_for_staff, attachment_of, thread
from kabinet.backoffice.views import staff_render, staff_required
from kabinet.billing.explanation import explain_charge
from kabinet.billing.selectors import published_charge
from kabinet.orgs.selectors import can_change, record_to_change

DUTY = "appeals"  # the role's right to answer appeals (orgs.selectors)


def appeal_or_404(request, appeal_id):
    return get_object_or_404(appeals_for_staff(request.organizations), pk=appeal_id)


@staff_required
def appeal(request, appeal_id):
    if request.method == "POST":
        scoped = appeals_for_staff(request.organizations)
        appeal = record_to_change(request.user, DUTY, scoped, pk=appeal_id)
    else:
        appeal = appeal_or_404(request, appeal_id)
    may_answer = can_change(request.user, DUTY, appeal.organization_id)
    answer_form = AnswerForm(prefix="answer")
    status_form = StatusForm(prefix="status", initial={"status": appeal.status})
    if request.method == "POST":
        if "send_answer" in request.POST:
            answer_form = AnswerForm(request.POST, request.FILES, prefix="answer")
            if answer_form.is_valid():
                data = answer_form.cleaned_data
                appeals.answer_appeal(
                    appeal, request.user, data["text"], data["files"], status=data["status"]
                )
                messages.success(request, f"Ответ отправлен жителю. {_state(appeal)}")
                return redirect("backoffice:appeal", appeal.pk)
        else:
            status_form = StatusForm(request.POST, prefix="status")
            if status_form.is_valid():
                appeals.change_status(appeal, status_form.cleaned_data["status"])
                messages.success(request, _state(appeal))
                return redirect("backoffice:appeal", appeal.pk)
    return staff_render(
        request,
        "backoffice/appeals/appeal.html",
        {
            "title": f"{appeal} от {timezone.localtime(appeal.created_at):%d.%m.%Y}",
            "appeal": appeal,
            "thread": thread(appeal),
            "may_answer": may_answer,
            "answer_form": answer_form,
            "status_form": status_form,
            "disputed": disputed_explanation(appeal),
        },
    )


def disputed_explanation(appeal):
    """«Как рассчитано» of the charge line the resident disputed, as they saw it (None when
    the appeal names no line, or the line is gone)."""
    line = appeal.disputed_line
    if not line:
        return None
    try:
        month = datetime.date.fromisoformat(f"{line['month']}-01")
        charge = published_charge(appeal.account, month, int(line["service_id"]))
    except (KeyError, TypeError, ValueError):
        return None
    return explain_charge(charge) if charge is not None else None


def _state(appeal) -> str:
    return f"Состояние обращения: «{appeal.get_status_display()}»."


@staff_required
def appeal_attachment(request, appeal_id, attachment_id):
    attachment = attachment_of(appeal_or_404(request, appeal_id), attachment_id)
    if attachment is None:
        raise Http404
    return attachment_response(attachment)
