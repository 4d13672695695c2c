from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet


class JobStatus(models.TextChoices):
    QUEUED = "queued", "в очереди"
    RUNNING = "running", "выполняется"
    SUCCEEDED = "succeeded", "выполнено"
    FAILED = "failed", "ошибка"


class JobKind(models.TextChoices):
    """What a job does; its subject (``Job.subject``) says to what."""

    BILLING_RUN = "billing_run", "расчёт начислений"  # subject: the period
    CHARGES_IMPORT = "charges_import", "загрузка начислений"  # subject: the period
    RECEIPTS_MAILING = "receipts_mailing", "рассылка квитанций"  # subject: the period
    DOCUMENTS_ISSUE = "documents_issue", "выпуск платёжных документов"  # subject: the period
    PAYMENT_REGISTRY = "payment_registry", "реестр платежей"  # subject: the registry
    READINGS_IMPORT = "readings_import", "импорт показаний"  # no subject: the organisation
    NEWS_MAILING = "news_mailing", "рассылка новости"  # subject: the news
    GIS_EXCHANGE = "gis_exchange", "обмен с ГИС ЖКХ"  # subject: the posting (gisgkh.Posting)


class JobQuerySet(OrganizationScopedQuerySet):
    def about(self, subject):
        """The jobs whose subject is ``subject`` (a period, a registry, a news item)."""
        return self.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        )


class Job(models.Model):
    """A long staff job (billing run, mailing, import) whose progress staff watch. It is typed
    by its ``kind``, and names the organisation and the object it works on (``subject``: the
    period of a run, the registry of an import, …): pages find jobs by that, not by text."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="jobs", verbose_name="организация"
    )
    kind = models.CharField("вид", max_length=50, choices=JobKind.choices, db_index=True)
    subject_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="тип предмета",
    )
    subject_id = models.PositiveBigIntegerField("предмет", null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
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

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "фоновое задание"
        verbose_name_plural = "фоновые задания"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="job_subject")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject_type__isnull=True, subject_id__isnull=True)
                | models.Q(subject_type__isnull=False, subject_id__isnull=False),
                name="job_subject_whole",
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}


class ScheduledRun(models.Model):
    """One run of a periodic command for one slot of its timer's schedule
    (kabinet/jobs/schedule.py). Every node may run the timer; the unique (command, slot) row lets
    only the first one run it."""

    command = models.CharField("команда", max_length=100)
    slot = models.DateTimeField("по расписанию на")
    host = models.CharField("узел", max_length=255)
    started_at = models.DateTimeField("начат", auto_now_add=True)
    finished_at = models.DateTimeField("закончен", null=True, blank=True)

    class Meta:
        verbose_name = "запуск по расписанию"
        verbose_name_plural = "запуски по расписанию"
        constraints = [
            models.UniqueConstraint(fields=["command", "slot"], name="scheduled_run_once_per_slot")
        ]

    def __str__(self):
        return f"{self.command} @ {self.slot:%Y-%m-%d %H:%M}"
