"""The back office's audit log, read-only."""

from django.contrib import admin

from kabinet.audit.models import AuditEntry
from kabinet.audit.selectors import audit_entries_for, can_read_audit


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: superusers read all of it, an organisation's manager their
    organisation's entries; nobody adds, changes or deletes an entry (the model refuses too).
    Not an ``OrganizationScopedAdmin``: its readers are fewer than the organisation's staff."""

    list_display = ["at", "actor_name", "ip", "organization", "action", "object_repr", "amount"]
    list_filter = ["action", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["actor_name", "object_repr", "object_id", "ip"]
    date_hierarchy = "at"
    fields = ["at", "actor", "actor_name", "ip", "organization", "action", "object_type",
              "object_id", "object_repr", "changes", "amount"]  # fmt: skip
    readonly_fields = fields
    list_select_related = ["organization"]

    def get_queryset(self, request):
        return audit_entries_for(request.user).select_related("organization", "actor")

    def has_module_permission(self, request):
        return can_read_audit(request.user)

    def has_view_permission(self, request, obj=None):
        return can_read_audit(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
