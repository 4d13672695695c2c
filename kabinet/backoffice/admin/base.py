"""The base of the back office's admin: each staff user confined to their own organisations.

Every model admin of the back office (the modules of ``kabinet.backoffice.admin``, one per
domain) derives from ``OrganizationScopedAdmin``, which holds the rules in one place:

- a staff member *sees* the records of all their organisations (``organizations_for``);
- they *change* a record only if their role in the record's own organisation may write the
  admin's ``duty`` (``orgs.selectors.organizations_to_change``; the organisation of a record is
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

from django.contrib import admin, messages
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.shortcuts import redirect

from kabinet.audit import services as audit
from kabinet.audit.models import AuditAction
from kabinet.backoffice.admin.rows import LabelledInlineFormSet, LabelledModelFormSet
from kabinet.billing.models import (
    CapitalRepairDueDay,
    CapitalRepairFund,
    Charge,
    HeatingSetting,
    InstalmentPlan,
    KeyRate,
    Period,
    Recalculation,
    Tariff,
)
from kabinet.fields import ColumnDecimalField
from kabinet.http import client_ip
from kabinet.orgs.models import Organization, StaffMembership
from kabinet.orgs.scoping import organization_id_of, organization_of
from kabinet.orgs.selectors import is_staff_member, organizations_for, organizations_to_change
from kabinet.payments.models import Payment, PaymentCommission
from kabinet.receipts.models import Supplier
from kabinet.users.models import AccountLink, User

HUGE_NUMBER = re.compile(r"\s*-?\d{19,}\s*")


# Changes of these in the admin go into the audit log (money and rights; kabinet.audit).
AUDITED_MODELS = {Organization, StaffMembership, Tariff, Period, Charge, Recalculation, KeyRate,
                  Payment, AccountLink, User, CapitalRepairFund, HeatingSetting,
                  InstalmentPlan, CapitalRepairDueDay, Supplier,
                  PaymentCommission}  # fmt: skip


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


def _writable_organization_ids(request, duty: str) -> set[int]:
    """The organisations where the user's role may change ``duty``, asked once per request."""
    cache = request.__dict__.setdefault("_writable_organization_ids", {})
    if duty not in cache:
        cache[duty] = set(organizations_to_change(request.user, duty).values_list("pk", flat=True))
    return cache[duty]


def may_write(request, duty: str, obj=None) -> bool:
    """Whether the user may change ``duty`` in ``obj``'s organisation or, without ``obj``, in
    any of their organisations (so that «add» and the lists show)."""
    if request.user.is_superuser:
        return True
    writable = _writable_organization_ids(request, duty)
    if obj is None:
        return bool(writable)
    return organization_id_of(obj) in writable


def _related_choices(request, duty: str, db_field, queryset):
    """A related field's choices for staff: the records of the organisations where the role
    may write ``duty``."""
    related = queryset if queryset is not None else db_field.related_model._default_manager.all()
    if request.user.is_superuser or not hasattr(related, "for_organizations"):
        return queryset  # users: such fields are read-only for staff (``superuser_fields``)
    return related.for_organizations(_writable_organization_ids(request, duty))


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

    duty = ""  # what a role must be allowed to change (see orgs.selectors.ROLE_DUTIES)
    superuser_fields: tuple[str, ...] = ()  # read-only for staff (user references)
    # Numbers through the portal's one parser: ASCII digits, no more than the column holds.
    formfield_overrides = {models.DecimalField: {"form_class": ColumnDecimalField}}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.for_organizations(organizations_for(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = _related_choices(request, self.duty, db_field, kwargs.get("queryset"))
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
        return may_write(request, self.duty)

    def has_change_permission(self, request, obj=None):
        return may_write(request, self.duty, obj)

    def has_delete_permission(self, request, obj=None):
        return may_write(request, self.duty, obj)

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=LabelledModelFormSet, **kwargs)

    def save_form(self, request, form, change):
        # The change form has asked already; an edit in the list («list_editable») has not.
        if change and not self.has_change_permission(request, form.instance):
            raise PermissionDenied
        return super().save_form(request, form, change)

    def changeable(self, request, queryset):
        """The records an admin action acts on: all of ``queryset`` if the role may change
        this duty in each record's organisation, else none (and the user is told why)."""
        if request.user.is_superuser:
            return queryset
        allowed = queryset.for_organizations(_writable_organization_ids(request, self.duty))
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

    formset = LabelledInlineFormSet

    def _duty(self) -> str:
        return self.admin_site.get_model_admin(self.parent_model).duty

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = _related_choices(request, self._duty(), db_field, kwargs.get("queryset"))
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user)

    def has_add_permission(self, request, obj):
        return may_write(request, self._duty(), obj)

    def has_change_permission(self, request, obj=None):
        return may_write(request, self._duty(), obj)

    def has_delete_permission(self, request, obj=None):
        return may_write(request, self._duty(), obj)


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


class ReadOnlyAdmin(OrganizationScopedAdmin):
    """Records that only their own process creates and changes (imports, gateways, logs)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
