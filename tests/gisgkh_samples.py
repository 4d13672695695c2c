"""Sample exports of ГИС ЖКХ built for the tests: the results of exportAccountData and
exportMeteringDeviceData as the house-management schema names their elements."""

GUID_1 = "0f6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
GUID_2 = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
GUID_3 = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
HM = "http://dom.gosuslugi.ru/schema/integration/house-management/"
AB = "http://dom.gosuslugi.ru/schema/integration/account-base/"


def account_result(number, els, service_id, guid):
    return (
        f"<hm:exportAccountResult><hm:AccountNumber>{number}</hm:AccountNumber>"
        f"<hm:AccountGUID>{guid}</hm:AccountGUID>"
        f"<ab:UnifiedAccountNumber>{els}</ab:UnifiedAccountNumber>"
        f"<ab:ServiceID>{service_id}</ab:ServiceID></hm:exportAccountResult>"
    )


def meter_result(serial, guid):
    return (
        f"<hm:exportMeteringDeviceDataResult><hm:BasicChatacteristicts>"
        f"<hm:MeteringDeviceNumber>{serial}</hm:MeteringDeviceNumber></hm:BasicChatacteristicts>"
        f"<hm:MeteringDeviceRootGUID>{guid}</hm:MeteringDeviceRootGUID>"
        f"</hm:exportMeteringDeviceDataResult>"
    )


def export_xml(*results):
    return (
        f'<hm:getStateResult xmlns:hm="{HM}" xmlns:ab="{AB}"><hm:RequestState>3</hm:RequestState>'
        + "".join(results)
        + "</hm:getStateResult>"
    ).encode()
