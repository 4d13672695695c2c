"""Importing the root GUIDs ГИС ЖКХ assigned to an organisation's meters from the XML result of
``exportMeteringDeviceData`` (``exportMeteringDeviceDataResult``: ``MeteringDeviceRootGUID``
and ``BasicChatacteristicts/MeteringDeviceNumber``, the serial number, as the house-management
schema spells them). Meters are matched by their serial number within the organisation; a
number that names no meter, or two, is an error. All or nothing, like the accounts' import:
bad entries are named and nothing is written; the same file twice changes nothing."""

import uuid
from collections import defaultdict

from django.db import transaction
from django.db.models import Q

from kabinet.gisgkh.identifiers import (
    HOUSE_MANAGEMENT,
    IdentifierImportError,
    ImportOutcome,
    parse_xml,
)
from kabinet.gisgkh.models import GisMeter
from kabinet.metering.models import Meter

RESULT = HOUSE_MANAGEMENT + "exportMeteringDeviceDataResult"


def parse_meter_export(data: bytes) -> list[tuple[str, str, str]]:
    """(where, serial number, root GUID) for each meter of the export."""
    root = parse_xml(data)
    rows = []
    for position, result in enumerate(root.iter(RESULT), start=1):
        serial = result.findtext(
            f"{HOUSE_MANAGEMENT}BasicChatacteristicts/{HOUSE_MANAGEMENT}MeteringDeviceNumber", ""
        ).strip()
        guid = result.findtext(HOUSE_MANAGEMENT + "MeteringDeviceRootGUID", "").strip()
        rows.append((f"Прибор {position} (№ {serial or 'без номера'})", serial, guid))
    if not rows:
        raise IdentifierImportError(
            ["В файле нет элементов exportMeteringDeviceDataResult: это не выгрузка приборов."]
        )
    return rows


@transaction.atomic
def import_meter_identifiers(organization, rows) -> ImportOutcome:
    """Record each meter's root GUID, or nothing when any entry is bad."""
    meters = defaultdict(list)
    for meter in (
        Meter.objects.filter(
            Q(account__organization=organization) | Q(house__organization=organization),
            serial_number__in=[serial for _, serial, _ in rows],
        )
        .select_related("gis")
        .select_for_update(of=("self",))
    ):
        meters[meter.serial_number].append(meter)
    errors, guids = [], {}
    for where, serial, guid in rows:
        found = meters.get(serial, [])
        if len(found) != 1:
            errors.append(
                f"{where}: " + ("такого прибора в организации нет" if not found else
                                "несколько приборов с этим номером, сопоставьте вручную")
            )  # fmt: skip
        try:
            guids[where] = uuid.UUID(guid)
        except ValueError:
            errors.append(f"{where}: идентификатор ПУ «{guid}» не является GUID")
    taken = GisMeter.objects.filter(root_guid__in=list(guids.values())).exclude(
        meter__in=[m for found in meters.values() for m in found]
    )
    errors += [f"Идентификатор ПУ {gis.root_guid} уже у другого прибора" for gis in taken]
    if errors:
        raise IdentifierImportError(errors)
    changed = 0
    for where, serial, _ in rows:
        meter, guid = meters[serial][0], guids[where]
        stored = getattr(meter, "gis", None)
        if stored is None or stored.root_guid != guid:
            GisMeter.objects.update_or_create(meter=meter, defaults={"root_guid": guid})
            changed += 1
    return ImportOutcome(rows=len(rows), changed=changed)
