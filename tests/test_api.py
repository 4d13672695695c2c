"""The API under /api/v1/: personal access tokens, the resident's accounts, meters and readings,
problem details, idempotency and the OpenAPI schema."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from kabinet.api.idempotency import RETENTION
from kabinet.api.models import IdempotentRequest
from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.metering.models import Reading, ReadingSource, Resource
from kabinet.months import add_months, first_of_month
from kabinet.orgs.models import StaffRole
from kabinet.users import tokens
from kabinet.users.models import AccessToken, TokenScope
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    MeterFactory,
    ReadingFactory,
    UserFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # rate limits count per token id, which the next test's database reuses


def today():
    return timezone.localdate()


@pytest.fixture
def link():
    return AccountLinkFactory(
        account__number="100200",
        account__premise__house__organization__readings_from_day=1,
        account__premise__house__organization__readings_to_day=31,
    )


@pytest.fixture
def account(link):
    return link.account


@pytest.fixture
def meter(account):
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER, serial_number="ХВ-001")
    current = first_of_month(today())
    for offset, value in zip(range(-4, 0), ("100", "103", "106", "109"), strict=True):
        month = add_months(current, offset)
        ReadingFactory(meter=meter, period=month, value=D(value), taken_on=month.replace(day=20))
    return meter


def token_of(user, scope=TokenScope.FULL, **kwargs):
    return tokens.create_token(user, name="скрипт", scope=scope, **kwargs).secret


@pytest.fixture
def owner_token(link):
    return token_of(link.user)


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def get(client, url, secret=None):
    return client.get(url, **(bearer(secret) if secret else {}))


def post(client, url, data, secret, **headers):
    return client.post(url, data, content_type="application/json", **bearer(secret), **headers)


def accounts_url():
    return reverse("api:accounts")


def card_url(account):
    return reverse("api:account", args=[account.pk])


def meters_url(account):
    return reverse("api:meters", args=[account.pk])


def readings_url(account):
    return reverse("api:readings", args=[account.pk])


def charges_url(account, month=None):
    if month is None:
        return reverse("api:charges", args=[account.pk])
    return reverse("api:month_charges", args=[account.pk, month])


def endpoint_url(endpoint, account, charge):
    return {
        "card": card_url(account),
        "meters": meters_url(account),
        "charges": charges_url(account),
        "month_charges": charges_url(account, f"{charge.period.month:%Y-%m}"),
    }[endpoint]


def reading(meter, value, **extra):
    return {"readings": [{"meter_id": meter.pk, "value": value, **extra}]}


# --- the callers of every endpoint ----------------------------------------------------------


def callers(link):
    """Who asks, and the token they ask with (None: no token)."""
    other = AccountLinkFactory().user
    staff = staff_user(link.account.organization, StaffRole.MANAGER)
    now = timezone.now()
    revoked = tokens.create_token(link.user, name="старый", scope=TokenScope.FULL)
    tokens.revoke_token(link.user, revoked.token.pk)
    expired = tokens.create_token(link.user, name="истёк", scope=TokenScope.FULL)
    AccessToken.objects.filter(pk=expired.token.pk).update(
        expires_at=now - datetime.timedelta(seconds=1)
    )
    return {
        "owner": token_of(link.user),
        "other_resident": token_of(other),
        "staff": token_of(staff),
        "no_token": None,
        "revoked": revoked.secret,
        "expired": expired.secret,
        "read_only": token_of(link.user, TokenScope.READ),
        "readings_only": token_of(link.user, TokenScope.READINGS),
        "other_account_token": token_of(
            link.user, TokenScope.FULL, account=AccountLinkFactory(user=link.user).account
        ),
    }


# (endpoint, caller) → status. The owner's own accounts; 404 for an account that is not the
# caller's (another resident's, staff's, a token limited to another account).
READ_ONLY_ANSWERS = {
    "owner": 200,
    "other_resident": 404,
    "staff": 404,
    "no_token": 401,
    "revoked": 401,
    "expired": 401,
    "read_only": 200,
    "readings_only": 403,
    "other_account_token": 404,
}
EXPECTED = {
    "charges": READ_ONLY_ANSWERS,
    "month_charges": READ_ONLY_ANSWERS,
    "card": {
        "owner": 200,
        "other_resident": 404,
        "staff": 404,
        "no_token": 401,
        "revoked": 401,
        "expired": 401,
        "read_only": 200,
        "readings_only": 403,
        "other_account_token": 404,
    },
    "meters": {
        "owner": 200,
        "other_resident": 404,
        "staff": 404,
        "no_token": 401,
        "revoked": 401,
        "expired": 401,
        "read_only": 200,
        "readings_only": 200,
        "other_account_token": 404,
    },
    "readings": {
        "owner": 201,
        "other_resident": 404,
        "staff": 404,
        "no_token": 401,
        "revoked": 401,
        "expired": 401,
        "read_only": 403,
        "readings_only": 201,
        "other_account_token": 404,
    },
}


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_every_endpoint_answers_each_caller_as_the_rules_say(client, link, meter, endpoint):
    charge = ChargeFactory(account=link.account)
    for caller, secret in callers(link).items():
        if endpoint == "readings":
            Reading.objects.filter(meter=meter, period=first_of_month(today())).delete()
            response = client.post(
                readings_url(link.account),
                reading(meter, "112"),
                content_type="application/json",
                **(bearer(secret) if secret else {}),
            )
        else:
            response = get(client, endpoint_url(endpoint, link.account, charge), secret)
        expected = EXPECTED[endpoint][caller]
        assert response.status_code == expected, f"{endpoint} × {caller}: {response.content}"
        if expected >= 400:
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["status"] == expected


def test_the_account_list_holds_the_callers_accounts_only(client, link):
    for caller, secret in callers(link).items():
        response = get(client, accounts_url(), secret)
        if caller in ("no_token", "revoked", "expired"):
            assert response.status_code == 401, caller
            continue
        assert response.status_code == 200, caller
        numbers = [row["number"] for row in response.json()]
        reaches_it = caller in ("owner", "read_only", "readings_only")
        assert ("100200" in numbers) == reaches_it, caller
        if caller == "other_account_token":  # the one account it names, of the same owner
            assert len(numbers) == 1
        if caller == "staff":
            assert numbers == []


def test_without_a_token_the_answer_says_how_to_authenticate(client):
    response = get(client, accounts_url())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    problem = response.json()
    assert problem["title"] == "Нужна аутентификация"
    assert problem["instance"] == accounts_url()


def test_a_revoked_or_expired_token_is_told_apart(client, link):
    secrets = callers(link)
    assert get(client, accounts_url(), secrets["revoked"]).json()["detail"] == "Токен отозван."
    detail = get(client, accounts_url(), secrets["expired"]).json()["detail"]
    assert detail == "Срок действия токена истёк."


def test_a_forged_secret_with_a_real_prefix_is_refused(client, link, owner_token):
    forged = owner_token[:-4] + "AAAA"
    assert get(client, accounts_url(), forged).status_code == 401


def test_a_blocked_users_token_stops_working(client, link, owner_token):
    link.user.is_active = False
    link.user.save()
    assert get(client, accounts_url(), owner_token).status_code == 401


def test_the_page_session_does_not_open_the_api(client, link):
    client.force_login(link.user)
    assert client.get(accounts_url()).status_code == 401


def test_no_answer_is_kept_by_a_cache(client, account, meter, owner_token):
    answers = [
        get(client, accounts_url(), owner_token),
        get(client, card_url(account), owner_token),
        get(client, accounts_url()),
        post(client, readings_url(account), reading(meter, "112"), owner_token),
    ]
    assert [answer["Cache-Control"] for answer in answers] == ["no-store"] * 4


# --- the card and the meters ---------------------------------------------------------------


def test_the_card_shows_the_balance_and_the_months_services(client, account, owner_token):
    line = ChargeFactory(
        account=account, service__name="Холодное водоснабжение", service__unit="м³"
    )
    card = get(client, card_url(account), owner_token).json()
    assert card["number"] == "100200"
    assert card["services"] == [
        {
            "service_id": line.service_id,
            "service": "Холодное водоснабжение",
            "unit": "м³",
            "tariff": "20.0000",
            "volume": "48.500000",
            "charged": "970.00",
            "recalculation": "0.00",
            "total": "970.00",
        }
    ]
    assert card["total"] == "970.00"
    assert D(card["balance"]) == D("970.00")


def test_charges_by_month_are_the_closed_months_of_the_charges_page(client, account, owner_token):
    charge = ChargeFactory(account=account, service__name="Отопление")
    [month] = get(client, charges_url(account), owner_token).json()
    assert month["month"] == charge.period.month.isoformat()
    assert month["total"] == "970.00"
    table = get(client, charges_url(account, f"{charge.period.month:%Y-%m}"), owner_token).json()
    assert [line["service"] for line in table["services"]] == ["Отопление"]


@pytest.mark.parametrize("month", ["2001-01", "13-2026", "сентябрь"])
def test_a_month_without_charges_or_not_a_month_is_not_found(client, account, owner_token, month):
    ChargeFactory(account=account)
    response = get(client, charges_url(account, month), owner_token)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_meters_carry_their_last_reading_and_the_window(client, account, meter, owner_token):
    answer = get(client, meters_url(account), owner_token).json()
    assert answer["window"]["is_open"] is True
    assert answer["window"]["month"] == first_of_month(today()).isoformat()
    [shown] = answer["meters"]
    assert shown["serial_number"] == "ХВ-001"
    assert shown["resource_name"] == "холодная вода"
    assert D(shown["last_reading"]["value"]) == D("109")
    assert shown["current_reading"] is None


# --- submitting readings ------------------------------------------------------------------


def test_a_reading_is_recorded_as_from_the_page(client, link, meter, owner_token):
    response = post(client, readings_url(link.account), reading(meter, "112,5"), owner_token)
    assert response.status_code == 201, response.content
    saved = Reading.objects.get(meter=meter, period=first_of_month(today()))
    assert saved.value == D("112.5")
    assert saved.source == ReadingSource.RESIDENT
    assert saved.submitted_by == link.user
    assert response.json()["readings"][0]["value"] == "112.500"


def test_a_reading_below_the_previous_is_refused_with_the_pages_message(
    client, account, meter, owner_token
):
    response = post(client, readings_url(account), reading(meter, "50"), owner_token)
    assert response.status_code == 422
    problem = response.json()
    [error] = problem["errors"]
    assert error["field"] == "readings.0.value"
    assert error["label"] == "показание"
    assert error["message"].startswith("Показание 50,000 меньше предыдущего")
    assert not Reading.objects.filter(meter=meter, period=first_of_month(today())).exists()


def test_an_unusual_reading_needs_the_explicit_confirmation(client, account, meter, owner_token):
    response = post(client, readings_url(account), reading(meter, "200"), owner_token)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "unusual"
    assert not Reading.objects.filter(meter=meter, period=first_of_month(today())).exists()
    confirmed = reading(meter, "200", confirm_unusual=True)
    assert post(client, readings_url(account), confirmed, owner_token).status_code == 201
    assert Reading.objects.get(meter=meter, period=first_of_month(today())).value == D("200")


def test_a_value_that_is_not_a_number_gets_the_forms_message(client, account, meter, owner_token):
    response = post(client, readings_url(account), reading(meter, "сто"), owner_token)
    assert response.status_code == 422
    assert "не показание" in response.json()["errors"][0]["message"]


def test_an_empty_list_asks_for_a_reading_as_the_form_does(client, account, meter, owner_token):
    response = post(client, readings_url(account), {"readings": []}, owner_token)
    assert response.status_code == 422
    assert response.json()["detail"] == "Введите показания хотя бы одного счётчика."


def test_a_meter_of_another_account_is_no_meter_here(client, account, meter, owner_token):
    foreign = MeterFactory()
    response = post(client, readings_url(account), reading(foreign, "5"), owner_token)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "readings.0.meter_id",
        "label": "счётчик",
        "message": "Такого счётчика нет.",
        "code": "invalid",
    }


def test_a_malformed_body_is_named_field_by_field_in_russian(client, account, owner_token):
    response = post(client, readings_url(account), {"readings": [{"value": 5}]}, owner_token)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "readings.0.meter_id": "обязательное поле",
        "readings.0.value": "нужна строка",
    }


def test_outside_the_window_the_answer_is_a_conflict_with_the_next_opening(
    client, account, meter, owner_token
):
    organization = account.organization
    day = 2 if today().day == 1 else 1
    organization.readings_from_day = organization.readings_to_day = day
    organization.save()
    response = post(client, readings_url(account), reading(meter, "112"), owner_token)
    assert response.status_code == 409
    problem = response.json()
    assert problem["detail"].startswith("Приём показаний закрыт.")
    assert problem["next_opening"] >= today().isoformat()


# --- idempotency --------------------------------------------------------------------------


def test_a_retried_post_with_the_same_key_does_nothing_twice(
    client, account, meter, owner_token, django_capture_on_commit_callbacks
):
    key = {"HTTP_IDEMPOTENCY_KEY": "c3a1e0b2-1"}
    url = readings_url(account)
    with django_capture_on_commit_callbacks(execute=False) as first_mail:
        first = post(client, url, reading(meter, "112"), owner_token, **key)
    Reading.objects.filter(meter=meter, period=first_of_month(today())).update(value=D("113"))
    with django_capture_on_commit_callbacks(execute=False) as second_mail:
        again = post(client, url, reading(meter, "112"), owner_token, **key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotency-Replayed"] == "true"
    assert Reading.objects.get(meter=meter, period=first_of_month(today())).value == D("113")
    assert len(first_mail) == 1  # one confirmation letter
    assert second_mail == []


def test_the_same_key_with_another_body_is_refused(client, account, meter, owner_token):
    key = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    post(client, readings_url(account), reading(meter, "112"), owner_token, **key)
    response = post(client, readings_url(account), reading(meter, "115"), owner_token, **key)
    assert response.status_code == 422
    assert response.json()["type"] == "urn:kabinet:problem:idempotency-key-reused"


def test_a_refused_post_keeps_no_key_and_may_be_retried(client, account, meter, owner_token):
    key = {"HTTP_IDEMPOTENCY_KEY": "k-2"}
    refused = post(client, readings_url(account), reading(meter, "200"), owner_token, **key)
    assert refused.status_code == 422
    assert not IdempotentRequest.objects.exists()


def test_keys_belong_to_their_token(client, link, meter, owner_token):
    key = {"HTTP_IDEMPOTENCY_KEY": "k-3"}
    other_token = token_of(link.user, TokenScope.READINGS)
    post(client, readings_url(link.account), reading(meter, "112"), owner_token, **key)
    second = post(client, readings_url(link.account), reading(meter, "114"), other_token, **key)
    assert second.status_code == 201
    assert "Idempotency-Replayed" not in second


# --- rate limit and last use --------------------------------------------------------------


@override_settings(QUOTAS={"api_requests": "2/m"})
def test_each_token_is_limited_on_its_own(client, link, owner_token):
    second = token_of(link.user)
    assert get(client, accounts_url(), owner_token).status_code == 200
    assert get(client, accounts_url(), owner_token).status_code == 200
    refused = get(client, accounts_url(), owner_token)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Слишком много запросов с этим токеном")
    assert get(client, accounts_url(), second).status_code == 200


def test_a_use_is_noted_on_the_token(client, link, owner_token):
    get(client, accounts_url(), owner_token)
    assert AccessToken.objects.get(user=link.user).last_used_at is not None


# --- the tokens themselves ----------------------------------------------------------------


def test_only_the_digest_is_stored(link):
    created = tokens.create_token(link.user, name="a", scope=TokenScope.READ)
    assert created.secret.startswith(f"kbn_{created.token.prefix}_")
    stored = AccessToken.objects.filter(pk=created.token.pk).values().get()
    assert created.secret not in str(stored)
    assert stored["digest"] == tokens.digest_of(created.secret)


def test_a_token_cannot_name_an_account_not_linked(link):
    with pytest.raises(tokens.TokenRefused):
        tokens.create_token(
            link.user, name="a", scope=TokenScope.READ, account=AccountLinkFactory().account
        )


def test_the_profile_creates_a_token_shows_it_once_and_revokes_it(client, link, meter):
    client.force_login(link.user)
    page = client.post(
        reverse("portal:api_tokens"),
        {"name": "Счётчик на кухне", "scope": "readings", "account": link.account.pk},
    )
    assert page.status_code == 200
    secret = page.context["secret"]
    assert secret in page.content.decode()
    listing = client.get(reverse("portal:api_tokens")).content.decode()
    assert "Счётчик на кухне" in listing
    assert secret not in listing
    pushed = post(client, readings_url(link.account), reading(meter, "112"), secret)
    assert pushed.status_code == 201
    token = AccessToken.objects.get(user=link.user)
    client.post(reverse("portal:revoke_api_token", args=[token.pk]))
    assert get(client, accounts_url(), secret).status_code == 401


def test_granting_and_revoking_a_token_are_in_the_audit_log(link):
    created = tokens.create_token(
        link.user, name="кухня", scope=TokenScope.READINGS, account=link.account, ip="10.0.0.1"
    )
    tokens.revoke_token(link.user, created.token.pk, ip="10.0.0.2")
    entries = AuditEntry.objects.filter(object_id=str(created.token.pk)).order_by("pk")
    assert [(e.action, e.ip, e.actor) for e in entries] == [
        (AuditAction.ADDED, "10.0.0.1", link.user),
        (AuditAction.CHANGED, "10.0.0.2", link.user),
    ]
    assert entries[0].organization == link.account.organization
    assert entries[0].changes == {"name": [None, "кухня"], "scope": [None, "readings"]}


def test_nobody_revokes_anothers_token(client, link):
    token = tokens.create_token(link.user, name="a", scope=TokenScope.READ).token
    client.force_login(UserFactory())
    assert client.post(reverse("portal:revoke_api_token", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_past_expiry_date_is_refused_by_the_form(client, link):
    client.force_login(link.user)
    yesterday = today() - datetime.timedelta(days=1)
    page = client.post(
        reverse("portal:api_tokens"),
        {"name": "a", "scope": "read", "expires_on": yesterday.isoformat()},
    )
    assert "Дата уже прошла." in page.content.decode()
    assert not AccessToken.objects.exists()


# --- the schema and its page ----------------------------------------------------------------


def test_the_schema_is_openapi_3_with_every_operation_described(client):
    schema = client.get(reverse("api:openapi-json")).json()
    assert schema["openapi"].startswith("3.")
    assert {"title", "version"} <= set(schema["info"])
    assert set(schema["paths"]) == {
        "/api/v1/accounts",
        "/api/v1/accounts/{account_id}",
        "/api/v1/accounts/{account_id}/charges",
        "/api/v1/accounts/{account_id}/charges/{month}",
        "/api/v1/accounts/{account_id}/charges/{month}/{service_id}/explanation",
        "/api/v1/accounts/{account_id}/meters",
        "/api/v1/accounts/{account_id}/readings",
        "/api/v1/accounts/{account_id}/receipts",
        "/api/v1/accounts/{account_id}/receipts/{month}",
        "/api/v1/accounts/{account_id}/payments",
        "/api/v1/accounts/{account_id}/online-payments",
        "/api/v1/accounts/{account_id}/appeal-topics",
        "/api/v1/accounts/{account_id}/appeals",
        "/api/v1/accounts/{account_id}/appeals/{appeal_id}",
        "/api/v1/accounts/{account_id}/appeals/{appeal_id}/messages",
        "/api/v1/accounts/{account_id}/appeals/{appeal_id}/close",
        "/api/v1/accounts/{account_id}/appeals/{appeal_id}/attachments",
        "/api/v1/accounts/{account_id}/appeals/{appeal_id}/attachments/{attachment_id}",
        "/api/v1/accounts/{account_id}/news",
        "/api/v1/accounts/{account_id}/news/{news_id}",
        "/api/v1/org/accounts",
        "/api/v1/org/charges",
        "/api/v1/org/payments",
        "/api/v1/org/imports/readings",
        "/api/v1/org/imports/bank-registry",
        "/api/v1/org/jobs/{job_id}",
    }
    components = schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert method in {"get", "post"}, path
            assert operation["summary"], path
            scheme = "StaffKey" if path.startswith("/api/v1/org/") else "BearerToken"
            assert operation["security"] == [{scheme: []}], path
            for status, answer in operation["responses"].items():
                assert status.isdigit(), (path, status)
                assert answer["description"], (path, status)
                files = {"application/pdf", "image/jpeg", "image/png", "image/webp"}
                if set(answer["content"]) <= files:  # a receipt, an appeal's file
                    for media in answer["content"].values():
                        assert media["schema"] == {"type": "string", "format": "binary"}
                    continue
                [(media_type, media)] = answer["content"].items()
                ref = media["schema"].get("$ref") or media["schema"]["items"]["$ref"]
                assert ref.removeprefix("#/components/schemas/") in components, ref
                problem = ref.endswith("/ProblemOut")
                assert media_type == ("application/problem+json" if problem else "application/json")
    for path in ("/appeals", "/appeals/{appeal_id}/messages"):  # JSON, or a form with files
        body = schema["paths"][f"/api/v1/accounts/{{account_id}}{path}"]["post"]["requestBody"]
        assert set(body["content"]) == {"application/json", "multipart/form-data"}
        files = body["content"]["multipart/form-data"]["schema"]["properties"]["files"]
        assert files["items"] == {"type": "string", "format": "binary"}
    for scheme in ("BearerToken", "StaffKey"):
        assert schema["components"]["securitySchemes"][scheme]["scheme"] == "bearer"


def test_the_documentation_page_is_served_from_our_own_static_files(client):
    page = client.get(reverse("api:openapi-view")).content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "http://" not in page  # no CDN
    assert "https://" not in page


def test_the_personal_data_export_lists_the_tokens_without_their_secrets(client, link):
    created = tokens.create_token(link.user, name="кухня", scope=TokenScope.READINGS)
    client.force_login(link.user)
    response = client.get(reverse("portal:export_personal_data"))
    [shown] = response.json()["api_tokens"]
    assert shown["name"] == "кухня"
    assert created.secret not in response.content.decode()
    assert created.token.digest not in response.content.decode()


def test_a_pushed_reading_is_on_the_residents_meters_page(client, link, meter, owner_token):
    post(client, readings_url(link.account), reading(meter, "112,345"), owner_token)
    client.force_login(link.user)
    page = client.get(reverse("portal:account_meters", args=[link.account.pk]))
    assert "112,345" in page.content.decode()


def test_answers_past_their_retention_are_purged_and_the_key_is_new_again(
    client, account, meter, owner_token
):
    key = {"HTTP_IDEMPOTENCY_KEY": "k-old"}
    first = post(client, readings_url(account), reading(meter, "112"), owner_token, **key)
    assert first.status_code == 201
    post(
        client, readings_url(account), reading(meter, "112"), owner_token, HTTP_IDEMPOTENCY_KEY="k"
    )
    old = IdempotentRequest.objects.get(key="k-old")
    IdempotentRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - RETENTION - datetime.timedelta(seconds=1)
    )
    out = io.StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert out.getvalue().strip() == "Удалено ключей идемпотентности: 1."
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["k"]
    again = post(client, readings_url(account), reading(meter, "112"), owner_token, **key)
    assert again.status_code == 201
    assert "Idempotency-Replayed" not in again
