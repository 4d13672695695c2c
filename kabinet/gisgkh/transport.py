"""The asynchronous SOAP exchange with ГИС ЖКХ as its WSDLs describe it (interface 16.3.0.0):
a request is POSTed to its service with ``SOAPAction: urn:<operation>`` and answered at once
with ``base:AckRequest`` (the ``MessageGUID`` the service gave it); the result is then asked
for with ``getState`` of the same service until its ``RequestState`` is 3 («обработано»;
1 — получено, 2 — в обработке). A refusal is a SOAP Fault with ``base:Fault``
(``ErrorCode``, ``ErrorMessage``).

Every request and every answer (or the failure to get one) goes to ``log`` as it is. No answer,
a 5xx answer without a Fault, 429 — ``TransientError`` (the caller retries, a bounded number of
times); a Fault or another answer — ``GisFault`` (final: the same request would be refused
again)."""

import datetime
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from kabinet.gisgkh.messages import BASE, SOAP, request_header
from kabinet.gisgkh.schemas import NAMESPACES

# The WSDLs' soap:address paths (…-service-async.wsdl), after the base address.
SERVICES = {
    "device-metering": "ext-bus-device-metering-service/services/DeviceMeteringAsync",
    "house-management": "ext-bus-home-management-service/services/HomeManagementAsync",
    "bills": "ext-bus-bills-service/services/BillsAsync",
}
# An operation → its service (and the schema of that service's getStateResult).
OPERATIONS = {
    "importMeteringDeviceValues": "device-metering",
    "exportAccountData": "house-management",
    "exportMeteringDeviceData": "house-management",
    "importPaymentDocumentData": "bills",
}
SERVICE_NAMESPACES = {service: NAMESPACES[service] for service in SERVICES}
RECEIVED, PROCESSING, READY = 1, 2, 3  # base:AsyncRequestStateType

Log = Callable[..., None]  # log(direction, action, body: bytes, status=None, error="")


class TransientError(Exception):
    """No usable answer this time (no connection, a timeout, the service unavailable)."""


class GisFault(Exception):
    """ГИС ЖКХ refused the request (a SOAP Fault): ``code`` and its message."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class State:
    """A ``getStateResult``: its ``RequestState`` and the element itself."""

    request_state: int
    result: ET.Element


class SoapTransport:
    """The service at ``base_url`` (the production address, the test stand or a fake one)."""

    def __init__(self, base_url: str, *, timeout: float = 30):
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout

    def _post(self, service: str, action: str, envelope: bytes, log: Log) -> ET.Element:
        """The Body's first element of the answer to ``envelope``."""
        request = urllib.request.Request(
            self.base_url + SERVICES[service],
            data=envelope,
            method="POST",
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f"urn:{action}",
            },
        )
        log("out", action, envelope)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            log("in", action, b"", None, f"нет ответа: {reason}")
            raise TransientError(f"ГИС ЖКХ не ответила: {reason}") from error
        log("in", action, data, status)
        try:
            body = ET.fromstring(data).find(f"{{{SOAP}}}Body")
        except ET.ParseError:
            body = None
        answer = body[0] if body is not None and len(body) else None
        if answer is not None and answer.tag == f"{{{SOAP}}}Fault":
            fault = answer.find(f".//{{{BASE}}}Fault")
            if fault is not None:
                raise GisFault(
                    fault.findtext(f"{{{BASE}}}ErrorCode", ""),
                    fault.findtext(f"{{{BASE}}}ErrorMessage", ""),
                )
            raise GisFault(
                answer.findtext("faultcode", "Fault"), answer.findtext("faultstring", "")
            )
        if status >= 500 or status == 429:
            raise TransientError(f"ГИС ЖКХ недоступна (HTTP {status})")
        if status != 200 or answer is None:
            raise GisFault(f"HTTP {status}", "ответ не по протоколу обмена")
        return answer

    def send(self, operation: str, envelope: bytes, log: Log) -> str:
        """Post the (signed) request; the ``MessageGUID`` of its acknowledgement."""
        answer = self._post(OPERATIONS[operation], operation, envelope, log)
        guid = answer.findtext(f"{{{BASE}}}Ack/{{{BASE}}}MessageGUID")
        if answer.tag != f"{{{BASE}}}AckRequest" or not guid:
            raise GisFault("AckRequest", "в ответе нет квитанции о приёме")
        return guid

    def get_state(self, operation: str, ack_guid: str, org_ppa_guid: str, log: Log) -> State:
        """``getState`` of the request acknowledged as ``ack_guid``."""
        envelope = ET.Element(f"{{{SOAP}}}Envelope")
        header = request_header(
            org_ppa_guid,
            message_guid=str(uuid.uuid4()),
            now=datetime.datetime.now(datetime.UTC),
        )
        ET.SubElement(envelope, f"{{{SOAP}}}Header").append(header)
        body = ET.SubElement(envelope, f"{{{SOAP}}}Body")
        request = ET.SubElement(body, f"{{{BASE}}}getStateRequest")
        ET.SubElement(request, f"{{{BASE}}}MessageGUID").text = ack_guid
        service = OPERATIONS[operation]
        answer = self._post(
            service, "getState", ET.tostring(envelope, "utf-8", xml_declaration=True), log
        )
        state = answer.findtext(f"{{{BASE}}}RequestState", "")
        if answer.tag != f"{{{SERVICE_NAMESPACES[service]}}}getStateResult" or not state.isdigit():
            raise GisFault("getStateResult", "в ответе нет состояния запроса")
        return State(int(state), answer)
