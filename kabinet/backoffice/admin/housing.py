"""The back office's houses, premises, personal accounts and management contracts."""

from django.contrib import admin

from kabinet.backoffice.admin.base import OrganizationScopedAdmin, OrganizationScopedInline
from kabinet.housing.models import (
    ContractDocument,
    House,
    ManagementContract,
    PersonalAccount,
    Premise,
)


@admin.register(House)
class HouseAdmin(OrganizationScopedAdmin):
    duty = "housing"
    list_display = ["address", "organization", "residential_area", "non_residential_area",
                    "common_property_area"]  # fmt: skip
    list_filter = ["organization"]
    search_fields = ["address"]
    fieldsets = [
        (None, {"fields": ["organization", "address"]}),
        # The common-house share (ОДН): Правила № 354 п. 44, docs/billing-law.md.
        ("Площади для расчёта ОДН", {"fields": ["residential_area", "non_residential_area",
                                               "common_property_area"]}),
        ("Порядок расчёта ОДН", {
            "fields": ["common_by_meter", "common_excess_distributed", "common_excess_decision",
                       "common_excess_decided_on"],
        }),
    ]  # fmt: skip


@admin.register(Premise)
class PremiseAdmin(OrganizationScopedAdmin):
    duty = "housing"
    list_display = ["__str__", "kind", "area", "ownership"]
    list_filter = ["kind", "ownership", "house"]
    search_fields = ["number", "house__address"]
    list_select_related = ["house"]


@admin.register(PersonalAccount)
class PersonalAccountAdmin(OrganizationScopedAdmin):
    duty = "housing"
    list_display = ["number", "holder_name", "premise", "residents", "is_open"]
    list_filter = ["is_open", "organization", "premise__house"]
    search_fields = ["number", "holder_name", "premise__house__address"]
    list_select_related = ["premise__house"]
    fieldsets = [
        (None, {"fields": ["organization", "number", "holder_name", "premise", "share",
                           "residents", "owners", "is_open", "opened_on", "closed_on"]}),
        # Printed on the payment document (Приказ Минстроя России № 43/пр, раздел 1).
        # The account GUID is imported (kabinet.gisgkh.identifiers), never typed.
        ("ГИС ЖКХ", {"fields": ["unified_account", "gis_service_id", "gis_account_guid"]}),
    ]  # fmt: skip
    readonly_fields = ["gis_account_guid"]

    @admin.display(description="идентификатор ЛС в ГИС ЖКХ")
    def gis_account_guid(self, account):
        gis_account = getattr(account, "gis", None) if account.pk else None
        return gis_account.account_guid if gis_account else "не загружен"


class ContractDocumentInline(OrganizationScopedInline):
    model = ContractDocument
    extra = 1


@admin.register(ManagementContract)
class ManagementContractAdmin(OrganizationScopedAdmin):
    duty = "housing"
    list_display = ["__str__", "house", "valid_from", "valid_to"]
    list_filter = ["house"]
    search_fields = ["number", "house__address"]
    inlines = [ContractDocumentInline]
