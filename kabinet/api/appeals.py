"""The resident's appeals to the УК through the API: the same selectors, forms and services as
«Обращения» (``portal/appeals_views.py``): only the appeals the token's user wrote about the
accounts the token reaches. A new appeal or a reply is JSON, or a multipart form with its
files (``bodies.json_or_form``), checked by the site's own form (``MessageForm``: how many,
how large, what they are by their content); the files are listed and downloaded as on the
site (``attachments.attachment_response``)."""

import datetime

from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from ninja import Router, Schema
from pydantic import Field

from kabinet import quotas
from kabinet.api.auth import account_or_404, require
from kabinet.api.bodies import json_or_form, json_or_form_schema
from kabinet.api.idempotency import as_json, key_header, once_response
from kabinet.api.problems import REFUSALS, Problem, ProblemOut, form_problem, no_store
from kabinet.appeals import services as appeals
from kabinet.appeals.attachments import (
    IMAGE_TYPES,
    MAX_ATTACHMENT_SIZE,
    MAX_ATTACHMENTS,
    PDF_TYPE,
    attachment_response,
)
from kabinet.appeals.forms import MAX_TEXT, AppealForm, MessageForm
from kabinet.appeals.selectors import (
    appeals_of,
    attachment_of,
    attachments_of,
    thread,
    topics_for,
)
from kabinet.users.tokens import Permission

router = Router(tags=["Обращения"])


class TopicOut(Schema):
    id: int
    name: str = Field(description="Тема обращения")


class AppealOut(Schema):
    id: int
    number: int = Field(description="Номер обращения в управляющей организации")
    topic: str = Field(description="Тема")
    status: str = Field(description="new, in_progress, answered, closed")
    status_name: str = Field(description="Состояние по-русски")
    created_at: datetime.datetime
    updated_at: datetime.datetime = Field(description="Последнее сообщение")
    closed_at: datetime.datetime | None


class AttachmentOut(Schema):
    id: int
    message_id: int = Field(description="Сообщение, к которому приложен файл")
    name: str = Field(description="Имя файла")
    content_type: str = Field(description="Тип по содержимому: image/jpeg, image/png, …")
    size: int = Field(description="Размер, байт")
    url: str = Field(description="Адрес файла в API")


class MessageOut(Schema):
    id: int
    from_staff: bool = Field(description="Ответ управляющей организации")
    text: str
    created_at: datetime.datetime
    attachments: list[AttachmentOut]


class ThreadOut(AppealOut):
    messages: list[MessageOut] = Field(description="Сообщения, старые первыми")


class AppealIn(Schema):
    topic_id: int = Field(description="Тема (id из списка тем)")
    text: str = Field(max_length=MAX_TEXT, description="Текст обращения")


class MessageIn(Schema):
    text: str = Field(max_length=MAX_TEXT, description="Текст сообщения")


def _appeal(appeal) -> dict:
    return {
        "id": appeal.pk,
        "number": appeal.number,
        "topic": appeal.topic.name,
        "status": appeal.status,
        "status_name": appeal.get_status_display(),
        "created_at": appeal.created_at,
        "updated_at": appeal.updated_at,
        "closed_at": appeal.closed_at,
    }


def _attachment(appeal, attachment) -> dict:
    return {
        "id": attachment.pk,
        "message_id": attachment.message_id,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": reverse("api:appeal_attachment", args=[appeal.account_id, appeal.pk, attachment.pk]),
    }


def _message(appeal, message) -> dict:
    return {
        "id": message.pk,
        "from_staff": message.from_staff,
        "text": message.text,
        "created_at": message.created_at,
        "attachments": [_attachment(appeal, a) for a in message.attachments.all()],
    }


def _thread(appeal) -> dict:
    return {**_appeal(appeal), "messages": [_message(appeal, m) for m in thread(appeal)]}


def _appeal_or_404(request, account, appeal_id: int):
    """The appeal if the token's user wrote it about this account; any other answers 404."""
    appeal = appeals_of(request.auth.user).filter(account=account, pk=appeal_id).first()
    if appeal is None:
        raise Problem(404, "Обращение не найдено.")
    return appeal


FILE_LIMITS = (
    f"до {MAX_ATTACHMENTS}, изображения JPEG, PNG, WebP или PDF, каждый не больше "
    f"{MAX_ATTACHMENT_SIZE // (1024 * 1024)} МБ"
)
FILES_HELP = (
    "Тело — JSON или, с файлами, multipart/form-data: те же поля и файлы в поле files "
    f"({FILE_LIMITS}; тип определяется по содержимому файла)."
)


def _with_files(schema) -> dict:
    """The body of a message: JSON, or a form with its files in ``files``."""
    return json_or_form_schema(
        schema, "files", {"maxItems": MAX_ATTACHMENTS, "description": f"Файлы: {FILE_LIMITS}"}
    )


def _refused(error) -> Problem:
    if isinstance(error, quotas.QuotaExceeded):
        return Problem(429, str(error), kind="rate-limit")
    return Problem(409, str(error), kind="appeal-refused")


