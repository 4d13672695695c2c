"""A billing run in parts (``billing.billed.plan_parts``): in one process (``run_billing``) and
shared by the task workers (``billing.parts``, ``billing.tasks.run_billing_part``), the lines
are the same as a run in one part, line by line; a part that breaks, a run replaced by a newer
one, a part's task run twice and a period closed meanwhile leave the period's lines whole, and
a closed period keeps no run's lines."""

import random

import pytest
from django.test import override_settings

from bench import bench_billing
from kabinet.billing import billed, parts, tasks
from kabinet.billing.billed import plan_parts
from kabinet.billing.closing import close_period
from kabinet.billing.jobs import queue_billing_run
from kabinet.billing.models import (
    BillingRun,
    BillingRunPart,
    Charge,
    HouseFigures,
    Penalty,
    RunStatus,
)
from kabinet.billing.run import run_billing
from kabinet.billing.writing import PENALTY_FIELDS, RUN_CHARGE_FIELDS
from kabinet.housing.models import PersonalAccount
from kabinet.jobs.models import JobStatus
from kabinet.jobs.services import start_job

pytestmark = pytest.mark.django_db


def lines_of(period):
    """Every stored column of the period's lines, penalties and house figures."""
    charges = [field for field in RUN_CHARGE_FIELDS if field != "period"]
    penalty_fields = [field for field in PENALTY_FIELDS if field != "period"]
    figures = [f.attname for f in HouseFigures._meta.concrete_fields if f.attname != "id"]
    return (
        list(Charge.objects.filter(period=period).order_by("account", "service")
             .values_list(*charges)),
        list(Penalty.objects.filter(period=period)
             .order_by("account", "capital_repair", "debt_month", "date_from")
             .values_list(*penalty_fields)),
        list(HouseFigures.objects.filter(period=period).order_by("house", "resource")
             .values_list(*figures)),
    )  # fmt: skip


@pytest.fixture
def world():
    """The billing benchmark's organisation at 300 accounts in three houses — meters with and
    without readings, the common-house share with its cap, a tariff changed mid-month, capital
    repair with its payee, heating by the house meter, debts more than 30 days late —, its
    first month run and closed, the payments of it made: the second month has penalties of both
    streams."""
    rng = random.Random(300)
    accounts, first, _ = bench_billing.build_world(300, rng, capital_repair=True, heating=True)
    with override_settings(TASKS=bench_billing.QUEUE_ONLY):
        run_billing(first)
        second = close_period(first)
    bench_billing._pay_first_month(first, accounts, rng)
    return second


@pytest.fixture
def period(world):
    """The open month computed in one part, the reference of the tests."""
    run_billing(world)
    return world


@pytest.fixture
def small_parts(monkeypatch, period):
    """Parts of one house each."""
    monkeypatch.setattr(billed, "PART_ACCOUNTS", 100)
    assert len(plan_parts(period)) == 3


def run_by_workers(period):
    """The staff's run as the task workers do it (the test backend runs each task at once)."""
    job = queue_billing_run(period)
    tasks.run_billing_job.call(job.pk, period.pk)
    job.refresh_from_db()
    return job


def test_the_demo_in_parts_has_the_lines_of_one_part(period, small_parts):
    reference = lines_of(period)
    charges, penalties, figures = reference
    assert len(charges) > 2000
    assert figures
    assert {row[PENALTY_FIELDS.index("capital_repair") - 1] for row in penalties} == {True, False}

    summary = run_billing(period)
    assert lines_of(period) == reference
    assert summary.lines == len(reference[0])

    job = run_by_workers(period)
    assert job.status == JobStatus.SUCCEEDED, job.problems
    assert lines_of(period) == reference
    assert job.done == job.total == summary.accounts
    assert job.result["Строк начислений"] == len(reference[0])
    assert not BillingRunPart.objects.exists()  # the kept lines went with the run


