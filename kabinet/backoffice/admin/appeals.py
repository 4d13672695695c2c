"""The back office's appeal topics, appeals and news."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from kabinet.appeals.models import Appeal, News, Topic
from kabinet.appeals.services import publish_news
from kabinet.backoffice.admin.base import OrganizationScopedAdmin


@admin.register(Topic)
class TopicAdmin(OrganizationScopedAdmin):
    """The list of topics residents choose from when they write to the УК."""

    duty = "appeals"
    list_display = ["name", "organization", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "organization"]


@admin.register(Appeal)
class AppealAdmin(OrganizationScopedAdmin):
    """Residents' appeals: find one here, answer it on its own page (the thread)."""

    duty = "appeals"
    list_display = ["thread_link", "created_at", "account", "topic", "status", "updated_at"]
    list_display_links = None
    list_filter = ["status", "topic", "organization"]
    search_fields = ["=number", "account__number", "author__last_name", "author__username"]
    date_hierarchy = "created_at"
    list_select_related = ["account", "topic"]

    @admin.display(description="обращение", ordering="number")
    def thread_link(self, appeal):
        return format_html(
            '<a href="{}">№ {}</a>', reverse("backoffice:appeal", args=[appeal.pk]), appeal.number
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("backoffice:appeal", object_id)

    def has_add_permission(self, request):
        return False  # residents write appeals; staff answer them on the thread page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the УК keeps its correspondence


@admin.register(News)
class NewsAdmin(OrganizationScopedAdmin):
    """News for one house or all the organisation's houses: residents see them on Главная,
    subscribers get them by e-mail once, when published."""

    duty = "appeals"
    list_display = ["title", "audience", "organization", "published_at", "mailed_at"]
    list_filter = ["organization", "house"]
    search_fields = ["title", "text"]
    date_hierarchy = "published_at"
    fields = ["organization", "house", "title", "text"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        job = publish_news(obj, request.user)
        if job is not None:
            self.message_user(
                request,
                format_html(
                    'Новость разошлётся подписчикам письмами: <a href="{}">ход рассылки</a>.',
                    reverse("backoffice:job", args=[job.pk]),
                ),
                messages.INFO,
            )
