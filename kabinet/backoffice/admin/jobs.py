"""The back office's list of long jobs (each runs and shows its progress on its own page)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from kabinet.backoffice.admin.base import OrganizationScopedAdmin
from kabinet.jobs.models import Job


@admin.register(Job)
class JobAdmin(OrganizationScopedAdmin):
    """Long jobs are started from their own pages; here staff find them and their progress."""

    list_display = ["title", "organization", "status", "progress_link", "created_by", "created_at"]
    list_filter = ["status", "kind", "organization"]
    search_fields = ["title"]

    @admin.display(description="ход выполнения")
    def progress_link(self, job):
        return format_html(
            '<a href="{}">{} из {}</a>',
            reverse("backoffice:job", args=[job.pk]),
            job.done,
            job.total,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
