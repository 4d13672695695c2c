from django.conf import settings
from django.db import models

from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class JobStatus(models.TextChoices):
    QUEUED = "queued", "в очереди"
    RUNNING = "running", "выполняется"
    SUCCEEDED = "succeeded", "выполнено"
    FAILED = "failed", "ошибка"


class Job(models.Model):
    """A long staff job (billing run, mailing, import) whose progress staff watch."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="jobs", verbose_name="организация"
    )
    kind = models.CharField("вид", max_length=50, db_index=True)
    title = models.CharField("задание", max_length=255)
    status = models.CharField(
        "состояние", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    total = models.PositiveIntegerField("всего", default=0)
    done = models.PositiveIntegerField("выполнено", default=0)
    failed = models.PositiveIntegerField("с ошибкой", default=0)
    problems = models.JSONField("ошибки", default=list, blank=True)
    result = models.JSONField("итог", default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="запустил",
    )
    created_at = models.DateTimeField("создано", auto_now_add=True)
    started_at = models.DateTimeField("начато", null=True, blank=True)
    finished_at = models.DateTimeField("закончено", null=True, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "фоновое задание"
        verbose_name_plural = "фоновые задания"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}
