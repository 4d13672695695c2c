import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from kabinet.housing.models import House, PersonalAccount
from kabinet.mail import validate_single_line
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class Topic(models.Model):
    """A topic residents choose for an appeal; each organisation keeps its own list."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="appeal_topics",
        verbose_name="организация",
    )  # fmt: skip
    name = models.CharField("тема", max_length=100)
    position = models.PositiveSmallIntegerField("порядок", default=0)
    is_active = models.BooleanField(
        "предлагать жителям", default=True, help_text="Снимите, чтобы тему больше не выбирали."
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "тема обращений"
        verbose_name_plural = "темы обращений"
        ordering = ["organization", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="topic_name_unique")
        ]

    def __str__(self):
        return self.name


class AppealStatus(models.TextChoices):
    NEW = "new", "новое"
    IN_PROGRESS = "in_progress", "в работе"
    ANSWERED = "answered", "ответ дан"
    CLOSED = "closed", "закрыто"


class Appeal(models.Model):
    """An appeal (обращение) of a resident to the УК of one personal account.

    It belongs to the account: when its author deletes their profile the appeal stays (with
    ``author`` empty), as part of the history the УК keeps."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="appeals", verbose_name="организация"
    )
    number = models.PositiveIntegerField("номер", help_text="Сквозной номер в организации.")
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="appeals",
        verbose_name="лицевой счёт",
    )  # fmt: skip
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="appeals", verbose_name="житель",
    )  # fmt: skip
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="+", verbose_name="тема"
    )
    status = models.CharField(
        "состояние", max_length=20, choices=AppealStatus.choices, default=AppealStatus.NEW
    )
    created_at = models.DateTimeField("поступило", auto_now_add=True)
    updated_at = models.DateTimeField("последнее сообщение", auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField("закрыто", null=True, blank=True)
    # «Оспорить» on a charge line: {"month": "yyyy-mm", "service_id": id} of the account's
    # line, so that staff see it attached (kept as data: appeals does not import billing).
    disputed_line = models.JSONField("оспоренная строка начислений", null=True, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "обращение"
        verbose_name_plural = "обращения"
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="appeal_number_unique")
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self):
        return f"Обращение № {self.number}"

    @property
    def is_closed(self) -> bool:
        return self.status == AppealStatus.CLOSED


class Message(models.Model):
    """One message of an appeal's thread: the resident's text, or an answer of the УК."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="messages", verbose_name="обращение"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="автор",
    )  # fmt: skip
    from_staff = models.BooleanField("от управляющей организации")
    text = models.TextField("текст")
    created_at = models.DateTimeField("отправлено", auto_now_add=True)

    objects = OrganizationScopedQuerySet.through("appeal__organization").as_manager()

    class Meta:
        verbose_name = "сообщение"
        verbose_name_plural = "сообщения"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.appeal}: сообщение от {timezone.localtime(self.created_at):%d.%m.%Y %H:%M}"


def attachment_path(attachment, filename):
    """A random name under the organisation's folder: the uploaded name is kept in ``name``."""
    organization_id = attachment.message.appeal.organization_id
    return f"appeals/{organization_id}/{uuid.uuid4().hex}.{attachment.extension}"


class Attachment(models.Model):
    """A file (image or PDF, checked by content) attached to a message."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name="сообщение"
    )
    file = models.FileField("файл", upload_to=attachment_path, max_length=200)
    name = models.CharField("имя файла", max_length=255)
    content_type = models.CharField("тип", max_length=50)
    size = models.PositiveIntegerField("размер, байт")

    objects = OrganizationScopedQuerySet.through("message__appeal__organization").as_manager()

    class Meta:
        verbose_name = "вложение"
        verbose_name_plural = "вложения"
        ordering = ["pk"]

    def __str__(self):
        return self.name

    @property
    def extension(self) -> str:
        return self.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class News(models.Model):
    """An announcement of the УК for one house or for all its houses (water off, meetings)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="news", verbose_name="организация"
    )
    house = models.ForeignKey(
        House, on_delete=models.CASCADE, null=True, blank=True, related_name="news",
        verbose_name="дом", help_text="Пусто — для всех домов организации.",
    )  # fmt: skip
    title = models.CharField("заголовок", max_length=200, validators=[validate_single_line])
    text = models.TextField("текст")
    published_at = models.DateTimeField("опубликовано", auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="опубликовал",
    )  # fmt: skip
    mailed_up_to_user = models.PositiveBigIntegerField(
        "разослано подписчикам до пользователя №", default=0, editable=False
    )
    mailed_at = models.DateTimeField("разослано", null=True, blank=True, editable=False)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "новость"
        verbose_name_plural = "новости"
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.title

    def clean(self):
        if (
            self.house_id
            and self.organization_id
            and (self.house.organization_id != self.organization_id)
        ):
            raise ValidationError({"house": "Дом обслуживает другая организация."})

    @property
    def audience(self) -> str:
        return str(self.house) if self.house_id else "все дома"
