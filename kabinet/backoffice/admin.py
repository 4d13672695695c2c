"""The back office: Django admin, each staff user confined to their own organisations.

Every model admin here derives from ``OrganizationScopedAdmin``, which holds the rules in one
place:

- a staff member *sees* the records of all their organisations (``organizations_for``);
- they *change* a record only if their role in the record's own organisation may write the
  admin's ``area`` (``orgs.selectors.organizations_to_change``; the organisation of a record is
  found by ``orgs.scoping.organization_id_of``) — an accountant of one УК who is operator of
  another keeps the books of the first only; without a record, «add» and the lists ask whether
  the role may write in any of their organisations;
- the choices of related fields (the organisation itself, houses, accounts, services…) are the
  records of the organisations where the role may write, so nothing is added to or moved into
  another one (a posted id outside them is a form error); admin actions and list edits check
  each chosen record's organisation; ``OrganizationScopedInline`` does the same for inlines;
- the filter sidebars list only the user's organisations' houses, services, periods…
  (``ScopedRelatedFieldListFilter``);
- portal users are the platform admin's: staff never look them up (no user pop-ups or search,
  user fields read-only, ``UserAdmin`` for superusers only).
"""

import re
from decimal import Decimal

import allauth.mfa.admin  # noqa: F401  (registers allauth's admin first, replaced below)
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from kabinet.appeals.models import Appeal, News, Topic
from kabinet.appeals.services import publish_news
from kabinet.audit import services as audit
from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.audit.selectors import audit_entries_for, can_read_audit
from kabinet.billing.models import (
    AccountBalance,
    CapitalRepairFund,
    Charge,
    IncreasingCoefficient,
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
from kabinet.http import client_ip
from kabinet.jobs.models import Job
from kabinet.metering.models import Meter, MeterImpossible, Reading
from kabinet.orgs.models import Organization, StaffMembership
from kabinet.orgs.scoping import organization_id_of, organization_of
from kabinet.orgs.selectors import is_staff_member, organizations_for, organizations_to_change
from kabinet.orgs.services import add_staff_member
from kabinet.payments.models import OnlinePayment, Payment, PaymentRegistry
from kabinet.receipts.models import PaymentDocumentId, ReceiptDelivery
from kabinet.receipts.services import start_receipt_mailing
from kabinet.users import services as users
from kabinet.users.models import AccountLink, LinkAttempt, LinkRequest, LinkRequestStatus, User

HUGE_NUMBER = re.compile(r"\s*-?\d{19,}\s*")

admin.site.site_header = "Личный кабинет: бэк-офис управляющей организации"
admin.site.site_title = "Бэк-офис"
admin.site.index_title = "Управление"

# Changes of these in the admin go into the audit log (money and rights; kabinet.audit).
AUDITED_MODELS = {Organization, StaffMembership, Tariff, Period, Charge, Recalculation, KeyRate,
                  Payment, AccountLink, User, CapitalRepairFund}  # fmt: skip


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A filter sidebar of related records (houses, services, periods…) that lists only the
    user's organisations' ones; registered below for every relation of every list."""

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        related = field.related_model._default_manager.all()
        if hasattr(related, "for_organizations"):
            shown = related.for_organizations(organizations_for(request.user))
        else:  # records of no organisation (users): only those the user's list refers to
            listed = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
            shown = related.filter(pk__in=listed)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to=Q(pk__in=shown.values("pk"))
        )


admin.FieldListFilter.register(
    lambda field: field.remote_field, ScopedRelatedFieldListFilter, take_priority=True
)


def _writable_organization_ids(request, area: str) -> set[int]:
    """The organisations where the user's role may change ``area``, asked once per request."""
    cache = request.__dict__.setdefault("_writable_organization_ids", {})
    if area not in cache:
        cache[area] = set(organizations_to_change(request.user, area).values_list("pk", flat=True))
    return cache[area]


def may_write(request, area: str, obj=None) -> bool:
    """Whether the user may change ``area`` in ``obj``'s organisation or, without ``obj``, in
    any of their organisations (so that «add» and the lists show)."""
    if request.user.is_superuser:
        return True
    writable = _writable_organization_ids(request, area)
    if obj is None:
        return bool(writable)
    return organization_id_of(obj) in writable


def _related_choices(request, area: str, db_field, queryset):
    """A related field's choices for staff: the records of the organisations where the role
    may write ``area``."""
    related = queryset if queryset is not None else db_field.related_model._default_manager.all()
    if request.user.is_superuser or not hasattr(related, "for_organizations"):
        return queryset  # users: such fields are read-only for staff (``superuser_fields``)
    return related.for_organizations(_writable_organization_ids(request, area))


class AuditedAdmin(admin.ModelAdmin):
    """The audit log of the admin's changes, the one place for every model in AUDITED_MODELS:
    forms, inlines, deletions one by one and by the list's action."""

    def save_model(self, request, obj, form, change):
        before = self._stored_snapshot(obj) if change else None
        super().save_model(request, obj, form, change)
        if change:
            self._audit(request, obj, AuditAction.CHANGED, audit.changed(before or {}, obj))
        else:
            self._audit(request, obj, AuditAction.ADDED, audit.added(obj))

    def delete_model(self, request, obj):
        self._audit(request, obj, AuditAction.DELETED, audit.deleted(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            if queryset.model in AUDITED_MODELS:
                for obj in queryset:
                    self._audit(request, obj, AuditAction.DELETED, audit.deleted(obj))
            super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        if formset.model not in AUDITED_MODELS:
            return super().save_formset(request, form, formset, change)
        for inline in formset.deleted_forms:
            if inline.instance.pk is not None:
                self._audit(request, inline.instance, AuditAction.DELETED,
                            audit.deleted(inline.instance))  # fmt: skip
        before = {
            inline.instance.pk: self._stored_snapshot(inline.instance)
            for inline in formset.initial_forms
            if inline.has_changed() and inline not in formset.deleted_forms
        }
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._audit(request, obj, AuditAction.ADDED, audit.added(obj))
        for obj, _ in formset.changed_objects:
            self._audit(request, obj, AuditAction.CHANGED,
                        audit.changed(before.get(obj.pk) or {}, obj))  # fmt: skip
        return None

    @staticmethod
    def _stored_snapshot(obj) -> dict | None:
        if type(obj) not in AUDITED_MODELS:
            return None
        stored = type(obj)._base_manager.filter(pk=obj.pk).first()
        return audit.snapshot(stored) if stored else None

    @staticmethod
    def _audit(request, obj, action, changes) -> None:
        if type(obj) not in AUDITED_MODELS or (action == AuditAction.CHANGED and not changes):
            return
        amount = getattr(obj, "amount", None)
        audit.record(
            action=action,
            organization=organization_of(obj),
            actor=request.user,
            ip=client_ip(request),
            obj=obj,
            changes=changes,
            amount=amount if isinstance(amount, Decimal) else None,
        )


class OrganizationScopedAdmin(AuditedAdmin):
    """The base of every model admin of the back office (the rules are in the module's
    docstring): what a subclass narrows, it narrows further, never wider."""

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
        queryset = _related_choices(request, self.area, db_field, kwargs.get("queryset"))
        if queryset is not None:
            kwargs["queryset"] = queryset
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
        return may_write(request, self.area)

    def has_change_permission(self, request, obj=None):
        return may_write(request, self.area, obj)

    def has_delete_permission(self, request, obj=None):
        return may_write(request, self.area, obj)

    def save_form(self, request, form, change):
        # The change form has asked already; an edit in the list («list_editable») has not.
        if change and not self.has_change_permission(request, form.instance):
            raise PermissionDenied
        return super().save_form(request, form, change)

    def changeable(self, request, queryset):
        """The records an admin action acts on: all of ``queryset`` if the role may change
        this area in each record's organisation, else none (and the user is told why)."""
        if request.user.is_superuser:
            return queryset
        allowed = queryset.for_organizations(_writable_organization_ids(request, self.area))
        if queryset.exclude(pk__in=allowed.values("pk")).exists():
            self.message_user(
                request,
                "Действие не выполнено: среди выбранных записей есть записи организации, "
                "где ваша роль не даёт права их менять.",
                messages.ERROR,
            )
            return queryset.none()
        return queryset


class OrganizationScopedInline(admin.TabularInline):
    """Records edited inside their parent's page, with the rights of the parent's admin in the
    parent's organisation."""

    def _area(self) -> str:
        return self.admin_site.get_model_admin(self.parent_model).area

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = _related_choices(request, self._area(), db_field, kwargs.get("queryset"))
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user)

    def has_add_permission(self, request, obj):
        return may_write(request, self._area(), obj)

    def has_change_permission(self, request, obj=None):
        return may_write(request, self._area(), obj)

    def has_delete_permission(self, request, obj=None):
        return may_write(request, self._area(), obj)


class ClosedPeriodReadOnly:
    """A closed period and its rows are shown, never changed or deleted (the models refuse it
    too): corrections are recalculations in the open period."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self.of_closed_period(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.of_closed_period(obj)

    @staticmethod
    def of_closed_period(obj) -> bool:
        if obj is None:
            return False
        period = obj if isinstance(obj, Period) else obj.period
        return period.is_closed

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
    superuser_fields = ("user",)

    def save_model(self, request, obj, form, change):
        # add_staff_member logs the role (the deletions are logged by the base class).
        obj.pk = add_staff_member(
            obj.user, obj.organization, obj.role, by=request.user, ip=client_ip(request)
        ).pk


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
    fieldsets = [
        (None, {"fields": ["organization", "number", "holder_name", "premise", "share",
                           "residents", "owners", "is_open", "opened_on", "closed_on"]}),
        # Printed on the payment document (Приказ Минстроя России № 43/пр, раздел 1).
        ("ГИС ЖКХ", {"fields": ["unified_account", "gis_service_id"]}),
    ]  # fmt: skip


@admin.register(Service)
class ServiceAdmin(OrganizationScopedAdmin):
    area = "billing"
    list_display = ["name", "unit", "method", "resource", "supplier", "position"]
    list_filter = ["method", "resource", "organization"]
    search_fields = ["name", "supplier"]


@admin.register(CapitalRepairFund)
class CapitalRepairFundAdmin(OrganizationScopedAdmin):
    """Which houses collect capital repair contributions, and the payee's bank details that
    their receipts' own section and QR code carry (a house without one bills none)."""

    area = "billing"
    list_display = ["house", "kind", "payee_name", "settlement_account"]
    list_filter = ["kind", "house__organization"]
    search_fields = ["house__address", "payee_name", "inn"]
    list_select_related = ["house"]
    fieldsets = [
        (None, {"fields": ["house", "kind"]}),
        ("Получатель взносов", {"fields": ["payee_name", "inn", "kpp", "bank_name",
                                           "bank_short_name", "bik", "correspondent_account",
                                           "settlement_account"]}),
    ]  # fmt: skip


@admin.register(Tariff)
class TariffAdmin(OrganizationScopedAdmin):
    area = "billing"
    list_display = ["service", "house", "value", "valid_from", "valid_to"]
    list_filter = ["service", "house", "service__organization"]
    search_fields = ["service__name"]
    date_hierarchy = "valid_from"
    list_select_related = ["service", "house"]


@admin.register(Period)
class PeriodAdmin(ClosedPeriodReadOnly, OrganizationScopedAdmin):
    """Periods are opened and closed by the billing pages (``services.close_period``) only."""

    area = "billing"
    list_display = ["__str__", "organization", "status", "closed_at"]
    list_filter = ["status", "organization"]
    readonly_fields = ["status", "calculated_at", "closed_at"]


@admin.register(Charge)
class ChargeAdmin(ClosedPeriodReadOnly, OrganizationScopedAdmin):
    area = "billing"
    list_display = ["account", "service", "period", "tariff", "volume", "charged", "recalculation",
                    "total"]  # fmt: skip
    list_filter = ["period__month", "service", "period__organization"]
    search_fields = ["account__number", "account__holder_name"]
    list_select_related = ["account", "service", "period"]
    readonly_fields = ["total"]


@admin.register(Recalculation)
class RecalculationAdmin(ClosedPeriodReadOnly, OrganizationScopedAdmin):
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
    list_display = ["valid_from", "rate", "organization", "source"]
    list_filter = ["organization"]
    date_hierarchy = "valid_from"

    def get_queryset(self, request):
        """Staff see the shipped history too (read-only) beside their organisation's rows."""
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset | self.model.objects.filter(organization__isnull=True)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organization" and not request.user.is_superuser:
            field.required = True  # rates without an organisation are shipped with the portal
        return field

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.organization_id is None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )


@admin.register(IncreasingCoefficient)
class IncreasingCoefficientAdmin(KeyRateAdmin):
    """The increasing coefficients to the normative by resource and dates (Правила № 354
    п. 42): the federal values are shipped, an organisation's own rows replace them."""

    list_display = ["resource", "value", "valid_from", "valid_to", "organization", "source"]
    list_filter = ["resource", "organization"]


@admin.register(MeterImpossible)
class MeterImpossibleAdmin(OrganizationScopedAdmin):
    """Premises where a meter of a resource cannot be installed (an act of inspection): their
    normative is charged without the increasing coefficient."""

    area = "metering"
    list_display = ["premise", "resource", "established_on", "basis"]
    list_filter = ["resource"]
    search_fields = ["premise__number", "premise__house__address"]
    list_select_related = ["premise__house"]


@admin.register(Payment)
class PaymentAdmin(OrganizationScopedAdmin):
    area = "payments"
    list_display = ["account", "paid_on", "amount", "source", "capital_repair", "external_id",
                    "period"]  # fmt: skip
    list_filter = ["source", "capital_repair", "paid_on"]
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
                    "fraction", "rule", "capital_repair", "amount"]  # fmt: skip
    list_filter = ["capital_repair", "period__month", "period__organization"]
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
    superuser_fields = ("user",)

    def has_add_permission(self, request):
        # A link names a portal user, whom staff do not look up: residents link their accounts
        # themselves or through a request staff approve (``LinkRequestAdmin``).
        return request.user.is_superuser


class ContractDocumentInline(OrganizationScopedInline):
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
    list_filter = ["is_active", "organization"]


@admin.register(Appeal)
class AppealAdmin(OrganizationScopedAdmin):
    """Residents' appeals: find one here, answer it on its own page (the thread)."""

    area = "appeals"
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

    area = "appeals"
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
        queryset = self.changeable(request, queryset)
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
        return may_write(request, self.area)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentDocumentId)
class PaymentDocumentIdAdmin(OrganizationScopedAdmin):
    """ИПД that ГИС ЖКХ gave each account's payment document of a month (printed on it)."""

    area = "housing"
    list_display = ["value", "account", "period"]
    list_filter = ["period__month"]
    search_fields = ["value", "account__number"]
    list_select_related = ["account", "period"]
    autocomplete_fields = ["account"]


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
