"""Importing the идентификаторы платёжных документов (ИПД, 18 characters) that ГИС ЖКХ gave
the organisation's payment documents, per account and month (``receipts.PaymentDocumentId``,
which the payment document prints: Приказ Минстроя России от 26.01.2018 № 43/пр), from

- the XML result of ``exportPaymentDocumentData`` (``getStateResult`` of the bills schema,
  alone or inside its SOAP envelope), validated against the pinned schema before it is read:
  per ``exportPaymentDocResult/PaymentDocument`` the account's ``AccountGuid``, the month
  (``base:Month``, ``base:Year``) and ``PaymentDocumentID``; the account number of its
  ``PaymentInformation`` is used when the account's GUID has not been imported yet;
- the register of payment documents that ГИС's web interface exports as a spreadsheet, read by
  its header names (``COLUMNS``).

A document whose file gives no month takes the one staff chose on upload. All or nothing, like
the other identifiers: every row is checked first — the format by length and alphabet, the
account and the period found in the organisation, one ИПД for two documents or two for one
document in the file, an ИПД held by a document the file leaves alone (named when it is the
organisation's, told without naming when another organisation's) — and nothing is written
when one is bad. A document may get a new ИПД (ГИС gives one when a document is withdrawn and
posted again): the changed ones are cleared, then set, in one transaction. The same file twice
changes nothing."""

import datetime
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from kabinet.audit import services as audit
from kabinet.audit.models import AuditAction
from kabinet.billing.models import Period
from kabinet.formats import MONTHS, month_name
from kabinet.gisgkh.identifiers import (
    OTHER_ORGANIZATION,
    IdentifierImportError,
    ImportOutcome,
    header_positions,
    parse_xml,
    registry_rows,
    state_result,
    written,
)
from kabinet.gisgkh.models import GisAccount
from kabinet.housing import gis
from kabinet.housing.models import PersonalAccount
from kabinet.months import month_of, parse_month
from kabinet.receipts.models import PaymentDocumentId

BASE = "{http://dom.gosuslugi.ru/schema/integration/base/}"
BILLS = "{http://dom.gosuslugi.ru/schema/integration/bills/}"
BILLS_BASE = "{http://dom.gosuslugi.ru/schema/integration/bills-base/}"
ACCOUNT_BASE = "{http://dom.gosuslugi.ru/schema/integration/account-base/}"

# Header titles of the spreadsheet register, compared without case and with «ё» as «е». As for
# the accounts' registry, no primary description of the web interface's export was found: the
# titles are a list to extend when a real file differs.
COLUMNS = {
    "value": (
        "Идентификатор платежного документа",
        "ИПД",
        "Идентификатор ПД",
        "PaymentDocumentID",
    ),
    "number": ("Номер ЛС", "Номер лицевого счета", "Лицевой счет", "AccountNumber"),
    "account_guid": ("Идентификатор ЛС", "Идентификатор лицевого счета", "AccountGUID"),
    "month": ("Расчетный период", "Период", "Месяц", "Расчетный месяц"),
}
REQUIRED = ("value", ("number", "account_guid"))
_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)


@dataclass(frozen=True)
class DocumentIdentifier:
    where: str  # «Строка 3» or «Документ 2 (ИПД …)»: how the person finds it in the file
    value: str
    number: str = ""
    account_guid: str = ""
    month: str = ""  # as the file gives it; empty — the month chosen on upload


def is_document_register(header: list[str]) -> bool:
    """Whether a spreadsheet's header is that of the payment documents' register."""
    return "value" in header_positions(header, {"value": COLUMNS["value"]})


def parse_document_export(data: bytes) -> list[DocumentIdentifier]:
    """The documents of an ``exportPaymentDocumentData`` result, once the result is valid by
    the schema (a file that is not is refused with the schema's reasons)."""
    result = state_result(
        parse_xml(data),
        "bills",
        "exportPaymentDocResult",
        "В файле нет ответа getStateResult с элементами exportPaymentDocResult: "
        "это не выгрузка платёжных документов.",
    )
    documents = []
    for position, document in enumerate(result.iter(BILLS + "PaymentDocument"), start=1):
        value = document.findtext(BILLS_BASE + "PaymentDocumentID", "").strip()
        month, year = document.findtext(BASE + "Month"), document.findtext(BASE + "Year")
        numbers = [
            information.findtext(BILLS + "AccountNumber", "").strip()
            for information in document.findall(BILLS + "PaymentInformation")
        ]
        documents.append(
            DocumentIdentifier(
                where=f"Документ {position} (ИПД {value})",
                value=value,
                number=next((number for number in numbers if number), ""),
                account_guid=document.findtext(ACCOUNT_BASE + "AccountGuid", "").strip(),
                month=f"{int(month):02d}.{year}" if month and year else "",
            )
        )
    if not documents:
        raise IdentifierImportError(["В выгрузке нет ни одного платёжного документа."])
    return documents