@router.get(
    "/accounts/{account_id}/appeal-topics",
    response={200: list[TopicOut], **REFUSALS},
    url_name="appeal_topics",
    summary="Темы обращений",
)
def appeal_topics(request, account_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    return [{"id": t.pk, "name": t.name} for t in topics_for(account.organization)]


@router.get(
    "/accounts/{account_id}/appeals",
    response={200: list[AppealOut], **REFUSALS},
    url_name="appeals",
    summary="Мои обращения по лицевому счёту",
)
def account_appeals(request, account_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    return [_appeal(appeal) for appeal in appeals_of(request.auth.user).filter(account=account)]


@router.post(
    "/accounts/{account_id}/appeals",
    response={201: ThreadOut, 409: ProblemOut, 422: ProblemOut, **REFUSALS},
    url_name="new_appeal",
    summary="Написать в управляющую организацию",
    description=(
        f"{FILES_HELP} С заголовком Idempotency-Key повтор запроса не создаёт второе обращение."
    ),
    openapi_extra=_with_files(AppealIn),
)
def new_appeal(request, account_id: int, idempotency_key: str | None = key_header()):
    require(request, Permission.WRITE)
    account = account_or_404(request, account_id)
    payload, files = json_or_form(request, AppealIn, "files")
    form = AppealForm(
        {"topic": payload.topic_id, "text": payload.text},
        MultiValueDict({"files": files}),
        organization=account.organization,
    )
    if not form.is_valid():
        raise form_problem(form, {"topic": "topic_id"})

    def work():
        data = form.cleaned_data
        try:
            appeal = appeals.create_appeal(
                request.auth.user, account, data["topic"], data["text"], data["files"]
            )
        except (appeals.AppealError, quotas.QuotaExceeded) as error:
            raise _refused(error) from None
        return 201, as_json(ThreadOut(**_thread(appeal)))

    return once_response(request, idempotency_key, work)


@router.get(
    "/accounts/{account_id}/appeals/{appeal_id}",
    response={200: ThreadOut, **REFUSALS},
    url_name="appeal",
    summary="Обращение и его переписка",
)
def appeal(request, account_id: int, appeal_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    return _thread(_appeal_or_404(request, account, appeal_id))


@router.post(
    "/accounts/{account_id}/appeals/{appeal_id}/messages",
    response={201: ThreadOut, 409: ProblemOut, 422: ProblemOut, **REFUSALS},
    url_name="appeal_reply",
    summary="Ответить в обращении",
    description=(
        f"{FILES_HELP} В закрытом обращении отвечать нельзя (409): напишите новое. С заголовком "
        "Idempotency-Key повтор запроса не добавляет второе сообщение."
    ),
    openapi_extra=_with_files(MessageIn),
)
def reply(request, account_id: int, appeal_id: int, idempotency_key: str | None = key_header()):
    require(request, Permission.WRITE)
    account = account_or_404(request, account_id)
    appeal = _appeal_or_404(request, account, appeal_id)
    payload, files = json_or_form(request, MessageIn, "files")
    form = MessageForm({"text": payload.text}, MultiValueDict({"files": files}))
    if not form.is_valid():
        raise form_problem(form)

    def work():
        data = form.cleaned_data
        try:
            appeals.reply_as_resident(appeal, request.auth.user, data["text"], data["files"])
        except (appeals.AppealError, quotas.QuotaExceeded) as error:
            raise _refused(error) from None
        return 201, as_json(ThreadOut(**_thread(appeal)))

    return once_response(request, idempotency_key, work)


@router.post(
    "/accounts/{account_id}/appeals/{appeal_id}/close",
    response={200: ThreadOut, **REFUSALS},
    url_name="close_appeal",
    summary="Закрыть обращение",
    description="Вопрос решён; закрыть уже закрытое обращение — ничего не меняет.",
)
def close(request, account_id: int, appeal_id: int):
    require(request, Permission.WRITE)
    account = account_or_404(request, account_id)
    appeal = _appeal_or_404(request, account, appeal_id)
    appeals.close_appeal(appeal)
    return _thread(appeal)


@router.get(
    "/accounts/{account_id}/appeals/{appeal_id}/attachments",
    response={200: list[AttachmentOut], **REFUSALS},
    url_name="appeal_attachments",
    summary="Файлы обращения",
    description="Файлы всех сообщений обращения (жителя и УК), старые первыми.",
)
def appeal_attachments(request, account_id: int, appeal_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    appeal = _appeal_or_404(request, account, appeal_id)
    return [_attachment(appeal, attachment) for attachment in attachments_of(appeal)]


@router.get(
    "/accounts/{account_id}/appeals/{appeal_id}/attachments/{attachment_id}",
    response={**REFUSALS},
    url_name="appeal_attachment",
    summary="Скачать файл обращения",
    description="Файл с типом, определённым при загрузке: изображение или PDF.",
    openapi_extra={
        "responses": {
            200: {
                "description": "Файл: изображение (JPEG, PNG, WebP) или PDF",
                "content": {
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in [*IMAGE_TYPES.values(), PDF_TYPE]
                },
            }
        }
    },
)
def appeal_attachment(request, account_id: int, appeal_id: int, attachment_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    attachment = attachment_of(_appeal_or_404(request, account, appeal_id), attachment_id)
    if attachment is None:
        raise Problem(404, "Файл не найден.")
    return no_store(attachment_response(attachment))
