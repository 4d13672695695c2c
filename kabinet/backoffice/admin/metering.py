"""The back office's meters, readings and premises where a meter cannot be installed."""

from django.contrib import admin

from kabinet.backoffice.admin.base import OrganizationScopedAdmin
from kabinet.metering.models import Meter, MeterImpossible, Reading


@admin.register(MeterImpossible)
class MeterImpossibleAdmin(OrganizationScopedAdmin):
    """Premises where a meter of a resource cannot be installed (an act of inspection): their
    normative is charged without the increasing coefficient."""

    duty = "metering"
    list_display = ["premise", "resource", "established_on", "basis"]
    list_filter = ["resource"]
    search_fields = ["premise__number", "premise__house__address"]
    list_select_related = ["premise__house"]


@admin.register(Meter)
class MeterAdmin(OrganizationScopedAdmin):
    duty = "metering"
    list_display = ["serial_number", "resource", "account", "house", "place", "verification_due",
                    "is_active"]  # fmt: skip
    list_filter = ["resource", "is_active"]
    search_fields = ["serial_number", "account__number", "house__address"]
    list_select_related = ["account", "house"]
    change_list_template = "backoffice/meters/admin_change_list.html"
    readonly_fields = ["gis_root_guid"]

    @admin.display(description="идентификатор ПУ в ГИС ЖКХ")
    def gis_root_guid(self, meter):
        gis_meter = getattr(meter, "gis", None) if meter.pk else None
        return gis_meter.root_guid if gis_meter else "не загружен"


@admin.register(Reading)
class ReadingAdmin(OrganizationScopedAdmin):
    """Readings are entered on the readings pages (``backoffice:readings``), where the rules
    of a reading apply; here staff find them, and remove a wrong one."""

    duty = "metering"
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
