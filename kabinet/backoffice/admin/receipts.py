"""The back office's e-receipt deliveries and payment document ids (ИПД)."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from kabinet.backoffice.admin.base import OrganizationScopedAdmin, may_write
from kabinet.billing.models import Period
from kabinet.receipts.models import DeliveryStatus, PaymentDocumentId, ReceiptDelivery, Supplier
from kabinet.receipts.services import release_uncertain
from kabinet.receipts.tasks import start_receipt_mailing


@admin.register(ReceiptDelivery)
class ReceiptDeliveryAdmin(OrganizationScopedAdmin):
    """E-receipts mailed (or not) per account, period and subscriber; the failed ones can be
    mailed again (the mailing sends only what has not gone out yet), and the «uncertain» ones
    once staff have checked the server's log."""

    duty = "billing"
    list_display = ["account", "period", "email", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "period__month"]
    search_fields = ["account__number", "email"]
    list_select_related = ["account", "period"]
    actions = ["mail_again", "mail_uncertain_again"]

    @admin.action(description="Разослать квитанции за период повторно", permissions=["mail"])
    def mail_again(self, request, queryset):
        queryset = self.changeable(request, queryset)
        return self._mail(request, Period.objects.filter(receipt_deliveries__in=queryset))

    @admin.action(
        description="Отправить повторно неподтверждённые (их нет в журнале SMTP-сервера)",
        permissions=["mail"],
    )
    def mail_uncertain_again(self, request, queryset):
        """Letters «не подтверждена» that staff found missing in the SMTP server's log: handed
        to a new mailing of their periods (no mailing sends them on its own)."""
        uncertain = self.changeable(request, queryset).filter(status=DeliveryStatus.UNCERTAIN)
        periods = list(Period.objects.filter(receipt_deliveries__in=uncertain).distinct())
        if not release_uncertain(uncertain):
            self.message_user(
                request, "Среди выбранных нет писем «не подтверждена».", messages.WARNING
            )
            return None
        return self._mail(request, periods)

    def _mail(self, request, periods):
        """Start a mailing of each of ``periods``: to its progress page if one, else listed."""
        jobs = [start_receipt_mailing(period, request.user) for period in dict.fromkeys(periods)]
        if len(jobs) == 1:
            return redirect("backoffice:job", jobs[0].pk)
        for job in jobs:
            messages.info(request, format_html('<a href="{}">{}</a>',
                                               reverse("backoffice:job", args=[job.pk]),
                                               job.title))  # fmt: skip
        return None

    def has_mail_permission(self, request):
        return may_write(request, self.duty)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentDocumentId)
class PaymentDocumentIdAdmin(OrganizationScopedAdmin):
    """ИПД that ГИС ЖКХ gave each account's payment document of a month (printed on it)."""

    duty = "housing"
    list_display = ["value", "account", "period"]
    list_filter = ["period__month"]
    search_fields = ["value", "account__number"]
    list_select_related = ["account", "period"]
    autocomplete_fields = ["account"]


@admin.register(Supplier)
class SupplierAdmin(OrganizationScopedAdmin):
    """The requisites of the suppliers named on services (``Service.supplier``) that are not
    the organisation itself: the payment document gives them for the lines they supply."""

    duty = "billing"
    list_display = ["name", "inn", "phone", "settlement_account"]
    list_filter = ["organization"]
    search_fields = ["name", "inn"]
    fieldsets = [
        (None, {"fields": ["organization", "name", "inn", "kpp"]}),
        ("Адрес и контакты", {"fields": ["address", "phone", "email", "website"]}),
        ("Банковские реквизиты", {"fields": ["bank_name", "bik", "correspondent_account",
                                             "settlement_account"]}),
    ]  # fmt: skip
