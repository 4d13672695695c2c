"""Staff pages beyond the admin's lists: each starts from the staff user's organisations."""

from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from kabinet.jobs.models import Job
from kabinet.jobs.services import job_percent, job_progress
from kabinet.orgs.selectors import is_staff_member, organizations_for


def staff_required(view):
    """Staff members only; the view gets ``request.organizations`` to scope every query."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            raise Http404
        request.organizations = organizations_for(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def staff_render(request, template, context):
    """A staff page in the admin's frame (header, breadcrumbs, «Бэк-офис» title)."""
    return render(request, template, {**admin.site.each_context(request), **context})


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
