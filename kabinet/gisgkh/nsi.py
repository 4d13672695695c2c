"""Which element of ГИС ЖКХ's reference books (НСИ) each service and metered resource of an
organisation is: staff copy the element's code and GUID from the organisation's reference
books in ГИС ЖКХ (the registries 51 and 1 are the organisation's own, «справочник
исполнителя»), and the messages name them (``nsiRef``: code and GUID).

Which registry a service may take follows the element its charge goes under in
``importPaymentDocumentRequest`` (``hcs-bills-types.xsd`` 16.3.0.0, the documentation of
``ChargeInfo``'s ``ServiceType`` and of ``PenaltiesAndCourtCosts``): a housing service — НСИ 50
«Вид жилищной услуги», a utility — НСИ 51 «Главная коммунальная услуга», any other — НСИ 1
«Вид дополнительной услуги»; penalties — НСИ 329 «Неустойки и судебные расходы». The capital
repair contribution goes as ``CapitalRepairCharge``, which names no НСИ element, so it takes
none. A metered resource is an element of НСИ 2 «Вид коммунального ресурса» (the readings'
``MunicipalResource``).

The checks are by format (``nsiCodeType``, ``GUIDType``) and by consistency within the
organisation: one GUID is one element, so it has one code in one registry whichever service
or resource names it. Every change is in the audit log."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from kabinet.audit import services as audit
from kabinet.audit.models import AuditAction
from kabinet.billing.models import PENALTY_METHODS, CalculationMethod
from kabinet.gisgkh.models import ResourceNsiItem, ServiceNsiItem, validate_nsi_code
from kabinet.metering.models import Resource

SERVICE_REGISTRIES = {
    50: "Вид жилищной услуги",
    51: "Главная коммунальная услуга",
    1: "Вид дополнительной услуги",
}
PENALTY_REGISTRIES = {329: "Неустойки и судебные расходы"}
RESOURCE_REGISTRY = 2  # «Вид коммунального ресурса»
NO_NSI_METHODS = {CalculationMethod.CAPITAL_REPAIR}
CODE_LENGTH = 20  # nsiCodeType maxLength


def registries_for(service) -> dict[int, str]:
    """The НСИ registries ``service`` may be an element of (number → name); none for the
    capital repair contribution."""
    if service.method in NO_NSI_METHODS:
        return {}
    if service.method in PENALTY_METHODS:
        return PENALTY_REGISTRIES
    return SERVICE_REGISTRIES


def _checked(registry, code: str, guid, name: str, allowed) -> dict:
    errors = {}
    if registry not in allowed:
        errors["registry"] = "Для этой услуги — справочник " + " или ".join(
            f"НСИ {number} «{title}»" for number, title in allowed.items()
        )
    code = code.strip()
    if not code:
        errors["code"] = "Укажите код элемента справочника."
    elif len(code) > CODE_LENGTH:
        errors["code"] = f"Код элемента НСИ — не длиннее {CODE_LENGTH} знаков."
    else:
        try:
            validate_nsi_code(code)
        except ValidationError as error:
            errors["code"] = error.messages
    try:
        guid = uuid.UUID(str(guid))
    except ValueError:
        errors["guid"] = "GUID элемента — 32 шестнадцатеричные цифры, например «1a2b3c4d-…»."
    if len(name) > 255:
        errors["name"] = "Наименование — не длиннее 255 знаков."
    if errors:
        raise ValidationError(errors)
    return {"registry": registry, "code": code, "guid": guid, "name": name.strip()}


def _same_element(organization, values: dict, *, exclude) -> None:
    """Refuse a GUID that the organisation's other services or resources give another code or
    registry, and a code of the registry that they give another GUID."""
    others = [
        *ServiceNsiItem.objects.filter(service__organization=organization).select_related(
            "service"
        ),
        *ResourceNsiItem.objects.filter(organization=organization),
    ]
    for other in others:
        if other == exclude:
            continue
        whose = (
            f"услуги «{other.service.name}»"
            if isinstance(other, ServiceNsiItem)
            else f"ресурса «{other.get_resource_display()}»"
        )
        if other.guid == values["guid"] and (other.registry, other.code) != (
            values["registry"],
            values["code"],
        ):
            raise ValidationError(
                {
                    "guid": f"Элемент с этим GUID уже указан для {whose} как НСИ "
                    f"{other.registry}, код «{other.code}»: у одного элемента один код."
                }
            )
        if (other.registry, other.code) == (values["registry"], values["code"]) and (
            other.guid != values["guid"]
        ):
            raise ValidationError(
                {
                    "code": f"Код «{other.code}» НСИ {other.registry} уже указан для {whose} "
                    f"с другим GUID ({other.guid})."
                }
            )


def _save(item, values: dict, organization, *, by, ip):
    """Write ``values`` to ``item`` (new or stored) and log what changed."""
    before = audit.snapshot(item) if item.pk else None
    for field, value in values.items():
        setattr(item, field, value)
    changes = audit.changed(before, item) if before is not None else audit.added(item)
    if before is not None and not changes:
        return item
    item.save()
    audit.record(
        action=AuditAction.CHANGED if before is not None else AuditAction.ADDED,
        organization=organization,
        actor=by,
        ip=ip,
        obj=item,
        changes=changes,
    )
    return item


def _delete(item, organization, *, by, ip) -> None:
    if item is None:
        return
    audit.record(
        action=AuditAction.DELETED,
        organization=organization,
        actor=by,
        ip=ip,
        obj=item,
        changes=audit.deleted(item),
    )
    item.delete()


@transaction.atomic
def set_service_nsi(service, *, registry, code, guid, name="", by=None, ip=None):
    """Make ``service`` the НСИ element (``registry``, ``code``, ``guid``, ``name``);
    ``ValidationError`` by field when the element does not fit. ``by`` from ``ip`` is logged."""
    allowed = registries_for(service)
    if not allowed:
        raise ValidationError(
            "Взнос на капитальный ремонт передаётся в платёжном документе отдельно "
            "(CapitalRepairCharge) и элемента НСИ не имеет."
        )
    values = _checked(registry, code, guid, name, allowed)
    item = ServiceNsiItem.objects.select_for_update().filter(service=service).first()
    _same_element(service.organization, values, exclude=item)
    return _save(
        item or ServiceNsiItem(service=service), values, service.organization, by=by, ip=ip
    )


@transaction.atomic
def clear_service_nsi(service, *, by=None, ip=None) -> None:
    """Forget the НСИ element of ``service`` (logged)."""
    item = ServiceNsiItem.objects.select_for_update().filter(service=service).first()
    _delete(item, service.organization, by=by, ip=ip)


@transaction.atomic
def set_resource_nsi(organization, resource, *, code, guid, name="", by=None, ip=None):
    """Make the organisation's metered ``resource`` the element of НСИ 2 (``code``, ``guid``,
    ``name``); ``ValidationError`` by field when it does not fit."""
    resource = Resource(resource)
    values = _checked(
        RESOURCE_REGISTRY, code, guid, name, {RESOURCE_REGISTRY: "Вид коммунального ресурса"}
    )
    item = (
        ResourceNsiItem.objects.select_for_update()
        .filter(organization=organization, resource=resource)
        .first()
    )
    _same_element(organization, values, exclude=item)
    new = ResourceNsiItem(organization=organization, resource=resource)
    return _save(item or new, values, organization, by=by, ip=ip)


@transaction.atomic
def clear_resource_nsi(organization, resource, *, by=None, ip=None) -> None:
    """Forget the НСИ element of the organisation's ``resource`` (logged)."""
    item = (
        ResourceNsiItem.objects.select_for_update()
        .filter(organization=organization, resource=resource)
        .first()
    )
    _delete(item, organization, by=by, ip=ip)
