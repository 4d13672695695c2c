"""A fake ГИС ЖКХ on 127.0.0.1 for the tests: it answers the asynchronous WSDLs' operations
(``importMeteringDeviceValues``, ``exportAccountData``, ``exportMeteringDeviceData``,
``importPaymentDocumentData``, ``getState``) as the service does, with answers that are
checked against the pinned schemas before they go out. Its behaviour is set per test: answers
«unavailable» (503) first, «still processing» (``RequestState`` 2) for a number of polls, a
Fault, a refusal of the whole message (``ErrorMessage``) or of some meters
(``ImportResult/Error``). The exports answer with the accounts (``accounts``: ЕЛС → number,
GUID, идентификатор ЖКУ) and the meters (``meters``: a house's ФИАС GUID → serial number, root
GUID, account GUID) the test gives it. A request it already received (the same
``MessageGUID`` of the header) gets the same acknowledgement, and is not taken twice; a
request that breaks its schema is refused with a Fault, like the service."""

import datetime
import threading
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kabinet.gisgkh.messages import ACCOUNT_BASE, BASE, DEVICE_METERING, HOUSE_MANAGEMENT, SOAP
from kabinet.gisgkh.schemas import check, schema_errors
from kabinet.gisgkh.transport import OPERATIONS, SERVICE_NAMESPACES, SERVICES
from tests.gisgkh_samples import account_result, export_xml, meter_result

PATHS = {"/" + path: service for service, path in SERVICES.items()}


def _sub(parent, namespace, name, text=None):
    element = ET.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


