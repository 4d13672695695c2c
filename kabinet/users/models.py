from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from kabinet.housing.models import PersonalAccount
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class User(AbstractUser):
    """A person who signs in: a resident, a staff member, or both."""

    middle_name = models.CharField("отчество", max_length=150, blank=True)
    phone = models.CharField("телефон", max_length=30, blank=True)
    help_dismissed = models.BooleanField("справка на главной закрыта", default=False)
    reading_reminders = models.BooleanField("напоминать о передаче показаний", default=True)
    news_by_email = models.BooleanField("новости УК по e-mail", default=False)

    class Meta:
        verbose_name = "пользователь"
        verbose_name_plural = "пользователи"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_ci_unique"
            ),
        ]

    @property
    def full_name(self) -> str:
        """ФИО: «Иванов Иван Иванович»."""
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def greeting_name(self) -> str:
        """How the portal addresses the user: «Иван Иванович» (or the login if no name)."""
        return " ".join(p for p in (self.first_name, self.middle_name) if p) or self.username


class AccountLink(models.Model):
    """A user's access to a personal account (several users may share one: a family)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="account_links", verbose_name="пользователь"
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.CASCADE,
        related_name="user_links",
        verbose_name="лицевой счёт",
    )
    created_at = models.DateTimeField("присоединён", auto_now_add=True)
    receipts_by_email = models.BooleanField("квитанции по e-mail", default=False)

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "присоединённый лицевой счёт"
        verbose_name_plural = "присоединённые лицевые счета"
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="account_link_unique")
        ]

    def __str__(self):
        return f"{self.user} — {self.account}"


class LinkAttempt(models.Model):
    """One try to link an account by proving its last payment (kept for limits and for staff)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="link_attempts", verbose_name="пользователь"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name="организация"
    )
    account_number = models.CharField("номер ЛС", max_length=30)
    address = models.CharField("адрес", max_length=255)
    succeeded = models.BooleanField("успешно")
    ip_address = models.GenericIPAddressField("IP-адрес", null=True, blank=True)
    created_at = models.DateTimeField("время", auto_now_add=True, db_index=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "попытка присоединения ЛС"
        verbose_name_plural = "попытки присоединения ЛС"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account_number", "created_at"])]

    def __str__(self):
        return f"{self.user}: ЛС {self.account_number} ({'успешно' if self.succeeded else 'отказ'})"


class LinkRequestStatus(models.TextChoices):
    NEW = "new", "новый"
    APPROVED = "approved", "одобрен"
    REJECTED = "rejected", "отклонён"


class LinkRequest(models.Model):
    """A resident who cannot prove a payment asks the УК to link an account."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="link_requests", verbose_name="пользователь"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name="организация"
    )
    premise = models.ForeignKey(
        "housing.Premise", on_delete=models.CASCADE, related_name="+", verbose_name="помещение"
    )
    account_number = models.CharField("номер ЛС (со слов жителя)", max_length=30, blank=True)
    message = models.TextField("сообщение жителя")
    status = models.CharField(
        "состояние",
        max_length=10,
        choices=LinkRequestStatus.choices,
        default=LinkRequestStatus.NEW,
    )
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="присоединить ЛС",
        help_text="Лицевой счёт, который будет присоединён при одобрении.",
    )
    staff_reply = models.TextField(
        "ответ жителю", blank=True, help_text="Обязателен при отказе: житель получит его письмом."
    )
    decided_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="рассмотрел",
    )
    decided_at = models.DateTimeField("рассмотрен", null=True, blank=True)
    created_at = models.DateTimeField("поступил", auto_now_add=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "запрос на присоединение ЛС"
        verbose_name_plural = "запросы на присоединение ЛС"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Запрос № {self.pk} от {self.user}"


class TokenScope(models.TextChoices):
    """What a personal access token may do through the API."""

    READ = "read", "только чтение"
    READINGS = "readings", "передача показаний"
    FULL = "full", "полный доступ"


class AccessToken(models.Model):
    """A personal access token of the API: the secret itself is never stored, only its SHA-256;
    ``prefix`` (shown in the token and in the list) finds the row to compare it with."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="access_tokens", verbose_name="пользователь"
    )
    name = models.CharField("название", max_length=100)
    scope = models.CharField("права", max_length=10, choices=TokenScope.choices)
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="access_tokens",
        verbose_name="только лицевой счёт",
    )
    prefix = models.CharField("начало токена", max_length=20, unique=True)
    digest = models.CharField("SHA-256 токена", max_length=64)
    created_at = models.DateTimeField("создан", auto_now_add=True)
    expires_at = models.DateTimeField("действует до", null=True, blank=True)
    last_used_at = models.DateTimeField("последнее использование", null=True, blank=True)
    revoked_at = models.DateTimeField("отозван", null=True, blank=True)

    class Meta:
        verbose_name = "токен доступа к API"
        verbose_name_plural = "токены доступа к API"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
