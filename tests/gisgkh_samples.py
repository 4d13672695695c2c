"""Sample exports of ГИС ЖКХ built for the tests: the results of exportAccountData and
exportMeteringDeviceData as the house-management schema names their elements, and of
exportPaymentDocumentData as the bills schema does (valid by it, which a test checks)."""

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


BASE = "http://dom.gosuslugi.ru/schema/integration/base/"
BILLS = "http://dom.gosuslugi.ru/schema/integration/bills/"
BILLS_BASE = "http://dom.gosuslugi.ru/schema/integration/bills-base/"
PAYMENTS_BASE = "http://dom.gosuslugi.ru/schema/integration/payments-base/"
MESSAGE_GUID = "3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"


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
    if envelope:
        soap = "http://schemas.xmlsoap.org/soap/envelope/"
        body = (
            f'<soap:Envelope xmlns:soap="{soap}"><soap:Header/><soap:Body>{body}'
            "</soap:Body></soap:Envelope>"
        )
    return ('<?xml version="1.0" encoding="utf-8"?>' + body).encode()
