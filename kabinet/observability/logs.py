"""Logs as JSON lines carrying the id of the request they were written for.

``RequestIdMiddleware`` takes the id the proxy sent in ``X-Request-ID`` (nginx: ``$request_id``)
when it is well formed, else makes one, answers with it, and keeps it in a context variable for
the request's duration; ``RequestIdFilter`` copies it onto every log record, so a line of the
payment service and the access line of the same request share it. ``JsonFormatter`` writes one
JSON object a line (``LOG_FORMAT=json`` in production; development keeps plain text).
"""

import contextvars
import datetime
import json
import logging
import re
import sys
import time
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from the proxy: letters, digits and - _ . : up to 64 (a UUID, nginx's 32 hex).
# Anything else is the client's invention and could forge or break log lines.
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
# Probes and scrapes arrive every few seconds from machines: they would bury the real requests.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
access_logger = logging.getLogger("kabinet.access")


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is well formed, else a new one."""
    if header and WELL_FORMED_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each request an id (on the response too) and writes one access line for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        if "sentry_sdk" in sys.modules:  # imported by the settings only when SENTRY_DSN is set
            sys.modules["sentry_sdk"].set_tag("request_id", request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if request.path not in QUIET_PATHS:
                access_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (empty outside a request) on every record."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class QuietProbesFilter(logging.Filter):
    """Drops runserver's lines for the probes and the metrics scrape (``django.server``)."""

    def filter(self, record):
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path is None and isinstance(record.args, tuple) and record.args:
            # django.server logs '"GET /healthz HTTP/1.1" 200 2' with the request line first.
            parts = str(record.args[0]).split()
            path = parts[1].split("?")[0] if len(parts) > 1 else None
        return path not in QUIET_PATHS


# Attributes every LogRecord has; anything else was passed in ``extra`` and goes into the line.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request id, the
    fields given in ``extra`` and the traceback of an exception."""

    def format(self, record):
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = (
                    value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
                )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)