def test_a_part_that_breaks_fails_the_job_and_leaves_the_lines(period, small_parts,
                                                               monkeypatch):  # fmt: skip
    reference = lines_of(period)
    computed = []
    real = parts.calculate

    def breaking(period, **kwargs):
        computed.append(kwargs["houses"])
        if len(computed) == 2:
            raise RuntimeError("диск переполнен")
        return real(period, **kwargs)

    monkeypatch.setattr(parts, "calculate", breaking)
    job = run_by_workers(period)
    assert job.status == JobStatus.FAILED
    assert "начисления периода остались прежними" in job.problems[-1]
    assert len(computed) == 2  # the parts after the broken one did not compute
    assert lines_of(period) == reference
    assert not BillingRunPart.objects.exists()


def test_a_newer_run_replaces_one_still_computing(period, small_parts):
    reference = lines_of(period)
    older_job = queue_billing_run(period)
    older = parts.start_run(period, older_job)
    first_part = older.part_rows.order_by("number").first()
    older_job.status = JobStatus.RUNNING
    older_job.save()

    job = run_by_workers(period)
    assert job.status == JobStatus.SUCCEEDED
    older_job.refresh_from_db()
    assert older_job.status == JobStatus.FAILED
    assert parts.REPLACED in older_job.problems
    assert parts.compute_part(first_part.pk) is None  # its part finds the run gone
    assert lines_of(period) == reference


def test_a_part_computed_twice_counts_once(period, small_parts):
    run = parts.start_run(period)
    numbers = list(run.part_rows.order_by("number").values_list("pk", flat=True))
    assert parts.compute_part(numbers[0]) is not None
    assert parts.compute_part(numbers[0]) is None  # its task again, after a lost worker
    run.refresh_from_db()
    assert run.parts_done == 1
    assert parts.write_run(run) is None  # not complete: nothing written
    for pk in numbers[1:]:
        parts.compute_part(pk)
    assert parts.write_run(run) is not None
    assert BillingRun.objects.get(pk=run.pk).parts_done == len(numbers)


def test_a_period_closed_before_the_last_part_keeps_its_lines(period, small_parts,
                                                              settings):  # fmt: skip
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    run = parts.start_run(period)
    for pk in run.part_rows.values_list("pk", flat=True):
        parts.compute_part(pk)
    reference = lines_of(period)
    close_period(period)
    with pytest.raises(Exception, match="закрыт"):
        parts.write_run(run)
    assert lines_of(period) == reference


def test_closing_the_period_ends_a_run_still_computing(period, small_parts, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    reference = lines_of(period)
    job = queue_billing_run(period)
    run = parts.start_run(period, job)
    start_job(job, total=run.accounts, shared=True)
    first, *others = run.part_rows.order_by("number").values_list("pk", flat=True)
    assert parts.compute_part(first) is not None  # its lines kept in the part's row

    close_period(period)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert parts.CLOSED in job.problems
    assert not BillingRun.objects.exists()  # nor its kept lines: nothing waits for a writer
    assert not BillingRunPart.objects.exists()
    for pk in others:  # the parts' tasks still queued find the run gone
        tasks.run_billing_part.call(job.pk, pk, None)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert lines_of(period) == reference


def test_the_last_part_s_task_run_again_writes_what_a_lost_worker_left(period, small_parts):
    reference = lines_of(period)
    job = queue_billing_run(period)
    run = parts.start_run(period, job)
    start_job(job, total=run.accounts, shared=True)
    part_ids = list(run.part_rows.order_by("number").values_list("pk", flat=True))
    for pk in part_ids:  # every part computed and kept; the worker lost before the write
        parts.compute_part(pk)

    tasks.run_billing_part.call(job.pk, part_ids[-1], None)  # its task again
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.done == job.total == run.accounts
    assert BillingRun.objects.get(pk=run.pk).status == RunStatus.DONE
    assert lines_of(period) == reference


def test_ids_read_once_select_what_their_subquery_selects(period):
    """The penalties' debtors are read once per part and passed to each query as one array
    (``billed.ids_read``; on SQLite the subquery): the same accounts either way, none for an
    empty set."""
    charged = Charge.objects.filter(period=period, total__gt=0)
    expected = set(charged.values_list("account", flat=True))
    found = PersonalAccount.objects.filter(pk__in=billed.ids_read(charged, "account"))
    assert expected
    assert set(found.values_list("pk", flat=True)) == expected
    nothing = PersonalAccount.objects.filter(pk__in=billed.ids_read(charged.none(), "account"))
    assert not nothing.exists()
