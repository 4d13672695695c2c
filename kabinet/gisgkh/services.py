"""The organisation's side of the exchange: an uploaded export dispatched to its import, the
orgPPAGUID, and the messages of ``kabinet.gisgkh.messages`` fed with its readings and
identifiers."""

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q

from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.gisgkh.document_identifiers import (
    import_document_identifiers,
    is_document_register,
    parse_document_export,
    parse_document_register,
)
from kabinet.gisgkh.identifiers import (
    ImportOutcome,
    first_row,
    import_account_identifiers,
    parse_account_export,
    parse_account_registry,
)
from kabinet.gisgkh.messages import MeterValue, export_account_messages, metering_values_messages
from kabinet.gisgkh.meter_identifiers import import_meter_identifiers, parse_meter_export
from kabinet.gisgkh.models import GisOrganization, ResourceNsiItem
from kabinet.metering.models import Reading, Resource


class SettingsError(ValueError):
    """A setting of the exchange refused, with the reason in Russian."""


GUID_TAKEN = (
    "Этот идентификатор организации (orgPPAGUID) уже указан для другой организации. "
    "Проверьте, что он скопирован из профиля вашей организации в ГИС ЖКХ."
)


def org_ppa_guid_taken(organization, org_ppa_guid) -> bool:
    """Whether another organisation of the portal has ``org_ppa_guid``."""
    others = GisOrganization.objects.exclude(organization=organization)
    return others.filter(org_ppa_guid=org_ppa_guid).exists()


@transaction.atomic
def set_org_ppa_guid(organization, org_ppa_guid, *, by=None, ip: str | None = None):
    """Record the orgPPAGUID ГИС ЖКХ gave ``organization`` (copied by its manager, ``by``, from
    ``ip``; the audit log keeps the change). ``SettingsError`` when another organisation of
    the portal already has it: each organisation has its own in ГИС ЖКХ's register, so the
    value was copied from the wrong profile."""
    org_ppa_guid = uuid.UUID(str(org_ppa_guid))
    if org_ppa_guid_taken(organization, org_ppa_guid):
        raise SettingsError(GUID_TAKEN)
    gis = GisOrganization.objects.select_for_update().filter(organization=organization).first()
    before = str(gis.org_ppa_guid) if gis else None
    if before == str(org_ppa_guid):
        return gis
    try:
        with transaction.atomic():
            if gis is None:
                gis = GisOrganization.objects.create(
                    organization=organization, org_ppa_guid=org_ppa_guid
                )
            else:
                gis.org_ppa_guid = org_ppa_guid
                gis.save(update_fields=["org_ppa_guid"])
    except IntegrityError:  # taken by another organisation since the check above
        raise SettingsError(GUID_TAKEN) from None
    record(
        action=AuditAction.CHANGED if before else AuditAction.ADDED,
        organization=organization,
        actor=by,
        ip=ip,
        obj=gis,
        changes={"org_ppa_guid": [before, str(org_ppa_guid)]},
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


def import_identifiers_file(
    organization, data: bytes, *, month=None, by=None, ip: str | None = None
) -> ImportOutcome:
    """An uploaded file, told by its content: the XML of exportMeteringDeviceData, of
    exportPaymentDocumentData or of exportAccountData, or a spreadsheet registry of payment
    documents or of accounts. ``month``: the period of payment documents whose file names
    none; ``by`` and ``ip`` for the audit log."""
    who = {"by": by, "ip": ip}
    if data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        if b"exportMeteringDeviceDataResult" in data:
            return import_meter_identifiers(organization, parse_meter_export(data), **who)
        if b"exportPaymentDocResult" in data:
            rows = parse_document_export(data)
            return import_document_identifiers(organization, rows, month=month, **who)
        return import_account_identifiers(organization, parse_account_export(data), **who)
    if is_document_register(first_row(data)):
        rows = parse_document_register(data)
        return import_document_identifiers(organization, rows, month=month, **who)
    return import_account_identifiers(organization, parse_account_registry(data), **who)
