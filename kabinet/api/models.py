"""What the API itself keeps: the answers to requests sent with an ``Idempotency-Key``."""

from django.db import models

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
