"""Schemathesis against the served schema (issue 18): every operation of
``/api/v1/openapi.json``, called through Django's WSGI application with generated parameters
and bodies, with a resident's token (their real account, appeal and its file, news, meter and
month substituted for most generated ids) and, for ``/org/``, an organisation's key. Checks: no 5xx,
only the declared status codes, in the declared media types, bodies valid against the declared
schemas. Bounded and deterministic: ``SCHEMATHESIS_EXAMPLES`` examples per operation (default
5), derandomised (``FUZZ_RANDOM=1`` draws anew, as in test_fuzz_forms)."""

import os
import zlib

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kabinet.api import staff_keys
from kabinet.orgs.models import StaffRole
from kabinet.users.models import TokenScope
from kabinet.users.tokens import create_token
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    MeterFactory,
    PaymentFactory,
    make_appeal,
    pdf_upload,
    staff_user,
)

FUZZ = settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5")),
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def keep_connection():
    """Django's WSGI handler closes the database connection around each request, which, inside
    the test's transaction, ends it (on PostgreSQL); Django's test client disconnects the same
    receivers while it calls the application."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def world(db, keep_connection, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PAYMENT_PROVIDER = "sandbox"
    link = AccountLinkFactory(
        account__premise__house__organization__readings_from_day=1,
        account__premise__house__organization__readings_to_day=31,
    )
    account = link.account
    organization = account.organization
    charge = ChargeFactory(account=account)
    PaymentFactory(account=account)
    manager = staff_user(organization, StaffRole.MANAGER)
    news = organization.news.create(house=account.premise.house, title="Вода", text="Отключат.")
    appeal = make_appeal(link.user, account, files=[pdf_upload()])
    return {
        "ids": {
            "account_id": account.pk,
            "appeal_id": appeal.pk,
            "attachment_id": appeal.messages.get().attachments.get().pk,
            "news_id": news.pk,
            "meter_id": MeterFactory(account=account).pk,
            "month": f"{charge.period.month:%Y-%m}",
        },
        "resident": create_token(link.user, name="st", scope=TokenScope.FULL).secret,
        "key": staff_keys.create_key(
            organization, name="st", role=StaffRole.MANAGER, created_by=manager
        ).secret,
    }


def test_every_operation_keeps_to_the_served_schema(world):
    schema = schemathesis.openapi.from_wsgi(reverse("api:openapi-json"), get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:

        @FUZZ
        @given(case=cases(operation))
        def call(case):
            check_case(case, world)

        call()


def cases(operation):
    """Valid and invalid requests (wrong types, missing fields) as schemathesis generates."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def check_case(case, world):
    cache.clear()  # the token's rate limit is not what is tested here
    for name, real in world["ids"].items():
        generated = (case.path_parameters or {}).get(name)
        if generated is not None and zlib.crc32(repr(generated).encode()) % 4:
            case.path_parameters[name] = real  # 3 in 4: the real record, not a 404
    secret = world["key"] if case.path.startswith("/api/v1/org/") else world["resident"]
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
