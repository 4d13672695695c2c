import pytest
from django.urls import reverse

from kabinet.jobs.models import JobStatus
from kabinet.jobs.services import create_job, finish_job, job_progress, report_progress, start_job
from tests.factories import OrganizationFactory, UserFactory, staff_user

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
