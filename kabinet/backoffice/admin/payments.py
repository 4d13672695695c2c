"""The back office's payments, payment registries and online payments."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from kabinet.backoffice.admin.base import OrganizationScopedAdmin, ReadOnlyAdmin
from kabinet.payments.models import OnlinePayment, OnlinePaymentPart, Payment, PaymentRegistry


@admin.register(Payment)
class PaymentAdmin(OrganizationScopedAdmin):
    duty = "payments"
    list_display = ["account", "paid_on", "amount", "source", "capital_repair", "external_id",
                    "period"]  # fmt: skip
    list_filter = ["source", "capital_repair", "paid_on"]
    search_fields = ["account__number", "external_id", "payer_name"]
    date_hierarchy = "paid_on"
    list_select_related = ["account"]


@admin.register(PaymentRegistry)
class PaymentRegistryAdmin(ReadOnlyAdmin):
    """Registries are uploaded and shown on their own staff pages; this list finds them."""

    list_display = ["__str__", "organization", "uploaded_at", "status", "rows_total",
                    "rows_credited", "amount_credited", "registry_link"]  # fmt: skip
    list_filter = ["status", "organization"]
    search_fields = ["file_name"]
    date_hierarchy = "uploaded_at"

    @admin.display(description="подробно")
    def registry_link(self, registry):
        return format_html(
            '<a href="{}">открыть</a>', reverse("backoffice:registry", args=[registry.pk])
        )


class OnlinePaymentPartInline(admin.TabularInline):
    """The accounts a payment of several accounts pays, and the payment each was credited."""

    model = OnlinePaymentPart
    fields = readonly_fields = ["account", "amount", "payment"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OnlinePayment)
class OnlinePaymentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "created_at", "status", "provider", "gateway_id", "paid_at",
                    "commission", "fiscal_receipt_status"]  # fmt: skip
    inlines = [OnlinePaymentPartInline]
    list_filter = ["status", "fiscal_receipt_status", "provider", "created_at"]
    search_fields = ["account__number", "gateway_id", "email"]
    date_hierarchy = "created_at"
    list_select_related = ["account"]
