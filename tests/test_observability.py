"""Probes, request ids, JSON logs, Sentry and metrics (kabinet/observability)."""

import datetime
import json
import logging
from decimal import Decimal

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kabinet.metering.tasks import send_reading_reminders
from kabinet.observability import health, metrics
from kabinet.observability.logs import JsonFormatter, RequestIdFilter, request_id_from
from kabinet.observability.mail import CountingFileBackend
from tests.test_settings import PRODUCTION, manage

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_tasks():
    with override_settings(TASKS=DB_TASKS):  # Django re-reads TASKS on the change
        yield


def queued_task(waited: datetime.timedelta):
    result = send_reading_reminders.enqueue(0, "2026-11-30")
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - waited)
    return result


# --- /healthz and /readyz ---------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")  # without the django_db mark a query would raise
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_readyz_is_ok_when_database_cache_and_queue_serve(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "task_queue"}


@pytest.mark.django_db
def test_readyz_names_the_database_when_it_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert "connection refused" in response.json()["checks"]["database"]["error"]


@pytest.mark.django_db
def test_a_failing_probe_is_not_reported_as_a_server_error(client, monkeypatch, caplog):
    monkeypatch.setattr(health, "CHECKS", {"database": lambda: 1 / 0})
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/readyz").status_code == 503
        assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404
    assert not [r for r in caplog.records if r.name == "django.request"]


@pytest.mark.django_db
def test_readyz_names_the_cache_when_it_keeps_nothing(client):
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


@pytest.mark.django_db
def test_readyz_fails_when_the_oldest_ready_task_waited_too_long(client, db_tasks):
    queued_task(datetime.timedelta(seconds=30))
    with override_settings(READYZ_MAX_QUEUE_LAG=60):
        fresh = client.get("/readyz")
    assert fresh.status_code == 200
    assert 29 <= fresh.json()["checks"]["task_queue"]["lag_seconds"] < 60
    queued_task(datetime.timedelta(minutes=10))
    with override_settings(READYZ_MAX_QUEUE_LAG=60):
        stale = client.get("/readyz")
    assert stale.status_code == 503
    assert stale.json()["failed"] == ["task_queue"]
    assert "db_worker" in stale.json()["checks"]["task_queue"]["error"]


@pytest.mark.django_db
def test_a_deferred_task_waits_from_its_run_after(db_tasks):
    now = timezone.now()
    deferred = send_reading_reminders.using(run_after=now + datetime.timedelta(hours=1))
    result = deferred.enqueue(0, "2026-11-30")
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=now - datetime.timedelta(days=1))
    assert health.queue_lag(now) == 0.0  # not ready yet
    assert health.queue_lag(now + datetime.timedelta(hours=1, seconds=5)) == 5.0


def test_the_queue_is_not_checked_when_tasks_run_at_once():
    assert health.queue_lag() is None


@pytest.mark.django_db
def test_probes_pass_by_host_check_https_redirect_and_logging(client, caplog):
    with (
        override_settings(ALLOWED_HOSTS=["portal.example.ru"], SECURE_SSL_REDIRECT=True),
        caplog.at_level(logging.INFO, logger="kabinet.access"),
    ):
        assert client.get("/healthz", HTTP_HOST="10.0.0.5:8000").status_code == 200
        assert client.get("/readyz", HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert not [r for r in caplog.records if r.name == "kabinet.access"]


# --- request ids and logs ---------------------------------------------------------------------


def test_a_well_formed_request_id_from_the_proxy_is_kept():
    assert request_id_from("0f1e2d3c4b5a69788796a5b4c3d2e1f0") == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.mark.parametrize("sent", [None, "", "short", "x" * 65, 'a" injected\nline', "кириллица12"])
def test_a_missing_or_malformed_request_id_is_replaced(sent):
    made = request_id_from(sent)
    assert made != sent
    assert len(made) == 32


@pytest.mark.django_db
def test_every_log_record_of_a_request_carries_its_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="kabinet.access"):
        response = client.get("/privacy/", HTTP_X_REQUEST_ID="req-0123456789")
    assert response["X-Request-ID"] == "req-0123456789"
    access = [r for r in caplog.records if r.name == "kabinet.access"]
    assert len(access) == 1
    record = access[0]
    RequestIdFilter().filter(record)
    assert record.request_id == "req-0123456789"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-0123456789"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/privacy/", 200)
    assert (line["level"], line["logger"]) == ("INFO", "kabinet.access")


