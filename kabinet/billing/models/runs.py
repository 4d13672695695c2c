"""A billing run done in parts by several workers (``billing.parts``): the run, its parts
(whole houses each) and what each part computed, kept until the run writes them all at once."""

from django.db import models

from kabinet.billing.models.periods import Period


class RunStatus(models.TextChoices):
    RUNNING = "running", "выполняется"
    DONE = "done", "выполнен"
    FAILED = "failed", "не выполнен"


class BillingRun(models.Model):
    """A run of ``period`` in ``parts`` parts. A newer run of the period replaces it (its job
    fails, its parts still computing find it gone and stop); its lines replace the period's
    only when every part has been computed, in one transaction."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="runs", verbose_name="период"
    )
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # the staff job that shows the run's progress
    status = models.CharField(
        "состояние", max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    parts = models.PositiveIntegerField("частей")
    parts_done = models.PositiveIntegerField("частей рассчитано", default=0)
    accounts = models.PositiveIntegerField("лицевых счетов")
    created_at = models.DateTimeField("начат", auto_now_add=True)

    class Meta:
        verbose_name = "расчёт по частям"
        verbose_name_plural = "расчёты по частям"

    def __str__(self):
        return f"{self.period}: {self.parts_done} из {self.parts}"


class BillingRunPart(models.Model):
    """Whole houses of a run: their lines, computed by a worker, kept as text (COPY's text on
    PostgreSQL, JSON rows on SQLite: ``kabinet.bulk.rows_text``) with the figures the run's
    result adds up (``billing.parts.RunSummary``). On PostgreSQL the charge lines go to the
    run's stage instead (``billing.partitions``) and ``charges`` stays empty."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="part_rows")
    number = models.PositiveIntegerField()
    houses = models.JSONField()  # house ids
    accounts = models.PositiveIntegerField()  # as planned: the job's progress counts them
    done = models.BooleanField(default=False)
    charges = models.TextField(blank=True)
    penalties = models.TextField(blank=True)
    summary = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="billing_run_part_once")
        ]

    def __str__(self):
        return f"{self.run}, часть {self.number}"
