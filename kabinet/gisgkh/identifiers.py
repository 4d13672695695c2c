"""Importing the identifiers ГИС ЖКХ assigned to an organisation's accounts: the account GUID,
the ЕЛС (10 characters) and the идентификатор ЖКУ (13), from

- the XML result of ``exportAccountData`` (``exportAccountResult`` elements of the
  house-management schema, read by the schema's element names and namespaces: the ЕЛС and
  the идентификатор ЖКУ are account-base elements), or
- the registry of accounts that ГИС's web interface exports as a spreadsheet (XLSX or CSV),
  read by its header names.

Both are all or nothing: every row is checked first (format by length and pattern only —
the system assigns the values, we do not second-guess them), a bad row is named and nothing is
written; the same file twice changes nothing the second time. Accounts are matched by their
number (``AccountNumber``, the number the organisation gave) within the organisation."""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from lxml import etree

from kabinet.audit import services as audit
from kabinet.audit.models import AuditAction
from kabinet.gisgkh import schemas
from kabinet.gisgkh.models import GisAccount
from kabinet.housing import gis
from kabinet.housing.models import PersonalAccount
from kabinet.tabular import TableError, read_rows

HOUSE_MANAGEMENT = "{http://dom.gosuslugi.ru/schema/integration/house-management/}"
ACCOUNT_BASE = "{http://dom.gosuslugi.ru/schema/integration/account-base/}"

# Header titles of the spreadsheet registry, compared without case and with «ё» as «е».
COLUMNS = {
    "number": ("Номер ЛС", "Номер лицевого счета", "Лицевой счет", "AccountNumber"),
    "unified_account": ("Единый лицевой счет", "ЕЛС", "Номер ЕЛС", "UnifiedAccountNumber"),
    "service_id": ("Идентификатор ЖКУ", "ServiceID"),
    "account_guid": ("Идентификатор ЛС", "Идентификатор лицевого счета", "AccountGUID"),
}
REQUIRED = ("number", "unified_account")
# A clash with another organisation's record (the values are unique across the database), told
# without naming anything of that organisation's.
OTHER_ORGANIZATION = "уже указан в другой организации"


class IdentifierImportError(ValueError):
    """The file cannot be imported: ``errors`` says why, row by row; nothing was written."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class AccountIdentifiers:
    where: str  # «Строка 3» or «Счёт 2 (ЛС 154)»: how the person finds the row in the file
    number: str
    unified_account: str
    service_id: str = ""
    account_guid: str = ""


@dataclass(frozen=True)
class ImportOutcome:
    rows: int
    changed: int  # records whose identifiers were new or different
    label: str = "лицевых счетов"  # what was changed, for «изменено …: N»


def _text(element, name: str, namespace=HOUSE_MANAGEMENT) -> str:
    found = element.find(namespace + name)
    return (found.text or "").strip() if found is not None else ""


# A parser that reads no external entity and fetches nothing; it keeps the lines, which the
# schema's reasons name.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_xml(data: bytes):
    """The document's root; a DOCTYPE (entities) or a file that is not XML is refused."""
    if b"<!DOCTYPE" in data[:2048].upper() or b"<!ENTITY" in data.upper():
        raise IdentifierImportError(["Файл XML с объявлением DOCTYPE не принимается."])
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise IdentifierImportError([f"Файл не является документом XML ({error})."]) from None


def state_result(root, service: str, item: str, refusal: str):
    """The ``getStateResult`` of ``service`` (a key of ``schemas.NAMESPACES``:
    ``root`` itself, or inside its SOAP envelope) holding ``item`` elements, once it is valid
    by the service's pinned schema. ``IdentifierImportError`` with ``refusal`` when there is
    none; with the schema's reasons (line and element) when it breaks the schema."""
    namespace = "{" + schemas.NAMESPACES[service] + "}"
    tag = namespace + "getStateResult"
    found = root if root.tag == tag else next(root.iter(tag), None)
    if found is None or found.find(namespace + item) is None:
        raise IdentifierImportError([refusal])
    errors = schemas.schema_errors(found, service)
    if errors:
        raise IdentifierImportError(
            [f"Файл не соответствует схеме ГИС ЖКХ {schemas.VERSION}: {e}" for e in errors]
        )
    return found


def account_export_rows(result) -> list[AccountIdentifiers]:
    """The accounts of a valid ``getStateResult`` of ``exportAccountData``."""
    return [
        AccountIdentifiers(
            where=f"Счёт {position} (ЛС {_text(item, 'AccountNumber') or 'без номера'})",
            number=_text(item, "AccountNumber"),
            unified_account=_text(item, "UnifiedAccountNumber", ACCOUNT_BASE),
            service_id=_text(item, "ServiceID", ACCOUNT_BASE),
            account_guid=_text(item, "AccountGUID"),
        )
        for position, item in enumerate(result.iter(HOUSE_MANAGEMENT + "exportAccountResult"), 1)
    ]