def parse_document_register(data: bytes) -> list[DocumentIdentifier]:
    """The documents of ГИС's spreadsheet register; a file without the columns is refused with
    the names of the columns it has."""
    return [
        DocumentIdentifier(where=f"Строка {line}", **values)
        for line, values in registry_rows(data, COLUMNS, REQUIRED, "реестром платёжных документов")
    ]


def parse_period(text: str) -> datetime.date:
    """The month of «10.2026», «2026-10», «01.10.2026», «2026-10-01» (a date cell) or
    «октябрь 2026»; ``ValueError`` in Russian otherwise."""
    text = " ".join(text.lower().split())
    if match := _DAY.fullmatch(text):
        month, year = (match[2], match[3]) if match[1] else (match[5], match[4])
        return month_of(int(year), int(month))
    name, _, year = text.partition(" ")
    if name in MONTHS and year.isascii() and year.isdigit():
        return month_of(int(year), MONTHS.index(name) + 1)
    return parse_month(text)


@dataclass(frozen=True)
class _Resolved:
    row: DocumentIdentifier
    account: PersonalAccount
    period: Period

    @property
    def key(self):
        return (self.account.pk, self.period.pk)


class _Lookup:
    """The organisation's accounts (by GUID and by number) and periods the rows name, each
    read in one query."""

    def __init__(self, organization, rows, months):
        guids = {_guid(row.account_guid) for row in rows} - {None}
        self.by_guid = {
            gis_account.account_guid: gis_account.account
            for gis_account in GisAccount.objects.filter(
                account__organization=organization, account_guid__in=guids
            ).select_related("account")
        }
        self.by_number = {
            account.number: account
            for account in PersonalAccount.objects.filter(
                organization=organization, number__in={row.number for row in rows if row.number}
            )
        }
        self.periods = {
            period.month: period
            for period in Period.objects.filter(organization=organization, month__in=months)
        }

    def account(self, row, errors):
        guid = _guid(row.account_guid)
        if row.account_guid and guid is None:
            errors.append(f"идентификатор ЛС «{row.account_guid}» не является GUID")
            return None
        by_guid, by_number = self.by_guid.get(guid), self.by_number.get(row.number)
        if by_guid and by_number and by_guid != by_number:
            errors.append(
                f"идентификатор ЛС указывает на лицевой счёт № {by_guid.number}, "
                f"а номер — на № {by_number.number}"
            )
            return None
        if by_guid or by_number:
            return by_guid or by_number
        if row.number:
            errors.append(f"лицевого счёта «{row.number}» нет в организации")
        elif guid:
            errors.append(
                f"лицевого счёта с идентификатором «{row.account_guid}» в организации нет: "
                "загрузите сначала идентификаторы лицевых счетов (exportAccountData)"
            )
        else:
            errors.append("не указан лицевой счёт")
        return None


def _guid(text: str):
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _month(row, default, errors):
    if not row.month:
        if default is None:
            errors.append("не указан расчётный период: выберите его при загрузке файла")
        return default
    try:
        return parse_period(row.month)
    except ValueError:
        errors.append(f"расчётный период «{row.month[:30]}» — не месяц (нужно ММ.ГГГГ)")
        return None


