from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from kabinet.housing.models import PersonalAccount
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class User(AbstractUser):
    """A person who signs in: a resident, a staff member, or both."""

    middle_name = models.CharField("отчество", max_length=150, blank=True)
    phone = models.CharField("телефон", max_length=30, blank=True)

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
