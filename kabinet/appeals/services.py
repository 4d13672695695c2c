"""Appeals to the УК (a thread of messages with attachments, numbered per organisation) and the
news the УК publishes to residents. The letters themselves are written in ``mailing``."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kabinet import quotas
from kabinet.appeals import tasks
from kabinet.appeals.attachments import CheckedFile
from kabinet.appeals.models import Appeal, AppealStatus, Attachment, Message, News, Topic
from kabinet.appeals.selectors import news_subscribers
from kabinet.jobs.models import Job, JobKind
from kabinet.jobs.services import create_job
from kabinet.orgs.models import Organization
from kabinet.webhooks import services as webhooks
from kabinet.webhooks.models import EventKind

DEFAULT_TOPICS = ("Ремонт", "Начисления", "Показания", "Прочее")
CLOSED = "Обращение закрыто. Если вопрос остался, напишите новое обращение."


class AppealError(Exception):
    """The appeal cannot be changed as asked; ``str(error)`` is the message for the person."""


def add_default_topics(organization) -> None:
    """The topics a new organisation starts with; its staff edit the list in the back office."""
    for position, name in enumerate(DEFAULT_TOPICS, start=1):
        Topic.objects.get_or_create(
            organization=organization, name=name, defaults={"position": position}
        )


@transaction.atomic
def create_appeal(
    author,
    account,
    topic: Topic,
    text: str,
    attachments: Sequence[CheckedFile] = (),
    *,
    disputed_line: dict | None = None,
) -> Appeal:
    """A new appeal of ``author`` to the УК of ``account`` (the caller has checked that the
    account is the author's); it gets the organisation's next number. Counted against the
    author's quotas of appeals and of uploads (``quotas.QuotaExceeded``). ``disputed_line``:
    the account's charge line it disputes (month, service id), checked by the caller."""
    if topic.organization_id != account.organization_id or not topic.is_active:
        raise AppealError("Выберите тему из списка.")
    quotas.consume(author, appeals=1, upload_bytes=_size(attachments))
    organization = Organization.objects.select_for_update().get(pk=account.organization_id)
    last_number = organization.appeals.aggregate(last=Max("number"))["last"] or 0
    appeal = Appeal.objects.create(
        organization=organization, number=last_number + 1, account=account, author=author,
        topic=topic, disputed_line=disputed_line,
    )  # fmt: skip
    _add_message(appeal, author, text, attachments, from_staff=False)
    webhooks.emit(
        organization.pk,
        EventKind.APPEAL_CREATED,
        lambda: {
            "appeal_id": appeal.pk,
            "number": appeal.number,
            "account": account.number,
            "topic": topic.name,
            "created_at": appeal.created_at,
        },
    )
    return appeal


@transaction.atomic
def reply_as_resident(appeal: Appeal, author, text: str, attachments=()) -> Message:
    """The resident writes again; an answered appeal goes back to work. Counted against the
    author's quotas of messages and of uploads (``quotas.QuotaExceeded``)."""
    if appeal.is_closed:
        raise AppealError(CLOSED)
    quotas.consume(author, appeal_messages=1, upload_bytes=_size(attachments))
    message = _add_message(appeal, author, text, attachments, from_staff=False)
    if appeal.status == AppealStatus.ANSWERED:
        _set_status(appeal, AppealStatus.IN_PROGRESS)
    return message


@transaction.atomic
def answer_appeal(
    appeal: Appeal, staff_user, text: str, attachments=(), status=AppealStatus.ANSWERED
) -> Message:
    """An answer of the УК; the resident gets it by e-mail."""
    message = _add_message(appeal, staff_user, text, attachments, from_staff=True)
    _set_status(appeal, status)
    tasks.enqueue_answer_mail(message)
    return message


def change_status(appeal: Appeal, status: str) -> None:
    """Staff move the appeal to ``status`` (any of them: a closed appeal may be reopened)."""
    if status not in AppealStatus.values:
        raise AppealError("Неизвестное состояние обращения.")
    _set_status(appeal, status)


def close_appeal(appeal: Appeal) -> None:
    """The resident closes the appeal: the question is settled."""
    if not appeal.is_closed:
        _set_status(appeal, AppealStatus.CLOSED)


def _size(attachments: Sequence[CheckedFile]) -> int:
    return sum(checked.size for checked in attachments)


def _add_message(appeal, author, text, attachments, *, from_staff) -> Message:
    text = text.strip()
    if not text:
        raise AppealError("Напишите текст сообщения.")
    message = Message.objects.create(appeal=appeal, author=author, from_staff=from_staff, text=text)
    for checked in attachments:
        attachment = Attachment(
            message=message, name=checked.name, content_type=checked.content_type,
            size=checked.size,
        )  # fmt: skip
        attachment.file.save(checked.name, checked.file, save=True)
    appeal.updated_at = message.created_at
    appeal.save(update_fields=["updated_at"])
    return message


def _set_status(appeal, status):
    appeal.status = status
    appeal.closed_at = timezone.now() if status == AppealStatus.CLOSED else None
    appeal.save(update_fields=["status", "closed_at"])


def publish_news(news: News, author) -> Job | None:
    """Publish ``news`` and, once it is committed, mail it to the subscribers in the background.
    Returns the mailing job (``None`` when nobody is subscribed)."""
    news.created_by = author
    news.full_clean()
    news.save()
    if not news_subscribers(news).exists():
        return None
    job = create_job(
        news.organization,
        JobKind.NEWS_MAILING,
        f"Рассылка новости «{news.title}»",
        author,
        subject=news,
    )
    tasks.enqueue_news_mailing(news, job)
    return job
