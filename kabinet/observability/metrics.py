"""Metrics in Prometheus' text format on ``/metrics``, for the local network only.

Built on ``prometheus_client``, the reference library: counters and a histogram updated in this
process, and collectors that read the database when scraped (the task queue's depth and failed
tasks, payments credited), so that what the worker or a bank registry did is counted however and
wherever it happened. Under gunicorn every worker is a process with its own counters: set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory shared by the web and task workers (cleared at
each start, see deploy/) and the scrape adds up all of them.

Who may read: a client whose address (``kabinet.http.client_ip``) is in ``METRICS_ALLOWED_NETWORKS``
(default this machine); anybody else gets 404, as if there were nothing.
"""

import ipaddress
import os
import time
from functools import cache

from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpResponse, HttpResponseNotFound
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from kabinet.http import client_ip

REQUESTS = Counter(
    "kabinet_http_requests_total", "HTTP requests answered, by view and status.", ["view", "status"]
)
LATENCY = Histogram(
    "kabinet_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30),
)
EMAILS_SENT = Counter("kabinet_emails_sent_total", "E-mail messages handed to the mail server.")


class MetricsMiddleware:
    """Counts each request and its time under the name of the view that answered it; an
    address that matched no view is counted as ``<unresolved>`` (no label per scanned path)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "<unresolved>"
        LATENCY.labels(view).observe(time.perf_counter() - started)
        REQUESTS.labels(view, str(response.status_code)).inc()
        return response


class DatabaseCollector:
    """What the database knows, read at each scrape."""

    def collect(self):
        from django_tasks_db.models import DBTaskResult

        from kabinet.payments.models import Payment

        depth = GaugeMetricFamily(
            "kabinet_task_queue_depth", "Tasks ready to run and not yet taken by a worker."
        )
        depth.add_metric([], DBTaskResult.objects.ready().count())
        yield depth
        failed = GaugeMetricFamily(
            "kabinet_tasks_failed", "Failed tasks kept in the database (pruned by the timer)."
        )
        failed.add_metric([], DBTaskResult.objects.failed().count())
        yield failed
        count = CounterMetricFamily(
            "kabinet_payments_credited",
            "Payments credited to accounts, by source.",
            labels=["source"],
        )
        amount = CounterMetricFamily(
            "kabinet_payments_credited_rubles",
            "Sum of the payments credited to accounts, by source.",
            labels=["source"],
        )
        for row in Payment.objects.values("source").annotate(n=Count("id"), total=Sum("amount")):
            count.add_metric([row["source"]], row["n"])
            amount.add_metric([row["source"]], float(row["total"] or 0))  # a metric, not money
        yield count
        yield amount


@cache
def _allowed_networks():
    return [ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS]


def may_read_metrics(request) -> bool:
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _allowed_networks())


def registry() -> CollectorRegistry:
    """This process's metrics, or every process's with ``PROMETHEUS_MULTIPROC_DIR``; with the
    database's either way."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        scraped = CollectorRegistry()
        multiprocess.MultiProcessCollector(scraped)
    else:
        scraped = CollectorRegistry()
        scraped.register(_ProcessMetrics())
    scraped.register(DatabaseCollector())
    return scraped


class _ProcessMetrics:
    """The default registry's metrics (ours, the process's), as one collector."""

    def collect(self):
        yield from REGISTRY.collect()


def metrics(request):
    """The metrics for a reader on the allowed networks; 404 for anybody else."""
    if request.method not in ("GET", "HEAD") or not may_read_metrics(request):
        refused = HttpResponseNotFound()  # plain: this may run before the middleware pages need
        refused._has_been_logged = True  # scanners' noise
        return refused
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
