"""Staff pages beyond the admin's lists: each starts from the staff user's organisations."""

from functools import partial, wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from kabinet.backoffice.admin.base import may_write
from kabinet.backoffice.meters_forms import AccountSearchForm
from kabinet.housing.selectors import accounts_numbered
from kabinet.jobs.models import Job
from kabinet.jobs.services import job_percent, job_progress
from kabinet.orgs.selectors import is_staff_member, organizations_for


def staff_required(view=None, *, duty: str = "", refusal: str = ""):
    """Staff members only; the view gets ``request.organizations`` to scope every query.

    With ``duty``, only those whose role may change it in one of their organisations
    (``orgs.selectors.ROLE_DUTIES``); the others get 403 with ``refusal``. The same check is the
    view's ``may_open``, which the menus ask before showing a link to it (``navigation``)."""
    if view is None:
        return partial(staff_required, duty=duty, refusal=refusal)

    def entitled(request) -> bool:
        return not duty or may_write(request, duty)

    def may_open(request) -> bool:
        user = request.user
        return user.is_authenticated and is_staff_member(user) and entitled(request)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            raise Http404
        if not entitled(request):
            raise PermissionDenied(refusal)
        request.organizations = organizations_for(request.user)
        return view(request, *args, **kwargs)

    wrapper.may_open = may_open
    return wrapper


def staff_render(request, template, context):
    """A staff page in the admin's frame (header, breadcrumbs, «Бэк-офис» title)."""
    return render(request, template, {**admin.site.each_context(request), **context})


def find_account_page(request, account_page: str, template: str, title: str):
    """A «найти ЛС» page: the accounts of the staff's organisations with the number asked for,
    or straight to ``account_page`` (a URL name taking the account) when found once."""
    form = AccountSearchForm(request.GET or None)
    accounts = []
    if form.is_valid():
        accounts = accounts_numbered(
            form.cleaned_data["number"], organizations=request.organizations
        )
        if len(accounts) == 1:
            return redirect(account_page, accounts[0].pk)
    return staff_render(request, template, {"title": title, "form": form, "accounts": accounts})


@staff_required
def job_detail(request, job_id):
    """A long job's progress; the page refreshes itself until the job is finished."""
    job = get_object_or_404(Job.objects.for_organizations(request.organizations), pk=job_id)
    done, total, failed = job_progress(job)
    return staff_render(
        request,
        "backoffice/job_detail.html",
        {
            "title": job.title,
            "job": job,
            "done": done,
            "total": total,
            "failed": failed,
            "percent": job_percent(job),
        },
    )
