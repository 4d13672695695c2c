"""The back office's billing: services, tariffs, periods, charges, recalculations, instalment
plans, key rates and coefficients, capital repair funds, and the read-only results of a run."""

from django.contrib import admin

from kabinet.backoffice.admin.base import (
    ClosedPeriodReadOnly,
    OrganizationScopedAdmin,
    ReadOnlyAdmin,
)
from kabinet.billing.instalments import instalment_candidates
from kabinet.billing.models import (
    AccountBalance,
    CapitalRepairDueDay,
    CapitalRepairFund,
    Charge,
    CommonNeedsNormative,
    HeatingSetting,
    IncreasingCoefficient,
    InstalmentPlan,
    KeyRate,
    Penalty,
    Period,
    PeriodStatus,
    Recalculation,
    Service,
    Tariff,
)
from kabinet.orgs.selectors import organizations_for


@admin.register(Service)
class ServiceAdmin(OrganizationScopedAdmin):
    duty = "billing"
    list_display = ["name", "unit", "method", "resource", "supplier", "position"]
    list_filter = ["method", "resource", "organization"]
    search_fields = ["name", "supplier"]


@admin.register(CapitalRepairFund)
class CapitalRepairFundAdmin(OrganizationScopedAdmin):
    """Which houses collect capital repair contributions, and the payee's bank details that
    their receipts' own section and QR code carry (a house without one bills none)."""

    duty = "billing"
    list_display = ["house", "kind", "payee_name", "settlement_account"]
    list_filter = ["kind", "house__organization"]
    search_fields = ["house__address", "payee_name", "inn"]
    list_select_related = ["house"]
    fieldsets = [
        (None, {"fields": ["house", "kind"]}),
        ("Получатель взносов", {"fields": ["payee_name", "inn", "kpp", "bank_name",
                                           "bank_short_name", "bik", "correspondent_account",
                                           "settlement_account"]}),
        ("Онлайн-оплата взносов", {"fields": ["online_account_id"]}),
    ]  # fmt: skip


@admin.register(HeatingSetting)
class HeatingSettingAdmin(OrganizationScopedAdmin):
    """How each house's heating is charged from a month on (Правила № 354 п. 42(1), приложение
    № 2): by the normative (formulas 2, 2(3), 2(4)), by the house heat meter (3, 3(1)) or by it
    and the premises' own heat meters (3(3), 3(4)), in the heating season or evenly; the year's
    correction is the billing page «Корректировка за отопление»."""

    duty = "billing"
    list_display = ["house", "valid_from", "method", "payment", "season_months"]
    list_filter = ["method", "payment", "house__organization"]
    search_fields = ["house__address"]
    date_hierarchy = "valid_from"
    list_select_related = ["house"]


@admin.register(CapitalRepairDueDay)
class CapitalRepairDueDayAdmin(OrganizationScopedAdmin):
    """A region's own due date for contributions to the regional operator (ЖК РФ ст. 171
    ч. 1), by billed months: the ч. 14.1 penalty and the receipt's capital repair section
    count from it; without a row, the federal date."""

    duty = "billing"
    list_display = ["organization", "day", "valid_from", "valid_to", "source"]
    list_filter = ["organization"]
    date_hierarchy = "valid_from"


@admin.register(Tariff)
class TariffAdmin(OrganizationScopedAdmin):
    duty = "billing"
    list_display = ["service", "house", "value", "valid_from", "valid_to"]
    list_filter = ["service", "house", "service__organization"]
    search_fields = ["service__name"]
    date_hierarchy = "valid_from"
    list_select_related = ["service", "house"]


@admin.register(CommonNeedsNormative)
class CommonNeedsNormativeAdmin(OrganizationScopedAdmin):
    """The region's normatives for common needs (КР на СОИ) per m² of the common-property
    area, by resource and dates: the common-house share is charged by them without a house
    meter reading and capped by them otherwise (Правила № 354 п. 44)."""

    duty = "billing"
    list_display = ["resource", "value", "house", "valid_from", "valid_to", "source"]
    list_filter = ["resource", "house", "organization"]
    list_select_related = ["house"]
    date_hierarchy = "valid_from"


@admin.register(Period)
class PeriodAdmin(ClosedPeriodReadOnly, OrganizationScopedAdmin):
    """Periods are opened and closed by the billing pages (``billing.closing.close_period``)
    only."""

    duty = "billing"
    list_display = ["__str__", "organization", "status", "closed_at"]
    list_filter = ["status", "organization"]
    readonly_fields = ["status", "calculated_at", "closed_at"]


@admin.register(Charge)
class ChargeAdmin(ClosedPeriodReadOnly, OrganizationScopedAdmin):
    duty = "billing"
    list_display = ["account", "service", "period", "tariff", "volume", "charged", "recalculation",
                    "total"]  # fmt: skip
    list_filter = ["period__month", "service", "period__organization"]
    search_fields = ["account__number", "account__holder_name"]
    list_select_related = ["account", "service", "period"]
    readonly_fields = ["total"]


@admin.register(Recalculation)
class RecalculationAdmin(ClosedPeriodReadOnly, OrganizationScopedAdmin):
    duty = "billing"
    list_display = ["account", "service", "kind", "amount", "period", "corrected_period",
                    "reason"]  # fmt: skip
    list_filter = ["period__month", "kind", "service"]
    search_fields = ["account__number", "reason"]
    list_select_related = ["account", "service", "period", "corrected_period"]
    superuser_fields = ("created_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(InstalmentPlan)
class InstalmentPlanAdmin(ClosedPeriodReadOnly, OrganizationScopedAdmin):
    """Instalment plans (Правила № 354 п. 72), granted in the open month whose charge they
    spread; the list names the open months' charges that entitle a resident to one."""

    duty = "billing"
    list_display = ["account", "service", "period", "amount", "months", "rate", "granted_on",
                    "consent_on"]  # fmt: skip
    list_filter = ["period__month", "service"]
    search_fields = ["account__number", "account__holder_name"]
    list_select_related = ["account", "service", "period"]
    superuser_fields = ("created_by",)
    change_list_template = "backoffice/billing/instalment_change_list.html"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def changelist_view(self, request, extra_context=None):
        periods = Period.objects.for_organizations(organizations_for(request.user)).filter(
            status=PeriodStatus.OPEN, calculated_at__isnull=False
        )
        candidates = [
            (period, found)
            for period in periods.select_related("organization").order_by("organization", "month")
            if (found := instalment_candidates(period))
        ]
        extra_context = {**(extra_context or {}), "instalment_candidates": candidates}
        return super().changelist_view(request, extra_context)


@admin.register(KeyRate)
class KeyRateAdmin(OrganizationScopedAdmin):
    """The key rate of the Bank of Russia by dates: the penalties of a run are counted by it."""

    duty = "billing"
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
