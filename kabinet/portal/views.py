"""Resident pages: parse the request, call a selector or a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kabinet import quotas
from kabinet.appeals.selectors import news_for
from kabinet.billing import selectors as billing
from kabinet.billing.calculation import last_day
from kabinet.billing.law import due_date
from kabinet.billing.penalty_statement import statement_of
from kabinet.housing.models import ContractDocument
from kabinet.http import client_ip
from kabinet.payments.models import OnlinePaymentMethod
from kabinet.payments.services import online_payment_enabled
from kabinet.payments.several import payable_groups
from kabinet.portal.figures import account_figures
from kabinet.portal.forms import LinkAccountForm, LinkRequestForm
from kabinet.portal.periods import chosen_period
from kabinet.portal.sections import SECTION_PAGES
from kabinet.receipts.instalments import instalment_rows
from kabinet.users import services as users
from kabinet.users.adapter import workplace_url
from kabinet.users.selectors import accounts_for

HOME_NEWS = 3  # the latest news of the УК on Главная; the rest on «Новости»


def linked_accounts(request) -> list:
    """The user's linked accounts, read once per request: the page's account and the links to
    the others come from the same query (a page's cost does not grow with the accounts)."""
    if not hasattr(request, "_linked_accounts"):
        request._linked_accounts = list(accounts_for(request.user))
    return request._linked_accounts


def account_or_404(request, account_id):
    """The account if the user has linked it; any other answers 404, as if it did not exist."""
    for account in linked_accounts(request):
        if account.pk == account_id:
            return account
    raise Http404("Нет такого лицевого счёта.")


def other_account_links(request, account, section) -> list[tuple[object, str]]:
    """(account, address) for each other account of the user: the same page of that account
    when the page names nothing but the account, else the section's page of that account (the
    page of a section that any account has, where «Другой лицевой счет» leads from a page about
    one object of this account: an appeal, a payment)."""
    match = request.resolver_match
    same_page = match is not None and set(match.kwargs) == {"account_id"}
    view_name = match.view_name if same_page else SECTION_PAGES[section]
    return [
        (other, reverse(view_name, args=[other.pk]))
        for other in linked_accounts(request)
        if other.pk != account.pk
    ]


def render_account(request, account, template, section, *, status=200, **context):
    return render(
        request,
        template,
        {
            "account": account,
            "section": section,
            "other_accounts": other_account_links(request, account, section),
            **context,
        },
        status=status,
    )


@login_required
def home(request):
    """Главная: every linked account with its debt or overpayment and the way into it. Staff
    with no account of their own work in the back office, so they are taken there; «?resident=1»
    (the back office's «Личный кабинет» link) stays here to link an account of one's own."""
    accounts = list(accounts_for(request.user))
    workplace = workplace_url(request.user)
    if workplace and not accounts and "resident" not in request.GET:
        return redirect(workplace)
    debts = billing.balances(accounts)
    for account in accounts:
        account.balance = debts[account.pk]
    news = news_for(request.user)[:HOME_NEWS]
    groups = payable_groups(accounts) if online_payment_enabled() else []
    several = sum(len(group.accounts) for group in groups) > 1  # else «Оплатить» of the account
    return render(
        request,
        "portal/home.html",
        {
            "accounts": accounts,
            "news": news,
            "groups": groups if several else [],
            "methods": OnlinePaymentMethod.choices,
        },
    )


@login_required
@require_POST
def dismiss_help(request):
    users.dismiss_help(request.user)
    return redirect("portal:home")


def privacy(request):
    return render(request, "portal/privacy.html")


@login_required
def link_account(request):
    """«Добавление лицевого счета»: prove the last payment, then land on the account's card."""
    status = 200
    if request.method == "POST":
        form = LinkAccountForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                account, created = users.link_account(
                    request.user,
                    premise=data["premise"],
                    account_number=data["account_number"],
                    paid_on=data["paid_on"],
                    amount=data["amount"],
                    ip_address=client_ip(request),
                )
            except users.LinkRefused as error:
                form.add_error(None, str(error))
            except quotas.QuotaExceeded as error:
                form.add_error(None, str(error))
                status = 429
            else:
                if created:
                    messages.success(request, f"Лицевой счёт № {account.number} присоединён.")
                else:
                    messages.info(request, f"Лицевой счёт № {account.number} уже присоединён.")
                return redirect("portal:account", account.pk)
    else:
        form = LinkAccountForm(initial=request.GET.dict())
    return render(request, "portal/link_account.html", {"form": form}, status=status)


@login_required
def request_link(request):
    """«Обратиться»: ask the УК to link an account the resident cannot prove by a payment."""
    status = 200
    if request.method == "POST":
        form = LinkRequestForm(request.POST)
        if form.is_valid():
            try:
                link_request = users.request_link(
                    request.user,
                    premise=form.cleaned_data["premise"],
                    account_number=form.cleaned_data["account_number"],
                    message=form.cleaned_data["message"],
                )
            except quotas.QuotaExceeded as error:
                form.add_error(None, str(error))
                status = 429
            else:
                messages.success(
                    request,
                    f"Запрос № {link_request.pk} отправлен в {link_request.organization}. "
                    "Ответ придёт на вашу электронную почту.",
                )
                return redirect("portal:home")
    else:
        form = LinkRequestForm(initial=request.GET.dict())
    return render(request, "portal/request_link.html", {"form": form}, status=status)


def card_figures(account) -> dict:
    """The card's money: the latest month's table, the balances, «Оплатить до» and the
    instalments (five queries; cached per account by ``portal.figures``)."""
    table = billing.latest_charge_table(account)
    balances = billing.card_balances(account)
    # «Оплатить до» of the latest charged month, the receipt's date, when there is a debt
    owes = table.period and balances["balance"] > 0
    return {
        **balances,
        "pay_by": due_date(account.organization, table.period.month) if owes else None,
        "table": table,
        "instalments": instalment_rows(account, table.period.month) if table.period else (),
    }


@login_required
def account_card(request, account_id):
    account = account_or_404(request, account_id)
    figures = account_figures(account, "card", lambda: card_figures(account))
    return render_account(request, account, "portal/account_card.html", "card", **figures)


@login_required
def account_tariffs(request, account_id):
    account = account_or_404(request, account_id)
    today = timezone.localdate()
    house = account.premise.house
    return render_account(
        request,
        account,
        "portal/account_tariffs.html",
        "tariffs",
        today=today,
        tariffs=billing.tariffs_in_force(house, today),
    )


@login_required
def account_penalties(request, account_id):
    """«Пени»: the chosen closed month's calculation day by day (the latest month with
    penalties by default) and the penalty of every month — ЖК РФ ст. 155 ч. 14's and, in a
    block of its own, ч. 14.1's on capital repair contributions."""
    account = account_or_404(request, account_id)
    months = billing.penalty_months(account)
    period = chosen_period([month.period for month in months], request.GET.get("period"))
    calculation = capital_repair = None
    if period:
        calculation = billing.penalty_calculation(account, period)
        capital_repair = billing.penalty_calculation(account, period, capital_repair=True)
    to = last_day(period.month) if period else None
    return render_account(
        request,
        account,
        "portal/account_penalties.html",
        "penalties",
        months=months,
        has_capital_repair=any(m.capital_repair_penalty is not None for m in months),
        period=period,
        calculation=calculation,
        statement=statement_of(calculation.lines, account=account, to=to) if period else None,
        capital_repair=capital_repair,
        capital_repair_statement=statement_of(
            capital_repair.lines, account=account, to=to, capital_repair=True
        )
        if period
        else None,
    )


@login_required
def account_contracts(request, account_id):
    account = account_or_404(request, account_id)
    contracts = account.premise.house.contracts.prefetch_related("documents")
    return render_account(
        request,
        account,
        "portal/account_contracts.html",
        "contracts",
        contracts=contracts,
    )


@login_required
def contract_document(request, account_id, document_id):
    """A contract document, served only to residents of the contract's house."""
    account = account_or_404(request, account_id)
    document = get_object_or_404(
        ContractDocument, pk=document_id, contract__house=account.premise.house_id
    )
    return FileResponse(document.file.open("rb"), as_attachment=True)
