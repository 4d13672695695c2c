"""The back office: Django admin, each staff user confined to their own organisations.

Every model admin here derives from ``OrganizationScopedAdmin``: its list, its objects and the
choices of its related fields come from ``for_organizations(organizations_for(user))``, and what
a user may change follows their role (``orgs.selectors.can_change``).
"""

import re

from django.contrib import admin, messages
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from kabinet.appeals.models import Appeal, News, Topic
from kabinet.appeals.services import publish_news
from kabinet.billing.models import (
    AccountBalance,
    Charge,
    KeyRate,
    Penalty,
    Period,
    Recalculation,
    Service,
    Tariff,
)
from kabinet.fields import ColumnDecimalField
from kabinet.housing.models import (
    ContractDocument,
    House,
    ManagementContract,
    PersonalAccount,
    Premise,
)
from kabinet.jobs.models import Job
from kabinet.metering.models import Meter, Reading
from kabinet.orgs.models import Organization, StaffMembership
from kabinet.orgs.selectors import can_change, is_staff_member, organizations_for
from kabinet.orgs.services import add_staff_member
from kabinet.payments.models import OnlinePayment, Payment, PaymentRegistry
from kabinet.receipts.models import ReceiptDelivery
from kabinet.receipts.services import start_receipt_mailing
from kabinet.users import services as users
from kabinet.users.models import AccountLink, LinkAttempt, LinkRequest, LinkRequestStatus, User

HUGE_NUMBER = re.compile(r"\s*-?\d{19,}\s*")

admin.site.site_header = "Личный кабинет: бэк-офис управляющей организации"
admin.site.site_title = "Бэк-офис"
admin.site.index_title = "Управление"


