"""What the API itself keeps: the answers to requests sent with an ``Idempotency-Key`` and
the organisations' API keys."""

from django.conf import settings
from django.db import models

from kabinet.orgs.models import Organization, StaffRole
from kabinet.orgs.scoping import OrganizationScopedQuerySet
from kabinet.users.models import AccessToken


class IdempotentRequest(models.Model):
    """A POST done once under a token's key: its retry gets this answer and changes nothing."""

    token = models.ForeignKey(
        AccessToken, on_delete=models.CASCADE, related_name="+", verbose_name="токен"
    )
    key = models.CharField("ключ идемпотентности", max_length=255)
    fingerprint = models.CharField("SHA-256 запроса", max_length=64)
    status = models.PositiveSmallIntegerField("код ответа", default=0)
    body = models.JSONField("ответ", null=True)
    created_at = models.DateTimeField("выполнен", auto_now_add=True)

    class Meta:
        verbose_name = "идемпотентный запрос"
        verbose_name_plural = "идемпотентные запросы"
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotent_request_token_key")
        ]

    def __str__(self):
        return self.key


class StaffApiKey(models.Model):
    """A key of an organisation's own systems (accounting, a bank gateway): the API as a staff
    member of ``organization`` with ``role`` sees it. Issued and revoked by the organisation's
    managers in the back office; like a personal token, only the SHA-256 is stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys", verbose_name="организация"
    )
    role = models.CharField("роль", max_length=20, choices=StaffRole.choices)
    name = models.CharField("название", max_length=100)
    prefix = models.CharField("начало ключа", max_length=20, unique=True)
    digest = models.CharField("SHA-256 ключа", max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="выдал",
    )
    created_at = models.DateTimeField("выдан", auto_now_add=True)
    expires_at = models.DateTimeField("действует до", null=True, blank=True)
    last_used_at = models.DateTimeField("последнее использование", null=True, blank=True)
    revoked_at = models.DateTimeField("отозван", null=True, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "ключ API организации"
        verbose_name_plural = "ключи API организаций"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