@transaction.atomic
def import_document_identifiers(
    organization, rows: list[DocumentIdentifier], *, month=None, by=None, ip: str | None = None
) -> ImportOutcome:
    """Record the ИПД of ``rows`` for the organisation's accounts and periods (``month`` for a
    row that names none), or nothing when any row is bad (``IdentifierImportError`` naming
    every bad row); each document changed is logged in the audit log as by ``by`` from
    ``ip``."""
    if not rows:
        raise IdentifierImportError(["В файле нет ни одного платёжного документа."])
    months, month_errors = {}, {}
    for row in rows:
        month_errors[row] = []
        months[row] = _month(row, month, month_errors[row])
    lookup = _Lookup(organization, rows, set(months.values()) - {None})
    errors, resolved = [], []
    for row in rows:
        row_errors = month_errors[row]
        try:
            gis.validate_payment_document_id(row.value)
        except ValidationError as error:
            row_errors.extend(error.messages)
        account = lookup.account(row, row_errors)
        period = lookup.periods.get(months[row]) if months[row] else None
        if months[row] and period is None:
            row_errors.append(f"периода «{month_name(months[row])}» в организации нет")
        if row_errors:
            errors += [f"{row.where}: {error}" for error in row_errors]
        elif account is not None and period is not None:
            resolved.append(_Resolved(row, account, period))
    errors += _clashes_in_file(resolved)
    wanted = {item.key: item for item in resolved}
    stored = _stored(wanted)
    errors += _held_elsewhere(organization, wanted)
    if errors:
        raise IdentifierImportError(errors)
    changed = [item for key, item in wanted.items() if stored.get(key) != item.row.value]
    documents = written(_write, changed)
    audit.record_all(
        [
            audit.entry(
                action=AuditAction.GIS_IDENTIFIERS_IMPORT,
                organization=organization,
                actor=by,
                ip=ip,
                obj=document,
                changes={
                    "account": [None, str(item.account)],
                    "period": [None, month_name(item.period.month)],
                    "value": [stored.get(item.key), item.row.value],
                },
            )
            for item, document in zip(changed, documents, strict=True)
        ]
    )
    return ImportOutcome(rows=len(rows), changed=len(changed), label="платёжных документов")


def _clashes_in_file(resolved: list[_Resolved]) -> list[str]:
    """One ИПД for two documents, or two ИПД for one document, in the file."""
    errors, by_value, by_key = [], {}, {}
    for item in resolved:
        value = item.row.value
        first = by_value.setdefault(value, item)
        if first.key != item.key:
            errors.append(f"{item.row.where}: ИПД «{value}» в файле уже у другого документа "
                          f"({first.row.where})")  # fmt: skip
            continue
        first = by_key.setdefault(item.key, item)
        if first.row.value != value:
            errors.append(
                f"{item.row.where}: у документа ЛС № {item.account.number} за "
                f"{month_name(item.period.month)} в файле уже другой ИПД ({first.row.where})"
            )
    return errors


def _stored(wanted) -> dict:
    """(account, period) → the ИПД stored for it, for the documents of the file."""
    stored = PaymentDocumentId.objects.filter(
        account__in={key[0] for key in wanted}, period__in={key[1] for key in wanted}
    ).values_list("account_id", "period_id", "value")
    return {(account, period): value for account, period, value in stored
            if (account, period) in wanted}  # fmt: skip


def _held_elsewhere(organization, wanted) -> list[str]:
    """ИПД of the file stored for a document the file does not name."""
    by_value = {item.row.value: item for item in wanted.values()}
    taken = (
        PaymentDocumentId.objects.filter(value__in=list(by_value))
        .select_related("account", "period")
        .order_by("value")
    )
    errors = []
    for document in taken:
        if (document.account_id, document.period_id) in wanted:
            continue  # the file gives this document an ИПД: the stored one is replaced
        label = f"{by_value[document.value].row.where}: ИПД «{document.value}»"
        if document.account.organization_id == organization.pk:
            errors.append(
                f"{label} уже у документа ЛС № {document.account.number} "
                f"за {month_name(document.period.month)}"
            )
        else:
            errors.append(f"{label} {OTHER_ORGANIZATION}")
    return errors


def _write(changed: list[_Resolved]) -> list[PaymentDocumentId]:
    # Two steps, so that an ИПД moving between documents of the file never meets the unique
    # constraints half-way.
    accounts_by_period = defaultdict(list)
    for item in changed:
        accounts_by_period[item.period].append(item.account)
    for period, accounts in accounts_by_period.items():
        PaymentDocumentId.objects.filter(period=period, account__in=accounts).delete()
    return PaymentDocumentId.objects.bulk_create(
        PaymentDocumentId(account=item.account, period=item.period, value=item.row.value)
        for item in changed
    )
