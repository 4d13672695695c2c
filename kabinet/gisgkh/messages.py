"""Request messages to ГИС ЖКХ, built and checked before anything may be sent.

Each builder first checks what it is given in the domain's own words (a meter without its
ГИС GUID, a reading with a comma) and then validates the built XML against the pinned
schemas (``kabinet.gisgkh.schemas``); either way a ``MessageError`` in Russian says what is
wrong and no message comes out. A list of values longer than the schema allows in one message
is cut into several messages (``READINGS_PER_MESSAGE``, ``ACCOUNTS_PER_EXPORT``: the
``maxOccurs`` of the schemas, checked against them by the tests).

A ``Message`` holds the header and body; ``signing`` signs its envelope and ``exchange`` sends it.
"""

import datetime
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from kabinet.formats import month_name
from kabinet.gisgkh.schemas import MessageError, check

BASE = "http://dom.gosuslugi.ru/schema/integration/base/"
DEVICE_METERING = "http://dom.gosuslugi.ru/schema/integration/device-metering/"
METERING_DEVICE_BASE = "http://dom.gosuslugi.ru/schema/integration/metering-device-base/"
NSI_BASE = "http://dom.gosuslugi.ru/schema/integration/nsi-base/"
HOUSE_MANAGEMENT = "http://dom.gosuslugi.ru/schema/integration/house-management/"
ACCOUNT_BASE = "http://dom.gosuslugi.ru/schema/integration/account-base/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
for _prefix, _uri in {
    "base": BASE,
    "dm": DEVICE_METERING,
    "mdb": METERING_DEVICE_BASE,
    "nsi": NSI_BASE,
    "hm": HOUSE_MANAGEMENT,
    "ab": ACCOUNT_BASE,
    "soapenv": SOAP,
}.items():
    ET.register_namespace(_prefix, _uri)

