"""«Подготовить и отправить» on the «ГИС ЖКХ» page: what an operation of an organisation for a
month would send (its messages built and checked, what cannot go named), the state of the
exchange's settings, and the posting started from it (``postings.prepare_posting``, audited).

Who may post follows the duty of the data posted (``orgs.selectors.ROLE_DUTIES``): readings —
``metering`` (the operator, the manager), payment documents — ``billing`` (the accountant, the
manager), the requests of accounts and of meters — ``housing`` (the operator, the manager),
as is the import of the identifiers they bring back."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings

from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.gisgkh.document_feed import payment_document_data
from kabinet.gisgkh.exchange import PostingError
from kabinet.gisgkh.messages import export_metering_device_messages
from kabinet.gisgkh.models import Exchange, ExchangeState
from kabinet.gisgkh.payment_documents import payment_document_messages
from kabinet.gisgkh.postings import prepare_posting
from kabinet.gisgkh.schemas import MessageError
from kabinet.gisgkh.services import (
    account_export_messages,
    org_ppa_guid_of,
    period_meter_values,
    readings_messages,
)
from kabinet.gisgkh.signing import SigningError, signer_from_settings


@dataclass(frozen=True)
class Operation:
    label: str
    duty: str  # orgs.selectors.ROLE_DUTIES: who may post it
    by_month: bool  # a posting of a period (sent once unless resent)
    items: str  # what its objects are called, for the counts


OPERATIONS = {
    "importMeteringDeviceValues": Operation("Показания приборов учёта", "metering", True,
                                            "показаний"),
    "importPaymentDocumentData": Operation("Платёжные документы закрытого периода", "billing",
                                           True, "платёжных документов"),
    "exportAccountData": Operation("Запрос лицевых счетов (exportAccountData)", "housing", False,
                                   "лицевых счетов"),
    "exportMeteringDeviceData": Operation("Запрос приборов учёта (exportMeteringDeviceData)",
                                          "housing", False, "домов"),
}  # fmt: skip


# --- the settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeSettings:
    lines: list[str]  # what is set, in Russian
    problems: list[str]  # why nothing can be sent (empty: it can)

    @property
    def ready(self) -> bool:
        return not self.problems


def exchange_settings() -> ExchangeSettings:
    """``GISGKH_TRANSPORT`` with ``GISGKH_URL`` or ``GISGKH_FOLDER``, and ``GISGKH_SIGNER``
    (with its key files or service) as staff should read them."""
    lines, problems = [], []
    if settings.GISGKH_TRANSPORT == "folder":
        folder = settings.GISGKH_FOLDER
        lines.append(
            f"Обмен (GISGKH_TRANSPORT): folder — через шлюз организации, папка (GISGKH_FOLDER): "
            f"{folder or 'не указана.'}"
        )
        if not folder:
            problems.append("Не указана папка обмена (GISGKH_FOLDER): отправлять некуда.")
    elif settings.GISGKH_TRANSPORT != "soap":
        lines.append(f"Обмен (GISGKH_TRANSPORT): «{settings.GISGKH_TRANSPORT}».")
        problems.append(
            f"Неизвестный способ обмена GISGKH_TRANSPORT=«{settings.GISGKH_TRANSPORT}»."
        )
    elif settings.GISGKH_URL:
        lines.append(f"Адрес ГИС ЖКХ (GISGKH_URL): {settings.GISGKH_URL}")
    else:
        lines.append("Адрес ГИС ЖКХ (GISGKH_URL): не указан.")
        problems.append("Не указан адрес ГИС ЖКХ (GISGKH_URL): отправлять некуда.")
    signer = settings.GISGKH_SIGNER
    if signer == "none":
        lines.append(
            "Подпись (GISGKH_SIGNER): none — запросы уходят без подписи (так можно только "
            "через шлюз, который подписывает сам)."
        )
    elif signer == "openssl-gost":
        files = [
            name for name in ("GISGKH_KEY_FILE", "GISGKH_CERT_FILE") if not getattr(settings, name)
        ]
        lines.append("Подпись (GISGKH_SIGNER): openssl-gost — ГОСТ Р 34.10-2012, ключ в файле.")
        if files:
            problems.append(f"Для подписи не указаны файлы: {', '.join(files)}.")
    elif signer == "service":
        lines.append(
            "Подпись (GISGKH_SIGNER): service — ГОСТ Р 34.10-2012, подпись ставит сервис "
            f"подписи {settings.GISGKH_SIGNING_URL or '(адрес не указан)'}."
        )
        needed = ("GISGKH_SIGNING_URL", "GISGKH_SIGNING_TOKEN", "GISGKH_CERT_FILE")
        missing = [name for name in needed if not getattr(settings, name)]
        if missing:
            problems.append(f"Для подписи сервисом не указаны: {', '.join(missing)}.")
    else:
        lines.append(f"Подпись (GISGKH_SIGNER): «{signer}».")
        problems.append(f"Неизвестный способ подписи GISGKH_SIGNER=«{signer}».")
    return ExchangeSettings(lines, problems)


# --- what would be sent -------------------------------------------------------------------


def _messages(organization, operation: str, month, houses=()):
    """(the messages, the number of objects they carry); ``MessageError`` naming what
    cannot go. ``houses``: the ФИАС GUIDs of the houses whose meters are asked for."""
    if operation == "importMeteringDeviceValues":
        return readings_messages(organization, month), len(period_meter_values(organization, month))
    if operation == "importPaymentDocumentData":
        payee, documents = payment_document_data(organization, month)
        if not payee.bik or not payee.settlement_account:
            raise MessageError(["У организации не указаны БИК и расчётный счёт."])
        messages = payment_document_messages(
            org_ppa_guid_of(organization),
            month,
            bik=payee.bik,
            account_number=payee.settlement_account,
            documents=documents,
        )
        return messages, len(documents)
    if operation == "exportMeteringDeviceData":
        messages = export_metering_device_messages(org_ppa_guid_of(organization), houses)
        return messages, len(messages)
    messages = account_export_messages(organization)
    return messages, organization.accounts.filter(
        is_open=True, unified_account__isnull=False
    ).count()


@dataclass(frozen=True)
class Preview:
    organization: object
    operation: str
    month: datetime.date | None
    messages: int = 0
    items: int = 0
    errors: list[str] = field(default_factory=list)  # what cannot go, named
    sent_before: bool = False  # a posting of this period not refused exists

    @property
    def label(self) -> str:
        return OPERATIONS[self.operation].label

    @property
    def items_label(self) -> str:
        return OPERATIONS[self.operation].items

    @property
    def can_send(self) -> bool:
        return not self.errors and self.messages > 0


def _sent_before(organization, operation, month) -> bool:
    return (
        month is not None
        and Exchange.objects.filter(
            posting__organization=organization,
            posting__operation=operation,
            posting__period=month,
        )
        .exclude(state=ExchangeState.FAILED)
        .exists()
    )


def preview(organization, operation: str, month: datetime.date | None, houses=()) -> Preview:
    """What posting ``operation`` of ``organization`` for ``month`` would send: the messages
    and objects counted, or everything that stops it named (no orgPPAGUID, a meter without
    its GUID, an account without its GUID, a service without its НСИ element, …)."""
    month = month if OPERATIONS[operation].by_month else None
    if OPERATIONS[operation].by_month and month is None:
        return Preview(organization, operation, None, errors=["Укажите расчётный период."])
    sent_before = _sent_before(organization, operation, month)
    errors = []
    if not org_ppa_guid_of(organization):
        errors.append("Не указан идентификатор организации в ГИС ЖКХ (orgPPAGUID).")
    try:
        messages, items = _messages(organization, operation, month, houses)
    except MessageError as error:
        return Preview(organization, operation, month, errors=[*errors, *error.errors],
                       sent_before=sent_before)  # fmt: skip
    if not messages and not errors:
        errors.append("Отправлять нечего: за этот период нет данных.")
    return Preview(organization, operation, month, len(messages), items, errors, sent_before)


def start_posting(
    organization, operation: str, month, *, houses=(), resend: bool = False, user=None, ip=None
):
    """Build, sign and store the messages of ``operation`` and queue the job sending them;
    the job. ``PostingError`` (in Russian) when the settings, the data or an earlier posting
    of the period stop it (resend only when asked). Audited."""
    state = exchange_settings()
    if not state.ready:
        raise PostingError(" ".join(state.problems))
    checked = preview(organization, operation, month, houses)
    if checked.errors:
        raise PostingError(" ".join(checked.errors))
    if checked.sent_before and not resend:
        raise PostingError(
            "Данные этого периода уже отправлены в ГИС ЖКХ. Чтобы отправить их снова, "
            "отметьте «Отправить повторно»."
        )
    try:
        messages, _ = _messages(organization, operation, checked.month, houses)
        job = prepare_posting(organization, operation, messages, signer=signer_from_settings(),
                              period=checked.month, user=user, resend=resend)  # fmt: skip
    except (SigningError, MessageError) as error:
        raise PostingError(str(error)) from error
    record(
        action=AuditAction.GIS_POSTING,
        organization=organization,
        actor=user,
        ip=ip,
        obj=job.subject,
        changes={
            "operation": [None, operation],
            "period": [None, f"{checked.month:%m.%Y}" if checked.month else None],
            "messages": [None, len(messages)],
            "resend": [None, resend],
        },
    )
    return job
