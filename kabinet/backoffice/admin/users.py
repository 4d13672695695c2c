"""The back office's account links, link requests and attempts; portal users and their
second factors for the platform admin."""

import allauth.mfa.admin  # noqa: F401  (registers allauth's admin first, replaced below)
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from kabinet.backoffice.admin.base import AuditedAdmin, OrganizationScopedAdmin, ReadOnlyAdmin
from kabinet.housing.models import PersonalAccount
from kabinet.http import client_ip
from kabinet.users import services as users
from kabinet.users.models import AccountLink, LinkAttempt, LinkRequest, LinkRequestStatus, User


@admin.register(AccountLink)
class AccountLinkAdmin(OrganizationScopedAdmin):
    duty = "links"
    list_display = ["account", "user", "created_at"]
    search_fields = ["account__number", "user__username", "user__last_name"]
    raw_id_fields = ["user"]
    list_select_related = ["account", "user"]
    superuser_fields = ("user",)

    def has_add_permission(self, request):
        # A link names a portal user, whom staff do not look up: residents link their accounts
        # themselves or through a request staff approve (``LinkRequestAdmin``).
        return request.user.is_superuser


@admin.register(LinkAttempt)
class LinkAttemptAdmin(ReadOnlyAdmin):
    """Every attempt to link an account, for staff to see who tries what (read-only)."""

    duty = "links"
    list_display = ["created_at", "user", "account_number", "address", "succeeded", "ip_address"]
    list_filter = ["succeeded", "created_at"]
    search_fields = ["account_number", "user__username", "user__last_name", "address"]
    date_hierarchy = "created_at"


@admin.register(LinkRequest)
class LinkRequestAdmin(OrganizationScopedAdmin):
    """Residents' requests to link an account: set «присоединить ЛС» (or write a reply),
    then approve or reject with the actions of the list."""

    duty = "links"
    list_display = ["__str__", "created_at", "user", "premise", "account_number", "status"]
    list_filter = ["status", "created_at"]
    search_fields = ["account_number", "user__username", "user__last_name", "message"]
    fields = ["user", "premise", "account_number", "message", "status", "account", "staff_reply",
              "decided_by", "decided_at"]  # fmt: skip
    readonly_fields = ["user", "premise", "account_number", "message", "status", "decided_by",
                       "decided_at"]  # fmt: skip
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        object_id = request.resolver_match.kwargs.get("object_id")
        link_request = object_id and self.get_queryset(request).filter(pk=object_id).first()
        if db_field.name == "account" and link_request:
            kwargs["queryset"] = PersonalAccount.objects.filter(
                organization=link_request.organization
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(
        description="Одобрить: присоединить лицевой счёт и сообщить жителю", permissions=["change"]
    )
    def approve(self, request, queryset):
        def approve(link_request, staff_user):
            users.approve_link_request(link_request, staff_user, ip=client_ip(request))

        self._decide(request, queryset, approve, "одобрено")

    @admin.action(description="Отклонить и сообщить жителю причину", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, users.reject_link_request, "отклонено")

    def _decide(self, request, queryset, decide, done):
        count = 0
        for link_request in self.changeable(request, queryset).filter(status=LinkRequestStatus.NEW):
            try:
                decide(link_request, request.user)
                count += 1
            except users.DecisionError as error:
                self.message_user(request, str(error), messages.ERROR)
        if count:
            self.message_user(request, f"Запросов {done}: {count}.", messages.SUCCESS)


admin.site.unregister(Authenticator)  # allauth's own shows the TOTP secret and lets it be edited


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Users' second factors, for the platform admin to reset a lost one (delete it; the user
    sets up a new one at the next sign-in). The secret itself is never shown."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    """Portal users are managed by the platform admin only (their data are not one УК's); a
    change of their rights (superuser, staff, active) is in the audit log."""

    list_display = ["username", "email", "last_name", "first_name", "middle_name", "is_staff"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets[:1],
        ("Личные данные", {"fields": ["last_name", "first_name", "middle_name", "email", "phone"]}),
        *DjangoUserAdmin.fieldsets[2:],
    ]
    search_fields = ["username", "email", "last_name", "first_name"]

    # Said here, not left to Django's model permissions: staff never list, search (autocomplete
    # and raw-id pop-ups ask this admin) or open portal users.
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