class OrganizationScopedAdmin(admin.ModelAdmin):
    area = ""  # what a role must be allowed to change (see orgs.selectors.WRITABLE_AREAS)
    superuser_fields: tuple[str, ...] = ()  # read-only for staff (user references)
    # Numbers through the portal's one parser: ASCII digits, no more than the column holds.
    formfield_overrides = {models.DecimalField: {"form_class": ColumnDecimalField}}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.for_organizations(organizations_for(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        manager = db_field.related_model._default_manager
        if not request.user.is_superuser and hasattr(manager, "for_organizations"):
            kwargs["queryset"] = manager.for_organizations(organizations_for(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return readonly
        return (*readonly, *self.superuser_fields)

    def has_module_permission(self, request):
        return is_staff_member(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user)

    def has_add_permission(self, request):
        return can_change(request.user, self.area)

    def has_change_permission(self, request, obj=None):
        return can_change(request.user, self.area)

    def has_delete_permission(self, request, obj=None):
        return can_change(request.user, self.area)

    def changelist_view(self, request, extra_context=None):
        # A filter by a number of more than 18 digits finds nothing, but SQLite cannot even
        # compare it with a related id (OverflowError): the list says its filter is wrong.
        if any(HUGE_NUMBER.fullmatch(part) for v in request.GET.values() for part in v.split(",")):
            return redirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    area = "organization"
    list_display = ["name", "inn", "kpp", "phone", "email"]
    search_fields = ["name", "inn", "ogrn"]
    fieldsets = [
        (None, {"fields": ["name", "inn", "kpp", "ogrn", "address", "phone", "email", "website"]}),
        (
            "Банковские реквизиты",
            {"fields": ["bank_name", "bik", "correspondent_account", "settlement_account"]},
        ),
        ("Приём показаний", {"fields": ["readings_from_day", "readings_to_day"]}),
        ("Онлайн-оплата", {"fields": ["online_payment_limit"]}),
    ]

    def get_inlines(self, request, obj):
        return [StaffMembershipInline] if request.user.is_superuser else []

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(StaffMembership)
class StaffMembershipAdmin(OrganizationScopedAdmin):
    area = "staff"  # managed by the platform admin (a superuser)
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__last_name", "organization__name"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        obj.pk = add_staff_member(obj.user, obj.organization, obj.role).pk


@admin.register(House)
class HouseAdmin(OrganizationScopedAdmin):
    area = "housing"
    list_display = ["address", "organization"]
    list_filter = ["organization"]
    search_fields = ["address"]


@admin.register(Premise)
class PremiseAdmin(OrganizationScopedAdmin):
    area = "housing"
    list_display = ["__str__", "area", "ownership"]
    list_filter = ["ownership", "house"]
    search_fields = ["number", "house__address"]
    list_select_related = ["house"]


@admin.register(PersonalAccount)
class PersonalAccountAdmin(OrganizationScopedAdmin):
    area = "housing"
    list_display = ["number", "holder_name", "premise", "residents", "is_open"]
    list_filter = ["is_open", "organization", "premise__house"]
    search_fields = ["number", "holder_name", "premise__house__address"]
    list_select_related = ["premise__house"]


@admin.register(Service)
class ServiceAdmin(OrganizationScopedAdmin):
    area = "billing"
    list_display = ["name", "unit", "method", "resource", "supplier", "position"]
    list_filter = ["method", "resource", "organization"]
    search_fields = ["name", "supplier"]


@admin.register(Tariff)
class TariffAdmin(OrganizationScopedAdmin):
    area = "billing"
    list_display = ["service", "house", "value", "valid_from", "valid_to"]
    list_filter = ["service", "house", "service__organization"]
    search_fields = ["service__name"]
    date_hierarchy = "valid_from"
    list_select_related = ["service", "house"]


@admin.register(Period)
class PeriodAdmin(OrganizationScopedAdmin):
    area = "billing"
    list_display = ["__str__", "organization", "status", "closed_at"]
    list_filter = ["status", "organization"]


@admin.register(Charge)
class ChargeAdmin(OrganizationScopedAdmin):
    area = "billing"
    list_display = ["account", "service", "period", "tariff", "volume", "charged", "recalculation",
                    "total"]  # fmt: skip
    list_filter = ["period__month", "service", "period__organization"]
    search_fields = ["account__number", "account__holder_name"]
    list_select_related = ["account", "service", "period"]
    readonly_fields = ["total"]


@admin.register(Recalculation)
class RecalculationAdmin(OrganizationScopedAdmin):
    area = "billing"
    list_display = ["account", "service", "amount", "period", "corrected_period", "reason"]
    list_filter = ["period__month", "service"]
    search_fields = ["account__number", "reason"]
    list_select_related = ["account", "service", "period", "corrected_period"]
    superuser_fields = ("created_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(KeyRate)
class KeyRateAdmin(OrganizationScopedAdmin):
    """The key rate of the Bank of Russia by dates: the penalties of a run are counted by it."""

    area = "billing"
    list_display = ["valid_from", "rate", "organization"]
    list_filter = ["organization"]
    date_hierarchy = "valid_from"


@admin.register(Payment)
class PaymentAdmin(OrganizationScopedAdmin):
    area = "payments"
    list_display = ["account", "paid_on", "amount", "source", "external_id", "period"]
    list_filter = ["source", "paid_on"]
    search_fields = ["account__number", "external_id", "payer_name"]
    date_hierarchy = "paid_on"
    list_select_related = ["account"]


class ReadOnlyAdmin(OrganizationScopedAdmin):
    """Records that only their own process creates and changes (imports, gateways, logs)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    """The day ranges of the penalties a run counted (the run writes them; read-only)."""

    list_display = ["account", "period", "debt_month", "date_from", "date_to", "debt", "rate",
                    "fraction", "amount"]  # fmt: skip
    list_filter = ["period__month", "period__organization"]
    search_fields = ["account__number"]
    list_select_related = ["account", "period"]


@admin.register(AccountBalance)
class AccountBalanceAdmin(ReadOnlyAdmin):
    """Each account's figures of a closed period (stored when it is closed; read-only)."""

    list_display = ["account", "period", "opening", "charged", "recalculation", "penalties",
                    "paid", "closing"]  # fmt: skip
    list_filter = ["period__month", "period__organization"]
    search_fields = ["account__number", "account__holder_name"]
    list_select_related = ["account", "period"]


@admin.register(OnlinePayment)
class OnlinePaymentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "created_at", "status", "provider", "gateway_id", "paid_at"]
    list_filter = ["status", "provider", "created_at"]
    search_fields = ["account__number", "gateway_id", "email"]
    date_hierarchy = "created_at"
    list_select_related = ["account"]


@admin.register(Meter)
class MeterAdmin(OrganizationScopedAdmin):
    area = "metering"
    list_display = ["serial_number", "resource", "account", "house", "place", "verification_due",
                    "is_active"]  # fmt: skip
    list_filter = ["resource", "is_active"]
    search_fields = ["serial_number", "account__number", "house__address"]
    list_select_related = ["account", "house"]
    change_list_template = "backoffice/meters/admin_change_list.html"


@admin.register(Reading)
class ReadingAdmin(OrganizationScopedAdmin):
    """Readings are entered on the readings pages (``backoffice:readings``), where the rules
    of a reading apply; here staff find them, and remove a wrong one."""

    area = "metering"
    list_display = ["meter", "period", "value", "taken_on", "source"]
    list_filter = ["source", "period", "meter__resource"]
    search_fields = ["meter__serial_number", "meter__account__number"]
    list_select_related = ["meter"]
    superuser_fields = ("submitted_by",)
    change_list_template = "backoffice/meters/admin_change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccountLink)
class AccountLinkAdmin(OrganizationScopedAdmin):
    area = "links"
    list_display = ["account", "user", "created_at"]
    search_fields = ["account__number", "user__username", "user__last_name"]
    raw_id_fields = ["user"]
    list_select_related = ["account", "user"]


class ContractDocumentInline(admin.TabularInline):
    model = ContractDocument
    extra = 1


@admin.register(ManagementContract)
class ManagementContractAdmin(OrganizationScopedAdmin):
    area = "housing"
    list_display = ["__str__", "house", "valid_from", "valid_to"]
    list_filter = ["house"]
    search_fields = ["number", "house__address"]
    inlines = [ContractDocumentInline]


@admin.register(LinkAttempt)
class LinkAttemptAdmin(ReadOnlyAdmin):
    """Every attempt to link an account, for staff to see who tries what (read-only)."""

    area = "links"
    list_display = ["created_at", "user", "account_number", "address", "succeeded", "ip_address"]
    list_filter = ["succeeded", "created_at"]
    search_fields = ["account_number", "user__username", "user__last_name", "address"]
    date_hierarchy = "created_at"


@admin.register(LinkRequest)
class LinkRequestAdmin(OrganizationScopedAdmin):
    """Residents' requests to link an account: set «присоединить ЛС» (or write a reply),
    then approve or reject with the actions of the list."""

    area = "links"
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

    @admin.action(description="Одобрить: присоединить лицевой счёт и сообщить жителю")
    def approve(self, request, queryset):
        self._decide(request, queryset, users.approve_link_request, "одобрено")

    @admin.action(description="Отклонить и сообщить жителю причину")
    def reject(self, request, queryset):
        self._decide(request, queryset, users.reject_link_request, "отклонено")

    def _decide(self, request, queryset, decide, done):
        count = 0
        for link_request in queryset.filter(status=LinkRequestStatus.NEW):
            try:
                decide(link_request, request.user)
                count += 1
            except users.DecisionError as error:
                self.message_user(request, str(error), messages.ERROR)
        if count:
            self.message_user(request, f"Запросов {done}: {count}.", messages.SUCCESS)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Portal users are managed by the platform admin only (their data are not one УК's)."""

    list_display = ["username", "email", "last_name", "first_name", "middle_name", "is_staff"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets[:1],
        ("Личные данные", {"fields": ["last_name", "first_name", "middle_name", "email", "phone"]}),
        *DjangoUserAdmin.fieldsets[2:],
    ]
    search_fields = ["username", "email", "last_name", "first_name"]


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


@admin.register(Topic)
class TopicAdmin(OrganizationScopedAdmin):
    """The list of topics residents choose from when they write to the УК."""

    area = "appeals"
    list_display = ["name", "organization", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", ("organization", admin.RelatedOnlyFieldListFilter)]


@admin.register(Appeal)
class AppealAdmin(OrganizationScopedAdmin):
    """Residents' appeals: find one here, answer it on its own page (the thread)."""

    area = "appeals"
    list_display = ["thread_link", "created_at", "account", "topic", "status", "updated_at"]
    list_display_links = None
    list_filter = [
        "status",
        ("topic", admin.RelatedOnlyFieldListFilter),
        ("organization", admin.RelatedOnlyFieldListFilter),
    ]
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

    area = "appeals"
    list_display = ["title", "audience", "organization", "published_at", "mailed_at"]
    list_filter = [("organization", admin.RelatedOnlyFieldListFilter), "house"]
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


@admin.register(ReceiptDelivery)
class ReceiptDeliveryAdmin(OrganizationScopedAdmin):
    """E-receipts mailed (or not) per account, period and subscriber; the failed ones can be
    mailed again (the mailing sends only what has not gone out yet)."""

    area = "billing"
    list_display = ["account", "period", "email", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "period__month"]
    search_fields = ["account__number", "email"]
    list_select_related = ["account", "period"]
    actions = ["mail_again"]

    @admin.action(description="Разослать квитанции за период повторно", permissions=["mail"])
    def mail_again(self, request, queryset):
        periods = Period.objects.filter(receipt_deliveries__in=queryset).distinct()
        jobs = [start_receipt_mailing(period, request.user) for period in periods]
        if len(jobs) == 1:
            return redirect("backoffice:job", jobs[0].pk)
        for job in jobs:
            messages.info(request, format_html('<a href="{}">{}</a>',
                                               reverse("backoffice:job", args=[job.pk]),
                                               job.title))  # fmt: skip
        return None

    def has_mail_permission(self, request):
        return can_change(request.user, self.area)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