def test_the_json_formatter_writes_one_line_with_the_traceback():
    try:
        raise ValueError("сломалось")
    except ValueError:
        record = logging.getLogger("kabinet.test").makeRecord(
            "kabinet.test", logging.ERROR, __file__, 1, "платёж %s", ("42",), exc_info=True
        )
        import sys

        record.exc_info = sys.exc_info()
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "платёж 42"
    assert "ValueError: сломалось" in line["exception"]
    assert line["time"].endswith("+00:00")


def test_production_logs_json_and_sends_errors_to_sentry_when_dsn_is_set():
    code = (
        "import json, logging, sentry_sdk; from django.conf import settings; "
        "h = logging.getLogger().handlers[0]; "
        "print(json.dumps([type(h.formatter).__name__, "
        "str(sentry_sdk.get_client().dsn or '')]))"
    )
    env = {**PRODUCTION, "LOG_FORMAT": "json", "SENTRY_DSN": "https://key@sentry.example.ru/7"}
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [
        "JsonFormatter",
        "https://key@sentry.example.ru/7",
    ]


def test_sentry_is_not_imported_without_a_dsn():
    code = "import sys; from django.conf import settings; settings.DEBUG; "
    code += "print('sentry_sdk' in sys.modules)"
    result = manage("shell", "--no-imports", "-c", code, env={})
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_an_unknown_log_format_stops_the_start():
    result = manage("check", env={"LOG_FORMAT": "yaml"})
    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr


# --- metrics ----------------------------------------------------------------------------------


@pytest.fixture
def fresh_networks():
    metrics._allowed_networks.cache_clear()
    yield
    metrics._allowed_networks.cache_clear()


def sample(text: str, name: str, **labels) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    key = f"{name}{{{wanted}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(key + " "):
            return float(line.split()[-1])
    return None


@pytest.mark.django_db
def test_metrics_count_requests_tasks_payments_and_emails(
    client, db_tasks, tmp_path, fresh_networks
):
    from tests.factories import PaymentFactory

    before = sample(client.get("/metrics").content.decode(), "kabinet_http_requests_total",
                    status="200", view="portal:privacy") or 0  # fmt: skip
    client.get("/privacy/")
    queued_task(datetime.timedelta(seconds=1))
    PaymentFactory(amount=Decimal("1500.50"))
    emails_before = (
        sample(client.get("/metrics").content.decode(), "kabinet_emails_sent_total") or 0
    )
    backend = CountingFileBackend(file_path=str(tmp_path))
    backend.send_messages([mail.EmailMessage("тема", "текст", to=["a@example.ru"])] * 2)

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert (
        sample(text, "kabinet_http_requests_total", status="200", view="portal:privacy")
        == before + 1
    )
    assert sample(text, "kabinet_http_request_duration_seconds_count", view="portal:privacy") >= 1
    assert sample(text, "kabinet_task_queue_depth") == 1
    assert sample(text, "kabinet_tasks_failed") == 0
    source = PaymentFactory._meta.model.objects.get().source
    assert sample(text, "kabinet_payments_credited_total", source=source) == 1
    assert sample(text, "kabinet_payments_credited_rubles_total", source=source) == 1500.5
    assert sample(text, "kabinet_emails_sent_total") == emails_before + 2


@pytest.mark.django_db
def test_metrics_are_hidden_from_other_networks(client, fresh_networks):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404
    with override_settings(METRICS_ALLOWED_NETWORKS=["10.1.0.0/16"]):
        metrics._allowed_networks.cache_clear()
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_behind_the_proxy_metrics_judge_the_forwarded_client(client, fresh_networks):
    with override_settings(TRUSTED_PROXY_COUNT=1):
        outside = client.get(
            "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4"
        )
        inside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert outside.status_code == 404
    assert inside.status_code == 200


def test_a_bad_metrics_network_stops_the_start():
    result = manage("check", env={"METRICS_ALLOWED_NETWORKS": "10.0.0.0/33"})
    assert result.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS" in result.stderr
