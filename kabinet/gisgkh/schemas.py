"""The interface schemas of ГИС ЖКХ, version 16.3.0.0 (March 2026), pinned in ``schemas/``
(the operator's XSD files as collected in edenhauss/domgis-hcs-wsdl-xsd, Apache-2.0, with the
operator's changelog), and the check every message passes before it may be sent.

Validation is by ``xmlschema``, not lxml: the request elements' ``base:version`` attributes
carry ``fixed`` values (``importMeteringDeviceValuesRequest`` 10.0.1.1, ``exportAccountRequest``
10.0.1.1, ``importPaymentDocumentRequest`` 11.2.0.16) that lxml's validator accepts whatever
they are, and a request of the wrong version is refused by the service. A schema is compiled
once per process (the house-management one takes seconds) and kept."""

import functools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

VERSION = "16.3.0.0"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / VERSION
SCHEMAS = {
    "base": "lib/hcs-base.xsd",
    "device-metering": "device-metering/hcs-device-metering-types.xsd",
    "house-management": "house-management/hcs-house-management-types.xsd",
    "bills": "bills/hcs-bills-types.xsd",
}

# The services' namespaces, by the names of ``SCHEMAS``.
NAMESPACES = {
    "base": "http://dom.gosuslugi.ru/schema/integration/base/",
    "device-metering": "http://dom.gosuslugi.ru/schema/integration/device-metering/",
    "house-management": "http://dom.gosuslugi.ru/schema/integration/house-management/",
    "bills": "http://dom.gosuslugi.ru/schema/integration/bills/",
}


class MessageError(ValueError):
    """A message that must not be sent: the reasons, in Russian, one per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@functools.cache
def schema(name: str) -> xmlschema.XMLSchema:
    """The compiled schema ``name`` (a key of ``SCHEMAS``), compiled on first use."""
    return xmlschema.XMLSchema(SCHEMA_DIR / SCHEMAS[name])


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _names(text: str) -> str:
    """Qualified names («{uri}Tag», «tns:Tag») as their local part."""
    return re.sub(r"\{[^}]*\}|\b[\w-]+:(?=\w)", "", text)


def _where(error) -> str:
    """The element's path (and its line, when the document was parsed with lines: lxml)."""
    path = _names(re.sub(r"\{[^}]*\}", "", error.path or "")).strip("/") or "корень"
    line = getattr(error, "sourceline", None)
    return f"строка {line}, {path}" if line else path


def _reason(error) -> str:
    """The validator's reason in Russian for the usual cases, else as it says it."""
    reason = error.reason or error.message
    if match := re.search(r"attribute '(.+)' has a fixed value '(.+)'", reason):
        return f"атрибут {_names(match[1])} должен быть «{match[2]}», здесь «{error.obj}»"
    if match := re.search(r"missing required attribute '(.+)'", reason):
        return f"нет обязательного атрибута {_names(match[1])}"
    if match := re.search(r"length has to be (\d+)", reason):
        return f"значение «{error.obj}» должно быть длиной {match[1]} символов"
    if match := re.search(r"is not complete\. Tag (.+) expected", reason):
        return f"не хватает обязательного элемента {_names(match[1])}"
    if match := re.search(r"Unexpected child with tag '(.+?)'(?:.*Tag (.+) expected)?", reason):
        expected = f"; ожидается {_names(match[2])}" if match[2] else ""
        return f"элемент {_names(match[1])} лишний или не на своём месте{expected}"
    if "doesn't match any pattern" in reason or "pattern" in reason:
        return f"значение «{error.obj}» не соответствует образцу схемы"
    return _names(reason)


def schema_errors(element: ET.Element, name: str, limit: int | None = 20) -> list[str]:
    """«place: reason» for each place (the first ``limit``; None — all) where ``element``
    breaks schema ``name``; empty when it is valid."""
    errors = []
    for error in schema(name).iter_errors(element):
        errors.append(f"{_where(error)}: {_reason(error)}")
        if len(errors) == limit:
            break
    return errors


def check(element: ET.Element, name: str) -> None:
    """``MessageError`` naming each place where ``element`` breaks schema ``name``."""
    errors = schema_errors(element, name, limit=None)
    if errors:
        title = _local(element.tag)
        raise MessageError(
            [f"Сообщение {title} не соответствует схеме ГИС ЖКХ {VERSION}: {e}" for e in errors]
        )
