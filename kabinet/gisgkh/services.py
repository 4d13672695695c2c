"""The organisation's side of the exchange: an uploaded export dispatched to its import, the
orgPPAGUID, and the messages of ``kabinet.gisgkh.messages`` fed with its readings and
identifiers."""

import datetime

from django.db.models import Q

from kabinet.gisgkh.identifiers import (
    ImportOutcome,
    import_account_identifiers,
    parse_account_export,
    parse_account_registry,
)
from kabinet.gisgkh.messages import MeterValue, export_account_messages, metering_values_messages
from kabinet.gisgkh.meter_identifiers import import_meter_identifiers, parse_meter_export
from kabinet.gisgkh.models import GisOrganization, ResourceNsiItem
from kabinet.metering.models import Reading, Resource


def set_org_ppa_guid(organization, org_ppa_guid) -> GisOrganization:
    """Record the orgPPAGUID ГИС ЖКХ gave ``organization`` (copied by its manager)."""
    gis, _ = GisOrganization.objects.update_or_create(
        organization=organization, defaults={"org_ppa_guid": org_ppa_guid}
    )
    return gis


def org_ppa_guid_of(organization) -> str | None:
    gis = GisOrganization.objects.filter(organization=organization).first()
    return str(gis.org_ppa_guid) if gis else None


def period_meter_values(organization, month: datetime.date) -> list[MeterValue]:
    """The readings taken from the meters (not the billing's estimates) of ``organization``
    for ``month``, one per meter, with the GUIDs and НСИ items they need."""
    nsi = {
        item.resource: (item.code, str(item.guid))
        for item in ResourceNsiItem.objects.filter(organization=organization)
    }
    readings = (
        Reading.objects.actual()
        .filter(
            Q(meter__account__organization=organization)
            | Q(meter__house__organization=organization),
            period=month,
        )
        .select_related("meter__gis", "meter__account")
        .order_by("meter_id")
    )
    values = []
    for reading in readings:
        meter = reading.meter
        gis = getattr(meter, "gis", None)
        owner = f"ЛС {meter.account.number}" if meter.account_id else "общедомовой"
        values.append(
            MeterValue(
                meter=f"счётчик № {meter.serial_number} ({owner})",
                root_guid=str(gis.root_guid) if gis else None,
                value=reading.value,
                taken_on=reading.taken_on,
                period=reading.period,
                resource_nsi=nsi.get(meter.resource),
                electric=meter.resource == Resource.ELECTRICITY,
            )
        )
    return values


def readings_messages(organization, month: datetime.date, *, now=None):
    """The ``importMeteringDeviceValuesRequest`` messages of ``organization`` for ``month``."""
    return metering_values_messages(
        org_ppa_guid_of(organization), period_meter_values(organization, month), now=now
    )


def account_export_messages(organization, *, now=None):
    """``exportAccountRequest`` for the organisation's open accounts whose ЕЛС is known."""
    unified = (
        organization.accounts.filter(is_open=True, unified_account__isnull=False)
        .order_by("number")
        .values_list("unified_account", flat=True)
    )
    return export_account_messages(
        org_ppa_guid_of(organization), unified_accounts=list(unified), now=now
    )


def import_identifiers_file(organization, data: bytes) -> ImportOutcome:
    """An uploaded file, told by its content: the XML of exportMeteringDeviceData or of
    exportAccountData, or the spreadsheet registry of accounts."""
    if data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        if b"exportMeteringDeviceDataResult" in data:
            return import_meter_identifiers(organization, parse_meter_export(data))
        return import_account_identifiers(organization, parse_account_export(data))
    return import_account_identifiers(organization, parse_account_registry(data))
