"""Request messages to ГИС ЖКХ validate against the pinned 16.3.0.0 schemas (by xmlschema,
which enforces the fixed ``base:version``); a wrong value fails in Russian before sending."""

import datetime
import uuid
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from kabinet.gisgkh import messages
from kabinet.gisgkh.messages import (
    BASE,
    DEVICE_METERING,
    HOUSE_MANAGEMENT,
    MeterValue,
    export_account_messages,
    export_metering_device_messages,
    metering_values_messages,
)
from kabinet.gisgkh.models import GisMeter, GisOrganization, ResourceNsiItem
from kabinet.gisgkh.schemas import MessageError, check, schema
from kabinet.gisgkh.services import account_export_messages, readings_messages
from kabinet.metering.models import ReadingSource, Resource
from tests.factories import MeterFactory, PersonalAccountFactory, ReadingFactory

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"
METER = "0f6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
COLD_WATER_NSI = ("1", "e2b2c1a0-0000-4000-8000-000000000001")
NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def reading(value=Decimal("123.456"), **fields):
    return MeterValue(
        **{
            "meter": "счётчик № XB-1 (ЛС 154)",
            "root_guid": METER,
            "value": value,
            "taken_on": datetime.date(2026, 10, 20),
            "period": datetime.date(2026, 10, 1),
            "resource_nsi": COLD_WATER_NSI,
            **fields,
        }
    )


def test_a_water_and_an_electricity_reading_make_a_valid_message():
    [message] = metering_values_messages(
        ORG, [reading(), reading(Decimal("4500"), electric=True, resource_nsi=None)], now=NOW
    )
    check(message.body, "device-metering")
    check(message.header, "base")
    body = message.body
    assert body.get(f"{{{BASE}}}version") == "10.0.1.1"
    assert len(body.findall(f"{{{DEVICE_METERING}}}MeteringDevicesValues")) == 2
    assert message.header.find(f"{{{BASE}}}orgPPAGUID").text == ORG
    envelope = ET.fromstring(message.envelope())
    assert envelope.find(f".//{{{DEVICE_METERING}}}importMeteringDeviceValuesRequest") is not None


def test_a_reading_with_a_comma_fails_in_russian_before_sending():
    with pytest.raises(MessageError) as refused:
        metering_values_messages(ORG, [reading("12,5")], now=NOW)
    assert refused.value.errors == [
        "счётчик № XB-1 (ЛС 154), октябрь 2026: показание «12,5» записывается цифрами с "
        "точкой, не более 15 цифр до точки и 7 после (например, 123.456)"
    ]


def test_a_meter_without_its_guid_is_named():
    with pytest.raises(MessageError, match=r"XB-1.*нет идентификатора прибора учёта"):
        metering_values_messages(ORG, [reading(root_guid=None)], now=NOW)


def test_a_message_without_the_organisations_guid_is_refused():
    with pytest.raises(MessageError, match="orgPPAGUID"):
        metering_values_messages(None, [reading()], now=NOW)


def test_readings_are_batched_to_the_schemas_maximum():
    meters = schema("device-metering").elements["importMeteringDeviceValuesRequest"]
    [devices] = [e for e in meters.type.content.iter_elements() if e.local_name.startswith("Meter")]
    assert devices.max_occurs == messages.READINGS_PER_MESSAGE
    values = [reading(root_guid=str(uuid.uuid4())) for _ in range(1001)]
    built = metering_values_messages(ORG, values, now=NOW)
    assert [len(m.body) for m in built] == [1000, 1]
    check(built[1].body, "device-metering")


def test_a_wrong_version_is_caught_by_the_schema_check():
    [message] = metering_values_messages(ORG, [reading()], now=NOW)
    message.body.set(f"{{{BASE}}}version", "10.0.1.2")
    with pytest.raises(MessageError) as refused:
        check(message.body, "device-metering")
    assert "атрибут version должен быть «10.0.1.1», здесь «10.0.1.2»" in str(refused.value)


def test_a_missing_guid_in_built_xml_is_caught_by_the_schema_check():
    [message] = metering_values_messages(ORG, [reading()], now=NOW)
    device = message.body.find(f"{{{DEVICE_METERING}}}MeteringDevicesValues")
    device.remove(device.find(f"{{{DEVICE_METERING}}}MeteringDeviceRootGUID"))
    with pytest.raises(MessageError, match="лишний или не на своём месте"):
        check(message.body, "device-metering")


def test_export_account_request_by_unified_accounts_is_valid_and_batched():
    built = export_account_messages(
        ORG, unified_accounts=[f"75АБ{n:06d}" for n in range(1500)], now=NOW
    )
    assert [len(m.body) for m in built] == [1000, 500]
    check(built[0].body, "house-management")
    assert built[0].body.get(f"{{{BASE}}}version") == "10.0.1.1"
    [by_house] = export_account_messages(ORG, fias_house_guid=METER, now=NOW)
    assert by_house.body[0].tag == f"{{{HOUSE_MANAGEMENT}}}FIASHouseGuid"


def test_export_account_request_names_one_kind_of_identifier():
    with pytest.raises(MessageError, match="либо дом"):
        export_account_messages(ORG, fias_house_guid=METER, unified_accounts=["75АБ012345"])


def test_export_metering_device_request_is_one_valid_message_a_house():
    houses = ["9a8b7c6d-1111-4222-8333-444455556666", "9a8b7c6d-1111-4222-8333-444455556667"]
    built = export_metering_device_messages(ORG, [*houses, houses[0]], now=NOW)
    assert [m.body.findtext(f"{{{HOUSE_MANAGEMENT}}}FIASHouseGuid") for m in built] == houses
    [body] = {m.body.get(f"{{{BASE}}}version") for m in built}
    assert body == messages.EXPORT_METERING_DEVICE_VERSION
    for message in built:
        check(message.body, "house-management")


def test_export_metering_device_request_names_a_house_that_is_not_a_guid():
    with pytest.raises(MessageError) as refused:
        export_metering_device_messages(ORG, ["улица Ленина, 1"])
    assert refused.value.errors == ["ФИАС-идентификатор дома «улица Ленина, 1» не является GUID"]
    with pytest.raises(MessageError, match="Укажите ФИАС"):
        export_metering_device_messages(ORG, [])


def test_a_wrong_unified_account_fails_the_schema_check():
    with pytest.raises(MessageError, match="UnifiedAccountNumber"):
        export_account_messages(ORG, unified_accounts=["75АБ01"], now=NOW)


@pytest.mark.django_db
def test_an_organisations_period_readings_come_from_the_database():
    account = PersonalAccountFactory(number="154", unified_account="75АБ012345")
    organization = account.organization
    GisOrganization.objects.create(organization=organization, org_ppa_guid=ORG)
    ResourceNsiItem.objects.create(
        organization=organization,
        resource=Resource.COLD_WATER,
        registry=2,
        code=COLD_WATER_NSI[0],
        guid=COLD_WATER_NSI[1],
    )
    water = MeterFactory(account=account)
    GisMeter.objects.create(meter=water, root_guid=METER)
    ReadingFactory(meter=water, value=Decimal("123.450"))
    estimated = MeterFactory(account=account)
    ReadingFactory(meter=estimated, source=ReadingSource.AVERAGE)  # not a reading: not posted
    [message] = readings_messages(organization, datetime.date(2026, 10, 1), now=NOW)
    values = message.body.findall(f".//{{{messages.METERING_DEVICE_BASE}}}MeteringValue")
    assert [v.text for v in values] == ["123.45"]
    [export] = account_export_messages(organization, now=NOW)
    assert [e.text for e in export.body] == ["75АБ012345"]