# The request versions the schemas fix (``base:version``, ``fixed``).
METERING_VALUES_VERSION = "10.0.1.1"
EXPORT_ACCOUNT_VERSION = "10.0.1.1"
# exportMeteringDeviceDataRequest's version is not fixed; its documentation names the versions
# the service takes, 11.1.0.2 and 14.8.0.1: the newer one.
EXPORT_METERING_DEVICE_VERSION = "14.8.0.1"
READINGS_PER_MESSAGE = 1000  # MeteringDevicesValues maxOccurs
ACCOUNTS_PER_EXPORT = 1000  # AccountGUID / UnifiedAccountNumber / ServiceID maxOccurs
SIGNED_ID = "signed-data-container"  # the Id the signature will refer to
_METERING_VALUE = re.compile(r"\d{1,15}(\.\d{1,7})?")  # metering-device-base MeteringValueType
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def sub_element(parent, namespace: str, name: str, text=None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


@dataclass(frozen=True)
class Message:
    """One request: ``operation`` as the WSDL names it, its header and body elements."""

    operation: str
    message_guid: str
    header: ET.Element
    body: ET.Element

    def envelope(self) -> bytes:
        """The SOAP 1.1 envelope, unsigned."""
        envelope = ET.Element(f"{{{SOAP}}}Envelope")
        ET.SubElement(envelope, f"{{{SOAP}}}Header").append(self.header)
        ET.SubElement(envelope, f"{{{SOAP}}}Body").append(self.body)
        return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def request_header(org_ppa_guid, *, message_guid: str, now: datetime.datetime) -> ET.Element:
    """``base:RequestHeader``: the date, the message's GUID and the organisation's orgPPAGUID."""
    header = ET.Element(f"{{{BASE}}}RequestHeader")
    sub_element(header, BASE, "Date", now.isoformat(timespec="seconds"))
    sub_element(header, BASE, "MessageGUID", message_guid)
    sub_element(header, BASE, "orgPPAGUID", org_ppa_guid)
    return header


def checked_message(operation, org_ppa_guid, body, schema_name, now) -> Message:
    if not org_ppa_guid or not _GUID.fullmatch(str(org_ppa_guid)):
        raise MessageError(
            ["Не указан идентификатор организации в ГИС ЖКХ (orgPPAGUID): укажите его."]
        )
    message_guid = str(uuid.uuid4())
    header = request_header(org_ppa_guid, message_guid=message_guid, now=now or timezone.now())
    check(header, "base")
    check(body, schema_name)
    return Message(operation, message_guid, header, body)


def batches(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


@dataclass(frozen=True)
class MeterValue:
    """One reading to post: ``meter`` names it for people («счётчик № 123, ЛС 154»)."""

    meter: str
    root_guid: str | None
    value: Decimal | str
    taken_on: datetime.date
    period: datetime.date  # the first day of the month the reading is for
    resource_nsi: tuple[str, str] | None = None  # (code, GUID) in НСИ 2; None — electricity
    electric: bool = False
    transport_guid: str = field(default_factory=lambda: str(uuid.uuid4()))


def metering_value_text(value: Decimal | str) -> str:
    """A reading as ``MeteringValueType`` writes it: digits, a point, at most 7 decimals."""
    if isinstance(value, Decimal):
        text = f"{value:f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return str(value).strip()


def _value_errors(item: MeterValue) -> list[str]:
    where = f"{item.meter}, {month_name(item.period)}"
    errors = []
    if not item.root_guid:
        errors.append(
            f"{where}: нет идентификатора прибора учёта в ГИС ЖКХ (MeteringDeviceRootGUID) — "
            "загрузите идентификаторы приборов учёта"
        )
    text = metering_value_text(item.value)
    if not _METERING_VALUE.fullmatch(text):
        errors.append(
            f"{where}: показание «{text}» записывается цифрами с точкой, не более 15 цифр до "
            "точки и 7 после (например, 123.456)"
        )
    if not item.electric and not item.resource_nsi:
        errors.append(f"{where}: ресурс не сопоставлен элементу справочника НСИ 2")
    return errors


def _current_value(parent, item: MeterValue) -> None:
    current = sub_element(parent, DEVICE_METERING, "CurrentValue")
    text = metering_value_text(item.value)
    if item.electric:
        sub_element(current, METERING_DEVICE_BASE, "MeteringValueT1", text)
    else:
        resource = sub_element(current, METERING_DEVICE_BASE, "MunicipalResource")
        sub_element(resource, NSI_BASE, "Code", item.resource_nsi[0])
        sub_element(resource, NSI_BASE, "GUID", item.resource_nsi[1])
        sub_element(current, METERING_DEVICE_BASE, "MeteringValue", text)
    sub_element(current, DEVICE_METERING, "DateValue", item.taken_on.isoformat())
    sub_element(current, BASE, "TransportGUID", item.transport_guid)
    period = sub_element(current, DEVICE_METERING, "Period")
    sub_element(period, BASE, "Year", item.period.year)
    sub_element(period, BASE, "Month", item.period.month)


def metering_values_messages(org_ppa_guid, values: list[MeterValue], *, now=None) -> list[Message]:
    """``importMeteringDeviceValuesRequest`` messages for ``values``, at most
    ``READINGS_PER_MESSAGE`` meters each; ``MessageError`` naming every bad value."""
    errors = [error for item in values for error in _value_errors(item)]
    if errors:
        raise MessageError(errors)
    messages = []
    for batch in batches(values, READINGS_PER_MESSAGE):
        body = ET.Element(f"{{{DEVICE_METERING}}}importMeteringDeviceValuesRequest")
        body.set("Id", SIGNED_ID)
        body.set(f"{{{BASE}}}version", METERING_VALUES_VERSION)
        for item in batch:
            device = sub_element(body, DEVICE_METERING, "MeteringDevicesValues")
            sub_element(device, DEVICE_METERING, "MeteringDeviceRootGUID", item.root_guid)
            kind = "ElectricDeviceValue" if item.electric else "OneRateDeviceValue"
            _current_value(sub_element(device, DEVICE_METERING, kind), item)
        messages.append(
            checked_message(
                "importMeteringDeviceValues", org_ppa_guid, body, "device-metering", now
            )
        )
    return messages


EXPORT_ACCOUNT_KEYS = {  # the element and its namespace
    "account_guids": (HOUSE_MANAGEMENT, "AccountGUID"),
    "unified_accounts": (ACCOUNT_BASE, "UnifiedAccountNumber"),
    "service_ids": (ACCOUNT_BASE, "ServiceID"),
}


def export_account_messages(
    org_ppa_guid,
    *,
    fias_house_guid: str | None = None,
    account_guids=(),
    unified_accounts=(),
    service_ids=(),
    now=None,
) -> list[Message]:
    """``exportAccountRequest``: the accounts of a house (by its ФИАС GUID) or the accounts
    named by one kind of identifier, ``ACCOUNTS_PER_EXPORT`` a message."""
    lists = {
        "account_guids": list(account_guids),
        "unified_accounts": list(unified_accounts),
        "service_ids": list(service_ids),
    }
    given = [key for key, values in lists.items() if values]
    if bool(fias_house_guid) + len(given) != 1:
        raise MessageError(
            [
                "Запрос лицевых счетов называет либо дом (ФИАС), либо счета одним видом "
                "идентификаторов."
            ]
        )
    if fias_house_guid:
        chunks = [((HOUSE_MANAGEMENT, "FIASHouseGuid"), [fias_house_guid])]
    else:
        chunks = [(EXPORT_ACCOUNT_KEYS[given[0]], chunk) for chunk in
                  batches(lists[given[0]], ACCOUNTS_PER_EXPORT)]  # fmt: skip
    messages = []
    for (namespace, name), chunk in chunks:
        body = ET.Element(f"{{{HOUSE_MANAGEMENT}}}exportAccountRequest")
        body.set("Id", SIGNED_ID)
        body.set(f"{{{BASE}}}version", EXPORT_ACCOUNT_VERSION)
        for value in chunk:
            sub_element(body, namespace, name, value)
        messages.append(
            checked_message("exportAccountData", org_ppa_guid, body, "house-management", now)
        )
    return messages


def export_metering_device_messages(org_ppa_guid, fias_house_guids, *, now=None) -> list[Message]:
    """``exportMeteringDeviceDataRequest``: the meters of each house named by its ФИАС GUID,
    one message a house (the request names one ``FIASHouseGuid``); ``MessageError`` naming a
    value that is not a GUID."""
    guids = [str(guid).strip() for guid in fias_house_guids]
    if not guids:
        raise MessageError(["Укажите ФИАС-идентификатор дома (FIASHouseGuid)."])
    errors = [
        f"ФИАС-идентификатор дома «{guid[:40]}» не является GUID"
        for guid in guids
        if not _GUID.fullmatch(guid)
    ]
    if errors:
        raise MessageError(errors)
    messages = []
    for guid in dict.fromkeys(guids):
        body = ET.Element(f"{{{HOUSE_MANAGEMENT}}}exportMeteringDeviceDataRequest")
        body.set("Id", SIGNED_ID)
        body.set(f"{{{BASE}}}version", EXPORT_METERING_DEVICE_VERSION)
        sub_element(body, HOUSE_MANAGEMENT, "FIASHouseGuid", guid)
        messages.append(
            checked_message("exportMeteringDeviceData", org_ppa_guid, body, "house-management", now)
        )
    return messages