def parse_account_export(data: bytes) -> list[AccountIdentifiers]:
    """The accounts of an uploaded ``exportAccountData`` result, once it is valid by the
    schema (a file that is not is refused with the schema's reasons)."""
    result = state_result(
        parse_xml(data),
        "house-management",
        "exportAccountResult",
        "В файле нет ответа getStateResult с элементами exportAccountResult: "
        "это не результат exportAccountData.",
    )
    return account_export_rows(result)


def _title(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def header_positions(header: list[str], columns: dict) -> dict[str, int]:
    """field → the index of its column, for the columns whose title ``header`` has."""
    titles = [_title(cell) for cell in header]
    positions = {}
    for field, accepted in columns.items():
        wanted = {_title(title) for title in accepted}
        found = [i for i, title in enumerate(titles) if title in wanted]
        if found:
            positions[field] = found[0]
    return positions


def first_row(data: bytes) -> list[str]:
    """The header of a spreadsheet (empty when the file is no table)."""
    try:
        return next(read_rows(data), (0, []))[1]
    except TableError:
        return []


def registry_rows(data: bytes, columns: dict, required, registry: str):
    """(line, {field: text}) of a spreadsheet read by its header names (``columns``: field →
    accepted titles). ``required`` lists the fields, or tuples of fields of which one will do,
    that the header must have; a file without them is refused naming the columns it has."""
    try:
        rows = read_rows(data)
        _, header = next(rows, (0, []))
        positions = header_positions(header, columns)
        missing = [
            " или ".join(f"«{columns[field][0]}»" for field in need)
            for need in ((n,) if isinstance(n, str) else n for n in required)
            if not any(field in positions for field in need)
        ]
        if missing:
            has = ", ".join(f"«{cell}»" for cell in header if cell) or "ни одного"
            raise IdentifierImportError(
                [
                    f"Заголовки файла не совпадают с {registry} ГИС ЖКХ: нет "
                    + ", ".join(missing)
                    + f"; столбцы файла: {has}."
                ]
            )
        return [
            (
                line,
                {
                    field: (cells[i].strip() if i < len(cells) else "")
                    for field, i in positions.items()
                },
            )
            for line, cells in rows
        ]
    except TableError as error:
        raise IdentifierImportError([str(error)]) from None


def parse_account_registry(data: bytes) -> list[AccountIdentifiers]:
    """The accounts of ГИС's spreadsheet registry; a file without the columns is refused with
    the names of the columns it has."""
    return [
        AccountIdentifiers(where=f"Строка {line}", **values)
        for line, values in registry_rows(data, COLUMNS, REQUIRED, "реестром лицевых счетов")
    ]


def _row_errors(row: AccountIdentifiers, account) -> list[str]:
    errors = []
    if account is None:
        errors.append(f"лицевого счёта «{row.number}» нет в организации")
    checks = [(row.unified_account, gis.validate_unified_account)]
    if row.service_id:
        checks.append((row.service_id, gis.validate_service_id))
    if not row.unified_account:
        errors.append("не указан единый лицевой счёт")
        checks = checks[1:]
    for value, validate in checks:
        try:
            validate(value)
        except ValidationError as error:
            errors.extend(error.messages)
    if row.account_guid:
        try:
            uuid.UUID(row.account_guid)
        except ValueError:
            errors.append(f"идентификатор ЛС «{row.account_guid}» не является GUID")
    return [f"{row.where}: {error}" for error in errors]


def _clashes(rows, field: str, label: str) -> list[str]:
    """A value given to two accounts in the file, or held by an account the file leaves alone."""
    errors, seen = [], {}
    for row in rows:
        value = getattr(row, field).lower()
        if not value:
            continue
        if value in seen and seen[value] != row.number:
            errors.append(f"{row.where}: {label} «{getattr(row, field)}» уже указан в файле")
        seen.setdefault(value, row.number)
    return errors


@transaction.atomic
def import_account_identifiers(
    organization, rows: list[AccountIdentifiers], *, by=None, ip: str | None = None
) -> ImportOutcome:
    """Write the identifiers of ``rows`` to the organisation's accounts, or nothing when any row
    is bad (``IdentifierImportError`` naming every bad row). Each account changed is logged in
    the audit log as changed by ``by`` from ``ip``."""
    if not rows:
        raise IdentifierImportError(["В файле нет ни одного лицевого счёта."])
    numbers = [row.number for row in rows]
    accounts = {
        account.number: account
        for account in PersonalAccount.objects.filter(organization=organization, number__in=numbers)
        .select_related("gis")
        .select_for_update(of=("self",))
    }
    errors = []
    seen_numbers = set()
    for row in rows:
        if row.number in seen_numbers:
            errors.append(f"{row.where}: лицевой счёт «{row.number}» уже встречался в файле")
        seen_numbers.add(row.number)
        errors += _row_errors(row, accounts.get(row.number))
    errors += _clashes(rows, "service_id", "идентификатор ЖКУ")
    errors += _clashes(rows, "account_guid", "идентификатор ЛС")
    errors += _held_elsewhere(organization, rows, accounts)
    if errors:
        raise IdentifierImportError(errors)
    changed = [row for row in rows if _differs(row, accounts[row.number])]
    entries = [
        audit.entry(
            action=AuditAction.GIS_IDENTIFIERS_IMPORT,
            organization=organization,
            actor=by,
            ip=ip,
            obj=accounts[row.number],
            changes=_changes(row, accounts[row.number]),
        )
        for row in changed
    ]
    written(_write, changed, accounts)
    audit.record_all(entries)
    return ImportOutcome(rows=len(rows), changed=len(changed))


def written(write, *args):
    """``write(*args)`` in a savepoint; a unique value taken meanwhile by another import
    (checked before, but not locked) refuses the file instead of failing with a server
    error."""
    try:
        with transaction.atomic():
            return write(*args)
    except IntegrityError:
        raise IdentifierImportError(
            ["Идентификаторы из файла только что изменила другая загрузка: загрузите файл ещё раз."]
        ) from None


def _held_elsewhere(organization, rows, accounts) -> list[str]:
    """Identifiers that belong, in the database, to an account the file does not name. An
    account of the organisation is named by its number; the values are unique across the
    database, so one held in another organisation is a clash too, told without anything of
    that organisation's."""
    ids = {account.pk for account in accounts.values()}
    service_ids = {row.service_id: row for row in rows if row.service_id}
    guids = {}
    for row in rows:
        try:
            guids[uuid.UUID(row.account_guid)] = row
        except ValueError:
            continue  # empty or already named as malformed
    errors = []
    taken = (
        PersonalAccount.objects.filter(gis_service_id__in=list(service_ids))
        .exclude(pk__in=ids)
        .values_list("organization_id", "number", "gis_service_id")
        .order_by("gis_service_id")
    )
    for organization_id, number, value in taken:
        row = service_ids[value]
        label = f"{row.where}: идентификатор ЖКУ «{row.service_id}»"
        if organization_id == organization.pk:
            errors.append(f"{label} уже у лицевого счёта № {number}")
        else:
            errors.append(f"{label} {OTHER_ORGANIZATION}")
    taken = (
        GisAccount.objects.filter(account_guid__in=list(guids))
        .exclude(account_id__in=ids)
        .values_list("account__organization_id", "account__number", "account_guid")
        .order_by("account_guid")
    )
    for organization_id, number, value in taken:
        row = guids[value]
        label = f"{row.where}: идентификатор ЛС «{row.account_guid}»"
        if organization_id == organization.pk:
            errors.append(f"{label} уже у лицевого счёта № {number}")
        else:
            errors.append(f"{label} {OTHER_ORGANIZATION}")
    return errors


def _stored_guid(account) -> str:
    gis_account = getattr(account, "gis", None)
    return str(gis_account.account_guid) if gis_account else ""


def _differs(row: AccountIdentifiers, account) -> bool:
    return (
        account.unified_account != row.unified_account
        or (row.service_id and account.gis_service_id != row.service_id)
        or (row.account_guid and _stored_guid(account) != str(uuid.UUID(row.account_guid)))
    )


def _changes(row: AccountIdentifiers, account) -> dict:
    """field → [old, new] of what the row changes on the account, for the audit log."""
    before = {
        "unified_account": account.unified_account,
        "gis_service_id": account.gis_service_id,
        "account_guid": _stored_guid(account) or None,
    }
    after = {
        "unified_account": row.unified_account,
        "gis_service_id": row.service_id or account.gis_service_id,
        "account_guid": str(uuid.UUID(row.account_guid))
        if row.account_guid
        else before["account_guid"],
    }
    return {name: [before[name], after[name]] for name in before if before[name] != after[name]}


def _write(rows: list[AccountIdentifiers], accounts) -> None:
    # Two steps, so that identifiers that move between accounts of the file never clash with
    # the unique constraints half-way.
    changed = [accounts[row.number] for row in rows]
    moving_ids = [a.pk for a, r in zip(changed, rows, strict=True) if r.service_id]
    PersonalAccount.objects.filter(pk__in=moving_ids).update(gis_service_id=None)
    GisAccount.objects.filter(
        account__in=[a for a, r in zip(changed, rows, strict=True) if r.account_guid]
    ).delete()
    for row, account in zip(rows, changed, strict=True):
        account.unified_account = row.unified_account
        if row.service_id:  # else it stays as it was (not cleared above)
            account.gis_service_id = row.service_id
        account.save(update_fields=["unified_account", "gis_service_id"])
        if row.account_guid:
            GisAccount.objects.create(account=account, account_guid=uuid.UUID(row.account_guid))
