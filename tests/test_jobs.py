import datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse

from kabinet.jobs.models import Job, JobKind, JobStatus
from kabinet.jobs.services import (
    create_job,
    finish_job,
    job_failure,
    job_percent,
    job_progress,
    last_job,
    report_progress,
    start_job,
)
from kabinet.payments.models import PaymentRegistry
from tests.factories import OrganizationFactory, PeriodFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def job():
    return create_job(OrganizationFactory(), "test", "Проверка")


def test_progress_is_visible_while_running_inside_a_transaction(job):
    start_job(job, total=10)
    report_progress(job, done=4, failed=1, problem="ЛС 1: нет тарифа")
    assert job_progress(job) == (4, 10, 1)


def test_finished_job_keeps_its_result(job):
    start_job(job, total=2)
    report_progress(job, done=2)
    finish_job(job, {"Лицевых счетов": 2})
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job_progress(job) == (2, 2, 0)
    assert job.result == {"Лицевых счетов": 2}


def test_job_where_everything_failed_is_failed(job):
    start_job(job, total=1)
    report_progress(job, done=1, failed=1, problem="ошибка")
    finish_job(job)
    assert job.status == JobStatus.FAILED


def test_staff_see_their_job_progress_page(client, job):
    client.force_login(staff_user(job.organization))
    start_job(job, total=4)
    report_progress(job, done=1)
    response = client.get(reverse("backoffice:job", args=[job.pk]))
    assert response.status_code == 200
    assert "Обработано 1 из 4 (25%)" in response.text
    assert 'http-equiv="refresh"' in response.text


def test_other_organisations_job_is_not_found(client, job):
    client.force_login(staff_user(OrganizationFactory()))
    assert client.get(reverse("backoffice:job", args=[job.pk])).status_code == 404


def test_residents_have_no_staff_pages(client, job):
    client.force_login(UserFactory())
    assert client.get(reverse("backoffice:job", args=[job.pk])).status_code == 404


@pytest.fixture
def periods():
    organization = OrganizationFactory()
    return (
        PeriodFactory(organization=organization, month=datetime.date(2026, 9, 1)),
        PeriodFactory(organization=organization, month=datetime.date(2026, 10, 1)),
    )


def test_a_job_is_found_by_its_subject_and_kind(periods):
    september, october = periods
    run = create_job(september.organization, JobKind.BILLING_RUN, "Расчёт", subject=september)
    create_job(october.organization, JobKind.BILLING_RUN, "Расчёт", subject=october)
    create_job(september.organization, JobKind.RECEIPTS_MAILING, "Рассылка", subject=september)
    assert last_job(september, JobKind.BILLING_RUN, JobKind.CHARGES_IMPORT) == run
    assert [job.subject for job in Job.objects.about(october)] == [october]


def test_the_latest_job_on_a_subject_is_the_last_one_started(periods):
    september, _ = periods
    create_job(september.organization, JobKind.BILLING_RUN, "Первый", subject=september)
    second = create_job(september.organization, JobKind.BILLING_RUN, "Второй", subject=september)
    assert last_job(september, JobKind.BILLING_RUN) == second


def test_a_job_has_its_whole_subject_or_none(job):
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(subject_id=1)


def test_the_percent_follows_the_progress_and_a_finished_job_is_whole(job):
    assert job_percent(job) == 0
    start_job(job, total=4)
    report_progress(job, done=1)
    assert job_percent(job) == 25
    start_job(job, total=0)
    finish_job(job)
    assert job_percent(job) == 100


def test_an_expected_error_fails_the_job_with_its_message(job):
    with job_failure(job, "Внутренняя ошибка.", expected=ValueError, prefix="Файл не загружен: "):
        raise ValueError("нет столбца «сумма»")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.problems == ["Файл не загружен: нет столбца «сумма»"]


def test_an_unexpected_error_fails_the_job_and_goes_on_up(job):
    with pytest.raises(RuntimeError), job_failure(job, "Внутренняя ошибка.", expected=ValueError):
        raise RuntimeError("диск переполнен")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.problems == ["Внутренняя ошибка."]


def test_jobs_made_before_subjects_get_theirs_from_their_period_or_registry(periods):
    september, october = periods
    organization = september.organization
    run = Job.objects.create(
        organization=organization,
        kind=JobKind.BILLING_RUN,
        title="Расчёт начислений за сентябрь 2026",
        result={"Период": "сентябрь 2026", "Лицевых счетов": 3},
    )
    mailing = Job.objects.create(
        organization=organization,
        kind=JobKind.RECEIPTS_MAILING,
        title="Рассылка квитанций за октябрь 2026",
    )
    registry_job = Job.objects.create(
        organization=organization, kind=JobKind.PAYMENT_REGISTRY, title="Реестр"
    )
    registry = PaymentRegistry.objects.create(
        organization=organization, file_name="r.txt", sha256="0" * 64, job=registry_job
    )
    import_module("kabinet.jobs.migrations.0002_job_subject").name_subjects(apps, None)
    assert last_job(september, JobKind.BILLING_RUN) == run
    assert last_job(october, JobKind.RECEIPTS_MAILING) == mailing
    assert last_job(registry, JobKind.PAYMENT_REGISTRY) == registry_job
