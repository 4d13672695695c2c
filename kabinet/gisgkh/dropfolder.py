"""The folder-drop transport: for an operator's own gateway to ГИС ЖКХ (one that sends and
polls by itself), the signed requests are written to a folder and the results read back from
another, instead of the SOAP exchange of ``transport.SoapTransport`` (the same two methods,
so the posting's job does not know which it uses).

- ``<folder>/out/<MessageGUID>.<operation>.xml`` — each request, one file a message, named by
  its own ``MessageGUID`` (unique, and known before it is written); written to a hidden
  ``.….part`` file of the same folder, flushed to disk and then renamed, so the gateway never
  sees half a file (it takes ``*.xml`` only). Written again after a crash, the same bytes go
  to the same name: the gateway sees one message.
- ``<folder>/in/<MessageGUID>.<operation>.xml`` — its result, as the gateway received it from
  ГИС ЖКХ: the service's ``getStateResult`` (alone or in its SOAP envelope), or a SOAP Fault
  with ``base:Fault``. No file yet — «в обработке»; the job asks again later.

The «acknowledgement» of a request is its own ``MessageGUID``: the gateway's exchange is its
own business."""

import os
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from kabinet.gisgkh.messages import BASE, SOAP
from kabinet.gisgkh.transport import (
    OPERATIONS,
    PROCESSING,
    SERVICE_NAMESPACES,
    GisFault,
    State,
    TransientError,
)


def file_name(operation: str, message_guid: str) -> str:
    return f"{message_guid}.{operation}.xml"


class FolderTransport:
    """Requests to ``<folder>/out``, results from ``<folder>/in``."""

    def __init__(self, folder):
        self.outbox = Path(folder) / "out"
        self.inbox = Path(folder) / "in"

    def send(self, operation: str, envelope: bytes, log) -> str:
        """Write the (signed) request; its ``MessageGUID``, which names its result."""
        try:
            guid = ET.fromstring(envelope).findtext(
                f"{{{SOAP}}}Header/{{{BASE}}}RequestHeader/{{{BASE}}}MessageGUID", ""
            )
            guid = str(uuid.UUID(guid))
        except (ET.ParseError, ValueError):
            raise GisFault("RequestHeader", "в запросе нет MessageGUID") from None
        path = self.outbox / file_name(operation, guid)
        log("out", operation, envelope)
        part = self.outbox / f".{path.name}.{uuid.uuid4().hex}.part"
        try:
            with open(part, "xb") as file:
                file.write(envelope)
                file.flush()
                os.fsync(file.fileno())
            os.replace(part, path)
        except OSError as error:
            part.unlink(missing_ok=True)
            log("in", operation, b"", None, f"не записан: {error}")
            raise TransientError(f"Запрос не записан в папку {self.outbox}: {error}") from error
        log("in", operation, b"", None, f"записан: {path.name}")
        return guid

    def get_state(self, operation: str, ack_guid: str, org_ppa_guid: str, log) -> State:
        """The result the gateway put in ``in``; «в обработке» while there is none."""
        path = self.inbox / file_name(operation, ack_guid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            log("in", "getState", b"", None, f"результата ещё нет: {path.name}")
            return State(PROCESSING, ET.Element("pending"))
        except OSError as error:
            log("in", "getState", b"", None, f"не прочитан: {error}")
            raise TransientError(f"Результат не прочитан из папки обмена: {error}") from error
        log("in", "getState", data)
        if b"<!DOCTYPE" in data[:2048].upper():
            raise GisFault("getStateResult", "файл результата с объявлением DOCTYPE")
        try:
            root = ET.fromstring(data)
        except ET.ParseError as error:
            raise GisFault("getStateResult", f"файл результата не XML ({error})") from None
        fault = next(root.iter(f"{{{BASE}}}Fault"), None)
        if fault is not None:
            raise GisFault(
                fault.findtext(f"{{{BASE}}}ErrorCode", ""),
                fault.findtext(f"{{{BASE}}}ErrorMessage", ""),
            )
        tag = f"{{{SERVICE_NAMESPACES[OPERATIONS[operation]]}}}getStateResult"
        result = root if root.tag == tag else next(root.iter(tag), None)
        state = result.findtext(f"{{{BASE}}}RequestState", "") if result is not None else ""
        if not state.isdigit():
            raise GisFault("getStateResult", "в файле результата нет состояния запроса")
        return State(int(state), result)
