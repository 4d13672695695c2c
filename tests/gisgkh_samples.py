"""Sample exports of ГИС ЖКХ built for the tests: the results of exportAccountData and
exportMeteringDeviceData by the house-management schema, and of exportPaymentDocumentData by
the bills schema: each valid by its schema, which the tests check."""

GUID_1 = "0f6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
GUID_2 = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
GUID_3 = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
HM = "http://dom.gosuslugi.ru/schema/integration/house-management/"
AB = "http://dom.gosuslugi.ru/schema/integration/account-base/"
BASE = "http://dom.gosuslugi.ru/schema/integration/base/"
NSI = "http://dom.gosuslugi.ru/schema/integration/nsi-base/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
RESOURCE_GUID = "e2b2c1a0-0000-4000-8000-000000000001"
MESSAGE_GUID = "3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"


def account_result(number, els, service_id, guid):
    """One ``exportAccountResult``: the minimum the schema asks for (the kind of account, the
    payer's block) and the identifiers; no ``ServiceID`` when ``service_id`` is empty."""
    service = f"<ab:ServiceID>{service_id}</ab:ServiceID>" if service_id else ""
    return (
        "<hm:exportAccountResult><hm:isUOAccount>true</hm:isUOAccount><hm:PayerInfo/>"
        f"<hm:AccountNumber>{number}</hm:AccountNumber><hm:AccountGUID>{guid}</hm:AccountGUID>"
        f"<ab:UnifiedAccountNumber>{els}</ab:UnifiedAccountNumber>{service}"
        "</hm:exportAccountResult>"
    )


def meter_result(serial, guid, account_guid=GUID_1):
    """One ``exportMeteringDeviceDataResult``: a flat's cold water meter (НСИ 2, code 1) of the
    account ``account_guid`` with its serial number and root GUID."""
    return (
        "<hm:exportMeteringDeviceDataResult><hm:BasicChatacteristicts>"
        f"<hm:MeteringDeviceNumber>{serial}</hm:MeteringDeviceNumber>"
        "<hm:RemoteMeteringMode>false</hm:RemoteMeteringMode>"
        "<hm:TemperatureSensor>false</hm:TemperatureSensor>"
        "<hm:PressureSensor>false</hm:PressureSensor>"
        f"<hm:ResidentialPremiseDevice><hm:AccountGUID>{account_guid}</hm:AccountGUID>"
        "</hm:ResidentialPremiseDevice></hm:BasicChatacteristicts>"
        "<hm:NotLinkedWithMetering>true</hm:NotLinkedWithMetering>"
        "<hm:MunicipalResources><hm:MunicipalResource><nsi:Code>1</nsi:Code>"
        f"<nsi:GUID>{RESOURCE_GUID}</nsi:GUID></hm:MunicipalResource></hm:MunicipalResources>"
        f"<hm:MeteringDeviceRootGUID>{guid}</hm:MeteringDeviceRootGUID>"
        "<hm:StatusRootDoc>Active</hm:StatusRootDoc>"
        f"<hm:MeteringDeviceVersionGUID>{guid}</hm:MeteringDeviceVersionGUID>"
        "<hm:VersionNumber>1</hm:VersionNumber><hm:StatusVersion>Active</hm:StatusVersion>"
        "<hm:UpdateDateTime>2026-10-01T10:00:00+03:00</hm:UpdateDateTime>"
        f"<hm:MeteringDeviceGISGKHNumber>{serial}</hm:MeteringDeviceGISGKHNumber>"
        "</hm:exportMeteringDeviceDataResult>"
    )


def export_xml(*results, envelope=False):
    """The house-management service's ``getStateResult`` holding ``results`` (valid by the
    schema, which a test checks); in its SOAP envelope with ``envelope``."""
    body = (
        f'<hm:getStateResult xmlns:hm="{HM}" xmlns:ab="{AB}" xmlns:base="{BASE}" '
        f'xmlns:nsi="{NSI}" base:version="11.0.0.1"><base:RequestState>3</base:RequestState>'
        f"<base:MessageGUID>{MESSAGE_GUID}</base:MessageGUID>"
        + "".join(results)
        + "</hm:getStateResult>"
    )
    return wrapped(body, envelope)


def wrapped(body: str, envelope: bool) -> bytes:
    if envelope:
        body = (
            f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Header/><soap:Body>{body}'
            "</soap:Body></soap:Envelope>"
        )
    return ('<?xml version="1.0" encoding="utf-8"?>' + body).encode()


BILLS = "http://dom.gosuslugi.ru/schema/integration/bills/"
BILLS_BASE = "http://dom.gosuslugi.ru/schema/integration/bills-base/"
PAYMENTS_BASE = "http://dom.gosuslugi.ru/schema/integration/payments-base/"


def payment_document(account_guid, value, month=None, *, number="", account_number=""):
    """One ``exportPaymentDocResult`` of exportPaymentDocumentData: the document of the account
    ``account_guid`` for ``month`` (a date; None — the file names no period) with its ИПД."""
    parts = [f"<ab:AccountGuid>{account_guid}</ab:AccountGuid>"]
    if number:
        parts.append(f"<bb:PaymentDocumentNumber>{number}</bb:PaymentDocumentNumber>")
    if month:
        parts.append(f"<base:Month>{month.month}</base:Month><base:Year>{month.year}</base:Year>")
    parts.append(f"<bb:PaymentDocumentID>{value}</bb:PaymentDocumentID>")
    information = (
        "<pb:BankBIK>044525225</pb:BankBIK>"
        "<pb:operatingAccountNumber>40702810462000012345</pb:operatingAccountNumber>"
    )
    if account_number:
        information += f"<bl:AccountNumber>{account_number}</bl:AccountNumber>"
    parts.append(f"<bl:PaymentInformation>{information}</bl:PaymentInformation>")
    document = f"<bl:PaymentDocument>{''.join(parts)}</bl:PaymentDocument>"
    return f"<bl:exportPaymentDocResult>{document}</bl:exportPaymentDocResult>"


def document_export(*results, envelope=False):
    """The ``getStateResult`` of the bills service holding ``results``; in its SOAP envelope
    with ``envelope``."""
    body = (
        f'<bl:getStateResult xmlns:bl="{BILLS}" xmlns:base="{BASE}" xmlns:bb="{BILLS_BASE}" '
        f'xmlns:ab="{AB}" xmlns:pb="{PAYMENTS_BASE}" base:version="10.0.1.1">'
        f"<base:RequestState>3</base:RequestState><base:MessageGUID>{MESSAGE_GUID}</base:MessageGUID>"
        + "".join(results)
        + "</bl:getStateResult>"
    )
    return wrapped(body, envelope)