class FakeGis:
    def __init__(self):
        self.unavailable = 0  # the next N requests: 503 without a Fault
        self.pending_polls = 0  # the first N getState of each message: RequestState 2
        self.send_fault = None  # (code, message): the next request refused with a Fault
        self.message_error = None  # (code, description): the result refuses the whole message
        self.device_errors = {}  # MeteringDeviceRootGUID → (code, description)
        self.accounts = {}  # UnifiedAccountNumber → (AccountNumber, AccountGUID, ServiceID)
        self.meters = {}  # FIASHouseGuid → [(serial number, root GUID, account GUID)]
        self.received = {}  # our MessageGUID → the ack's MessageGUID
        self.requests = {}  # ack MessageGUID → (operation, the request element)
        self.polls = {}  # ack MessageGUID → getState calls so far
        self.actions = []  # SOAPAction of every request, in order
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                data = self.rfile.read(int(self.headers["Content-Length"]))
                action = self.headers.get("SOAPAction", "").removeprefix("urn:")
                status, answer = fake.answer(self.path, action, data)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        return Handler

    @staticmethod
    def _envelope(body: ET.Element, *, header: ET.Element | None = None) -> bytes:
        envelope = ET.Element(f"{{{SOAP}}}Envelope")
        if header is not None:
            ET.SubElement(envelope, f"{{{SOAP}}}Header").append(header)
        ET.SubElement(envelope, f"{{{SOAP}}}Body").append(body)
        return ET.tostring(envelope, "utf-8", xml_declaration=True)

    def _result_header(self) -> ET.Element:
        header = ET.Element(f"{{{BASE}}}ResultHeader")
        _sub(header, BASE, "Date", datetime.datetime.now(datetime.UTC).isoformat())
        _sub(header, BASE, "MessageGUID", uuid.uuid4())
        check(header, "base")
        return header

    def _fault(self, code: str, message: str) -> tuple[int, bytes]:
        fault = ET.Element(f"{{{SOAP}}}Fault")
        ET.SubElement(fault, "faultcode").text = "soap:Server"
        ET.SubElement(fault, "faultstring").text = message
        detail = _sub(ET.SubElement(fault, "detail"), BASE, "Fault")
        _sub(detail, BASE, "ErrorCode", code)
        _sub(detail, BASE, "ErrorMessage", message)
        check(detail, "base")
        return 500, self._envelope(fault)

    def answer(self, path: str, action: str, data: bytes) -> tuple[int, bytes]:
        self.actions.append(action)
        if self.unavailable:
            self.unavailable -= 1
            return 503, b"Service Unavailable"
        service = PATHS.get(path)
        envelope = ET.fromstring(data)
        header = envelope.find(f"{{{SOAP}}}Header/{{{BASE}}}RequestHeader")
        request = envelope.find(f"{{{SOAP}}}Body")[0]
        if service is None or header is None:
            return self._fault("INT002000", "Неизвестный адрес или нет заголовка запроса")
        if action == "getState":
            return self._state(service, request.findtext(f"{{{BASE}}}MessageGUID"))
        if OPERATIONS.get(action) != service:
            return self._fault("INT002000", f"Операция {action} не поддерживается")
        if self.send_fault:
            code, message = self.send_fault
            self.send_fault = None
            return self._fault(code, message)
        if errors := schema_errors(request, service):
            return self._fault("INT002012", "; ".join(errors))
        ours = header.findtext(f"{{{BASE}}}MessageGUID")
        if ours not in self.received:
            self.received[ours] = str(uuid.uuid4())
            self.requests[self.received[ours]] = (action, request)
        ack = ET.Element(f"{{{BASE}}}AckRequest")
        inner = _sub(ack, BASE, "Ack")
        _sub(inner, BASE, "MessageGUID", self.received[ours])
        _sub(inner, BASE, "RequesterMessageGUID", ours)
        check(ack, "base")
        return 200, self._envelope(ack, header=self._result_header())

    def _export(self, operation: str, request: ET.Element) -> ET.Element:
        """The house-management ``getStateResult`` of an export: the accounts or meters asked
        for that the test gave (none — ``ErrorMessage`` «не найдено», as the service says)."""
        if operation == "exportAccountData":
            items = [
                account_result(number, els, service_id, guid)
                for unified in request.iter(f"{{{ACCOUNT_BASE}}}UnifiedAccountNumber")
                if (els := unified.text) in self.accounts
                for number, guid, service_id in [self.accounts[els]]
            ]
        else:
            house = request.findtext(f"{{{HOUSE_MANAGEMENT}}}FIASHouseGuid")
            items = [meter_result(*meter) for meter in self.meters.get(house, [])]
        result = ET.fromstring(export_xml(*items))
        if not items:
            error = _sub(result, BASE, "ErrorMessage")
            _sub(error, BASE, "ErrorCode", "INT002012")
            _sub(error, BASE, "Description", "Нет объектов для экспорта")
        return result

    def _state(self, service: str, ack_guid: str) -> tuple[int, bytes]:
        if ack_guid not in self.requests:
            return self._fault("INT002001", "Сообщение с таким MessageGUID не найдено")
        self.polls[ack_guid] = self.polls.get(ack_guid, 0) + 1
        operation, request = self.requests[ack_guid]
        ready = self.polls[ack_guid] > self.pending_polls
        if ready and not self.message_error and service == "house-management":
            result = self._export(operation, request)
            result.find(f"{{{BASE}}}MessageGUID").text = ack_guid
            check(result, service)
            return 200, self._envelope(result, header=self._result_header())
        namespace = SERVICE_NAMESPACES[service]
        result = ET.Element(f"{{{namespace}}}getStateResult")
        version = "11.0.0.1" if service == "house-management" else "10.0.1.1"
        result.set(f"{{{BASE}}}version", version)
        _sub(result, BASE, "RequestState", 3 if ready else 2)
        _sub(result, BASE, "MessageGUID", ack_guid)
        if ready and self.message_error:
            error = _sub(result, BASE, "ErrorMessage")
            _sub(error, BASE, "ErrorCode", self.message_error[0])
            _sub(error, BASE, "Description", self.message_error[1])
        elif ready and service == "device-metering":
            for device in request.iter(f"{{{DEVICE_METERING}}}MeteringDevicesValues"):
                root_guid = device.findtext(f"{{{DEVICE_METERING}}}MeteringDeviceRootGUID")
                item = _sub(result, DEVICE_METERING, "ImportResult")
                if root_guid not in self.device_errors:
                    _sub(item, BASE, "GUID", uuid.uuid4())
                _sub(item, BASE, "TransportGUID", device.findtext(f".//{{{BASE}}}TransportGUID"))
                if root_guid in self.device_errors:
                    error = _sub(item, BASE, "Error")
                    _sub(error, BASE, "ErrorCode", self.device_errors[root_guid][0])
                    _sub(error, BASE, "Description", self.device_errors[root_guid][1])
                else:
                    _sub(item, BASE, "UpdateDate", datetime.datetime.now(datetime.UTC).isoformat())
        check(result, service)
        return 200, self._envelope(result, header=self._result_header())
