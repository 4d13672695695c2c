"""Every operation of the served OpenAPI schema, called with generated parameters and bodies
(hostile strings, wrong types, real and unknown ids) with a resident's token and an
organisation's key: no 5xx, only the answers the schema declares, in its media types and
shapes. It complements tests/test_api_schemathesis.py (schemathesis' own generation and
checks) with the hostile strings of test_fuzz_forms and uploaded files of every kind (as the
imports' file, as an appeal's files), cheaply:
``FUZZ_EXAMPLES`` examples per operation (default 5), derandomised as in test_fuzz_forms."""

import os
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.api import staff_keys
from kabinet.orgs.models import StaffRole
from kabinet.users.models import TokenScope
from kabinet.users.tokens import create_token
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    MeterFactory,
    PaymentFactory,
    image_upload,
    make_appeal,
    pdf_upload,
    staff_user,
)
from tests.test_fuzz_forms import HOSTILE

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5")),
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
SCALARS = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=20),
    st.integers(),
    st.booleans(),
    st.none(),
    st.decimals(places=2, allow_nan=False).map(str),
)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=5)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PAYMENT_PROVIDER = "sandbox"


@pytest.fixture
def world():
    link = AccountLinkFactory(
        account__premise__house__organization__readings_from_day=1,
        account__premise__house__organization__readings_to_day=31,
    )
    account = link.account
    organization = account.organization
    charge = ChargeFactory(account=account)
    PaymentFactory(account=account)
    meter = MeterFactory(account=account)
    appeal = make_appeal(link.user, account, files=[pdf_upload()])
    manager = staff_user(organization, StaffRole.MANAGER)
    return {
        "account_id": account.pk,
        "appeal_id": appeal.pk,
        "attachment_id": appeal.messages.get().attachments.get().pk,
        "month": f"{charge.period.month:%Y-%m}",
        "meter_id": meter.pk,
        "resident": create_token(link.user, name="fuzz", scope=TokenScope.FULL).secret,
        "key": staff_keys.create_key(
            organization, name="fuzz", role=StaffRole.MANAGER, created_by=manager
        ).secret,
        "job_id": 1,
    }


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def conforms(schema, node, value) -> bool:
    """A small JSON Schema check: the types, required properties and items ninja declares."""
    node = resolve(schema, node)
    if "anyOf" in node:
        return any(conforms(schema, option, value) for option in node["anyOf"])
    kind = node.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float | str),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind and not checks[kind](value):
        return False
    if kind == "object":
        if not set(node.get("required", ())) <= set(value):
            return False
        properties = node.get("properties", {})
        return all(conforms(schema, properties[k], v) for k, v in value.items() if k in properties)
    if kind == "array":
        return all(conforms(schema, node.get("items", {}), item) for item in value)
    return True


def parameter_values(world, name):
    real = world.get(name)
    return st.one_of(st.just(real), SCALARS) if real is not None else SCALARS


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


class Form(dict):
    """A body sent as multipart/form-data."""


# Files of every kind: empty, not text, a table, junk, a broken PDF, a real picture and PDF.
FILE_CONTENTS = st.sampled_from(
    [
        b"",
        b"\xff\xfe",
        "ЛС;Сумма\n1;2\n".encode(),
        b"x" * 300,
        b"%PDF-1.4\n",
        image_upload().read(),
        pdf_upload().read(),
    ]
)
UPLOADS = FILE_CONTENTS.map(lambda data: SimpleUploadedFile("f.csv", data))


def body_strategy(schema, operation, world):
    """A JSON body, a form, or either where the operation takes both."""
    content = operation.get("requestBody", {}).get("content", {})
    bodies = []
    if "multipart/form-data" in content:
        bodies.append(form_strategy(schema, content["multipart/form-data"]["schema"]))
    if "application/json" in content:
        bodies.append(json_strategy(schema, content["application/json"]["schema"], world))
    return st.one_of(bodies) if bodies else st.just(None)


def form_strategy(schema, node):
    fields = {}
    for name, prop in resolve(schema, node).get("properties", {}).items():
        prop = resolve(schema, prop)
        if prop.get("format") == "binary":
            fields[name] = UPLOADS
        elif prop.get("type") == "array":  # files: up to one more than allowed
            fields[name] = st.lists(UPLOADS, max_size=prop.get("maxItems", 1) + 1)
        else:
            fields[name] = SCALARS.filter(lambda value: value is not None).map(str)
    return st.fixed_dictionaries(fields).map(Form)


def json_strategy(schema, node, world):
    node = resolve(schema, node)
    fields = {}
    for name, prop in node.get("properties", {}).items():
        prop = resolve(schema, prop)
        if prop.get("type") == "array":  # the readings: real and unknown meters
            item = st.fixed_dictionaries(
                {"meter_id": parameter_values(world, "meter_id"), "value": SCALARS}
            )
            fields[name] = st.one_of(st.lists(item, max_size=2), ANY_JSON)
        else:
            fields[name] = ANY_JSON
    return st.one_of(st.fixed_dictionaries(fields), ANY_JSON)


def test_every_operation_keeps_to_the_schema(client, world):
    schema = client.get(reverse("api:openapi-json")).json()
    for path, method, operation in operations(schema):
        secret = world["key"] if path.startswith("/api/v1/org/") else world["resident"]
        fuzz_operation(client, schema, world, path, method, operation, secret)


def fuzz_operation(client, schema, world, path, method, operation, secret):
    parameters = operation.get("parameters", ())
    arguments = st.fixed_dictionaries(
        {p["name"]: parameter_values(world, p["name"]) for p in parameters}
    )

    @FUZZ
    @given(arguments=arguments, body=body_strategy(schema, operation, world))
    def call(arguments, body):
        cache.clear()  # the key's rate limit is not what is tested here
        url, query = path, {}
        for parameter in parameters:
            value = arguments[parameter["name"]]
            if parameter["in"] == "path":
                url = url.replace("{" + parameter["name"] + "}", quote(str(value), safe=""))
            elif value is not None:
                query[parameter["name"]] = str(value)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if method == "get":
            response = client.get(url, query, **headers)
        elif isinstance(body, Form):
            response = client.post(url, dict(body), **headers)
        else:
            response = client.post(url, body, content_type="application/json", **headers)
        said = f"{method.upper()} {url} {query} {body!r}: {response.status_code}"
        assert response.status_code < 500, said
        problem = response["Content-Type"] == "application/problem+json"
        if response.status_code == 404 and not problem and "/{" in path:
            return  # a value ninja does not route (a "/" in an id): the site's own 404
        declared = operation["responses"].get(str(response.status_code))
        assert declared is not None, said
        media_type = response["Content-Type"].split(";")[0]
        assert media_type in declared["content"], said
        media = declared["content"][media_type]
        if media_type.endswith("json"):
            assert conforms(schema, media["schema"], response.json()), said

    call()
