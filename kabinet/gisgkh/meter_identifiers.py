"""Importing the root GUIDs ГИС ЖКХ assigned to an organisation's meters from the XML result of
``exportMeteringDeviceData`` (the house-management ``getStateResult``, uploaded or received by
the exchange, validated against the pinned schema first; per ``exportMeteringDeviceDataResult``
its ``MeteringDeviceRootGUID`` and ``BasicChatacteristicts/MeteringDeviceNumber``, the serial
number, as the schema spells them). Meters are matched by their serial number within the
organisation; a number that names no meter, or two, is an error.

All or nothing, like the accounts' import: every clash is found before anything is written —
one serial number with two GUIDs or one GUID for two meters in the file, a GUID held by a meter
the file leaves alone (named when it is the organisation's; one of another organisation is told
without naming it) — the entry is named and nothing is written. GUIDs may move between the
meters of one file (two meters swapping theirs): the changed meters lose their old GUIDs first,
then get the new ones, in one transaction. The same file twice changes nothing."""

import uuid
from collections import defaultdict

from django.db import transaction
from django.db.models import Q

from kabinet.audit import services as audit
from kabinet.audit.models import AuditAction
from kabinet.gisgkh.identifiers import (
    HOUSE_MANAGEMENT,
    OTHER_ORGANIZATION,
    IdentifierImportError,
    ImportOutcome,
    parse_xml,
    state_result,
    written,
)
from kabinet.gisgkh.models import GisMeter
from kabinet.metering.models import Meter

RESULT = HOUSE_MANAGEMENT + "exportMeteringDeviceDataResult"


def meter_export_rows(result) -> list[tuple[str, str, str]]:
    """(where, serial number, root GUID) for each meter of a valid ``getStateResult``."""
    rows = []
    for position, item in enumerate(result.iter(RESULT), start=1):
        serial = item.findtext(
            f"{HOUSE_MANAGEMENT}BasicChatacteristicts/{HOUSE_MANAGEMENT}MeteringDeviceNumber", ""
        ).strip()
        guid = item.findtext(HOUSE_MANAGEMENT + "MeteringDeviceRootGUID", "").strip()
        rows.append((f"Прибор {position} (№ {serial or 'без номера'})", serial, guid))
    return rows


def parse_meter_export(data: bytes) -> list[tuple[str, str, str]]:
    """The meters of an uploaded ``exportMeteringDeviceData`` result, once it is valid by the
    schema (a file that is not is refused with the schema's reasons)."""
    result = state_result(
        parse_xml(data),
        "house-management",
        "exportMeteringDeviceDataResult",
        "В файле нет ответа getStateResult с элементами exportMeteringDeviceDataResult: "
        "это не выгрузка приборов учёта.",
    )
    return meter_export_rows(result)


def organization_meters(organization):
    """The meters of the organisation: of its accounts and of its houses."""
    return Meter.objects.filter(
        Q(account__organization=organization) | Q(house__organization=organization)
    )


@transaction.atomic
def import_meter_identifiers(organization, rows, *, by=None, ip: str | None = None):
    """Record each meter's root GUID, or nothing when any entry is bad; each meter changed is
    logged in the audit log as changed by ``by`` from ``ip``."""
    meters = defaultdict(list)
    for meter in (
        organization_meters(organization)
        .filter(serial_number__in=[serial for _, serial, _ in rows])
        .select_related("gis")
        .select_for_update(of=("self",))
    ):
        meters[meter.serial_number].append(meter)
    errors, wanted = [], {}  # wanted: meter → (where, GUID)
    by_guid = {}  # GUID → (where, meter) of its first entry
    for where, serial, text in rows:
        found = meters.get(serial, [])
        if len(found) != 1:
            errors.append(
                f"{where}: " + ("такого прибора в организации нет" if not found else
                                "несколько приборов с этим номером, сопоставьте вручную")
            )  # fmt: skip
        try:
            guid = uuid.UUID(text)
        except ValueError:
            errors.append(f"{where}: идентификатор ПУ «{text}» не является GUID")
            continue
        if len(found) != 1:
            continue
        meter = found[0]
        if meter in wanted and wanted[meter][1] != guid:
            errors.append(
                f"{where}: у прибора № {serial} в файле уже другой идентификатор ПУ "
                f"({wanted[meter][0]}, «{wanted[meter][1]}»)"
            )
            continue
        if guid in by_guid and by_guid[guid][1] != meter:
            errors.append(
                f"{where}: идентификатор ПУ «{guid}» в файле уже у другого прибора "
                f"({by_guid[guid][0]})"
            )
            continue
        wanted.setdefault(meter, (where, guid))
        by_guid.setdefault(guid, (where, meter))
    errors += _held_elsewhere(organization, by_guid, meters)
    if errors:
        raise IdentifierImportError(errors)
    changed = {
        meter: guid
        for meter, (_, guid) in wanted.items()
        if getattr(getattr(meter, "gis", None), "root_guid", None) != guid
    }
    entries = [
        audit.entry(
            action=AuditAction.GIS_IDENTIFIERS_IMPORT,
            organization=organization,
            actor=by,
            ip=ip,
            obj=meter,
            changes={"root_guid": [_stored(meter), str(guid)]},
        )
        for meter, guid in changed.items()
    ]
    written(_write, changed)
    audit.record_all(entries)
    return ImportOutcome(rows=len(rows), changed=len(changed), label="приборов учёта")


def _held_elsewhere(organization, by_guid, meters) -> list[str]:
    """GUIDs of the file that belong, in the database, to a meter the file does not name."""
    named = [meter for found in meters.values() for meter in found]
    taken = (
        GisMeter.objects.filter(root_guid__in=list(by_guid))
        .exclude(meter__in=named)
        .select_related("meter")
        .order_by("root_guid")
    )
    own = set(organization_meters(organization).filter(gis__in=taken).values_list("pk", flat=True))
    errors = []
    for gis in taken:
        where = by_guid[gis.root_guid][0]
        if gis.meter_id in own:
            errors.append(
                f"{where}: идентификатор ПУ «{gis.root_guid}» уже у прибора "
                f"№ {gis.meter.serial_number}, которого нет в файле"
            )
        else:
            errors.append(f"{where}: идентификатор ПУ «{gis.root_guid}» {OTHER_ORGANIZATION}")
    return errors


def _stored(meter) -> str | None:
    gis = getattr(meter, "gis", None)
    return str(gis.root_guid) if gis else None


def _write(changed: dict) -> None:
    # Two steps, so that GUIDs moving between meters of the file never meet the unique
    # constraint half-way.
    GisMeter.objects.filter(meter__in=list(changed)).delete()
    GisMeter.objects.bulk_create(
        GisMeter(meter=meter, root_guid=guid) for meter, guid in changed.items()
    )
