"""Appeals to the УК and its news, as a resident sees them: only their own appeals."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from kabinet import quotas
from kabinet.appeals import services as appeals
from kabinet.appeals.attachments import attachment_response
from kabinet.appeals.forms import AppealForm, MessageForm
from kabinet.appeals.selectors import appeals_of, attachment_of, news_for, thread, topics_for
from kabinet.billing.explanation import DISPUTE_TOPIC, dispute_text, explain_charge
from kabinet.billing.selectors import published_charge
from kabinet.portal.views import account_or_404, render_account
from kabinet.users.selectors import accounts_for


def appeal_or_404(request, account, appeal_id):
    """The appeal if the user wrote it about this account; any other answers 404."""
    return get_object_or_404(appeals_of(request.user).filter(account=account), pk=appeal_id)


@login_required
def my_appeals(request):
    """«Мои обращения»: every appeal of the user, across their accounts."""
    return render(
        request,
        "portal/appeals/my_appeals.html",
        {"appeals": appeals_of(request.user), "accounts": accounts_for(request.user)},
    )


@login_required
def account_appeals(request, account_id):
    account = account_or_404(request, account_id)
    return render_account(
        request,
        account,
        "portal/appeals/account_appeals.html",
        "appeals",
        appeals=appeals_of(request.user).filter(account=account),
    )


def disputed_charge(account, query):
    """The published line of this account ``?period=2026-10&service=5`` names, or None."""
    try:
        month = datetime.date.fromisoformat(f"{query.get('period', '')}-01")
        return published_charge(account, month, int(query.get("service", "")))
    except ValueError:
        return None


def disputed_line_initial(account, query) -> dict:
    """«Оспорить» on a charge line (``?period=2026-10&service=5``): the form opens with the
    topic «Начисления» and the line's figures; anything not a published line of this account
    opens an empty form."""
    charge = disputed_charge(account, query)
    if charge is None:
        return {}
    topic = topics_for(account.organization).filter(name=DISPUTE_TOPIC).first()
    return {"topic": topic, "text": dispute_text(account, explain_charge(charge))}


@login_required
def new_appeal(request, account_id):
    """«Написать в УК» of this account: topic, text, files."""
    account = account_or_404(request, account_id)
    organization = account.organization
    form = AppealForm(
        request.POST or None,
        request.FILES or None,
        organization=organization,
        initial=disputed_line_initial(account, request.GET) if request.method == "GET" else None,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        charge = disputed_charge(account, request.GET)  # the form posts back to its own URL
        disputed = (
            {"month": f"{charge.period.month:%Y-%m}", "service_id": charge.service_id}
            if charge is not None
            else None
        )
        try:
            appeal = appeals.create_appeal(
                request.user, account, data["topic"], data["text"], data["files"],
                disputed_line=disputed,
            )  # fmt: skip
        except appeals.AppealError as error:
            form.add_error(None, str(error))
        except quotas.QuotaExceeded as error:
            form.add_error(None, str(error))
            status = 429
        else:
            messages.success(
                request,
                f"Обращение № {appeal.number} отправлено в {account.organization}. "
                "Об ответе мы сообщим на вашу электронную почту.",
            )
            return redirect("portal:appeal", account.pk, appeal.pk)
    response = render_account(
        request, account, "portal/appeals/new_appeal.html", "appeals", form=form
    )
    response.status_code = status
    return response


@login_required
def appeal(request, account_id, appeal_id):
    """The thread of one appeal, and the reply form while it is open."""
    account = account_or_404(request, account_id)
    appeal = appeal_or_404(request, account, appeal_id)
    form = MessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            appeals.reply_as_resident(
                appeal, request.user, form.cleaned_data["text"], form.cleaned_data["files"]
            )
        except appeals.AppealError as error:
            form.add_error(None, str(error))
        except quotas.QuotaExceeded as error:
            form.add_error(None, str(error))
            status = 429
        else:
            messages.success(request, "Сообщение отправлено.")
            return redirect("portal:appeal", account.pk, appeal.pk)
    response = render_account(
        request,
        account,
        "portal/appeals/appeal.html",
        "appeals",
        appeal=appeal,
        thread=thread(appeal),
        form=form,
    )
    response.status_code = status
    return response


@login_required
def close_appeal(request, account_id, appeal_id):
    """«Закрыть обращение», after a confirmation: the question is settled."""
    account = account_or_404(request, account_id)
    appeal = appeal_or_404(request, account, appeal_id)
    if request.method == "POST":
        appeals.close_appeal(appeal)
        messages.success(request, f"Обращение № {appeal.number} закрыто.")
        return redirect("portal:appeal", account.pk, appeal.pk)
    return render_account(
        request, account, "portal/appeals/close_appeal.html", "appeals", appeal=appeal
    )


@login_required
def appeal_attachment(request, account_id, appeal_id, attachment_id):
    account = account_or_404(request, account_id)
    attachment = attachment_of(appeal_or_404(request, account, appeal_id), attachment_id)
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


@login_required
def news(request):
    """Новости управляющих организаций for the houses of the user's accounts."""
    return render(request, "portal/appeals/news.html", {"news": news_for(request.user)[:50]})
