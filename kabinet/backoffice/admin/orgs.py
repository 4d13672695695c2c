"""The back office's organisations and their staff (roles are the platform admin's)."""

from django.contrib import admin

from kabinet.backoffice.admin.base import OrganizationScopedAdmin, OrganizationScopedInline
from kabinet.backoffice.admin.rows import LabelledInlineFormSet
from kabinet.http import client_ip
from kabinet.orgs.models import Organization, StaffMembership
from kabinet.orgs.services import add_staff_member
from kabinet.payments.models import PaymentCommission


class StaffMembershipInline(admin.TabularInline):
    formset = LabelledInlineFormSet
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


class PaymentCommissionInline(OrganizationScopedInline):
    """«Комиссия онлайн-оплаты»: the percent passed on to the payer, dated (no row — none)."""

    model = PaymentCommission
    extra = 0
    fields = ["valid_from", "valid_to", "percent"]


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    duty = "organization"
    list_display = ["name", "inn", "kpp", "phone", "email"]
    search_fields = ["name", "inn", "ogrn"]
    fieldsets = [
        (None, {"fields": ["name", "inn", "kpp", "ogrn", "address", "phone", "email", "website"]}),
        ("Аварийно-диспетчерская служба", {"fields": ["dispatch_phone", "dispatch_hours"]}),
        (
            "Банковские реквизиты",
            {
                "fields": [
                    "bank_name",
                    "bank_short_name",
                    "bik",
                    "correspondent_account",
                    "settlement_account",
                ]
            },
        ),
        ("Приём показаний", {"fields": ["readings_from_day", "readings_to_day"]}),
        (
            "Онлайн-оплата",
            {
                "fields": [
                    "online_payment_limit",
                    "tax_system_code",
                    "vat_code",
                    "receipt_items",
                ]
            },
        ),
    ]

    def get_inlines(self, request, obj):
        if request.user.is_superuser:
            return [PaymentCommissionInline, StaffMembershipInline]
        return [PaymentCommissionInline]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(StaffMembership)
class StaffMembershipAdmin(OrganizationScopedAdmin):
    duty = "staff"  # managed by the platform admin (a superuser)
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__last_name", "organization__name"]
    autocomplete_fields = ["user"]
    superuser_fields = ("user",)

    def save_model(self, request, obj, form, change):
        # add_staff_member logs the role (the deletions are logged by the base class).
        obj.pk = add_staff_member(
            obj.user, obj.organization, obj.role, by=request.user, ip=client_ip(request)
        ).pk
