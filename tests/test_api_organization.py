"""Organisations' API keys: issued and revoked by managers in the back office; exports of the
key's organisation only; imports through the back office's validation and jobs."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kabinet.api import staff_keys
from kabinet.api.models import StaffApiKey
from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.jobs.models import JobStatus
from kabinet.metering.models import Reading, ReadingSource
from kabinet.orgs.models import StaffRole
from kabinet.payments.models import Payment
from kabinet.users import tokens
from kabinet.users.models import TokenScope
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    MeterFactory,
    OrganizationFactory,
    PaymentFactory,
    PersonalAccountFactory,
    staff_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
D = Decimal
ROW = "20.11.2026;{number};Иванов И. И.;;102026;{amount};0\n"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def own():
    return OrganizationFactory(name="УК Своя")


@pytest.fixture
def other():
    return OrganizationFactory(name="УК Чужая")


@pytest.fixture
def manager(own):
    return staff_user(own, StaffRole.MANAGER)


@pytest.fixture
def accounts(own, other):
    mine = PersonalAccountFactory(premise__house__organization=own, number="1000154")
    theirs = PersonalAccountFactory(premise__house__organization=other, number="2000001")
    return mine, theirs


def key_of(organization, role=StaffRole.ACCOUNTANT, created_by=None):
    created_by = created_by or staff_user(organization, StaffRole.MANAGER)
    return staff_keys.create_key(organization, name="1С", role=role, created_by=created_by).secret


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def get(client, name, secret, **query):
    return client.get(reverse(f"api:{name}"), query, **bearer(secret))


def upload(client, name, secret, text, capture, encoding="utf-8", **data):
    with capture(execute=True):  # the import task runs once the upload is committed
        return client.post(
            reverse(f"api:{name}"),
            {"file": SimpleUploadedFile("file.csv", text.encode(encoding)), **data},
            **bearer(secret),
        )


# --- who may call -----------------------------------------------------------------------------


def test_only_a_live_key_opens_the_organisations_operations(client, own, accounts, manager):
    live = staff_keys.create_key(own, name="1С", role=StaffRole.ACCOUNTANT, created_by=manager)
    revoked = staff_keys.create_key(own, name="Старый", role=StaffRole.MANAGER, created_by=manager)
    staff_keys.revoke_key(revoked.key, manager)
    expired = staff_keys.create_key(own, name="Истёк", role=StaffRole.MANAGER, created_by=manager)
    StaffApiKey.objects.filter(pk=expired.key.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    resident = tokens.create_token(AccountLinkFactory().user, name="т", scope=TokenScope.FULL)
    staff_token = tokens.create_token(manager, name="т", scope=TokenScope.FULL)
    assert get(client, "org_accounts", live.secret).status_code == 200
    for secret in (revoked.secret, expired.secret, resident.secret, staff_token.secret, "kbs_x_y"):
        response = get(client, "org_accounts", secret)
        assert response.status_code == 401, secret
        assert response["Content-Type"] == "application/problem+json"
    assert client.get(reverse("api:org_accounts")).status_code == 401
    # …and a key opens none of the resident's operations
    assert get(client, "accounts", live.secret).status_code == 401


# --- exports ----------------------------------------------------------------------------------


def test_accounts_are_the_keys_organisations_with_their_balances(client, own, accounts):
    mine, theirs = accounts
    second = PersonalAccountFactory(premise__house__organization=own, number="1000155")
    ChargeFactory(account=mine, charged=D("970.00"))
    PaymentFactory(account=mine, amount=D("200.00"))
    secret = key_of(own)
    body = get(client, "org_accounts", secret).json()
    assert body["count"] == 2
    assert [(a["number"], D(a["balance"])) for a in body["items"]] == [
        ("1000154", D("770.00")),
        ("1000155", D("0")),
    ]
    paged = get(client, "org_accounts", secret, page=2, page_size=1).json()
    assert (paged["count"], paged["pages"], [a["id"] for a in paged["items"]]) == (
        2,
        2,
        [second.pk],
    )
    assert theirs.number not in str(get(client, "org_accounts", key_of(own)).json())


def test_charges_and_payments_are_the_keys_organisations_filtered(client, own, accounts):
    mine, theirs = accounts
    ChargeFactory(account=mine, charged=D("970.00"))
    ChargeFactory(account=theirs, charged=D("555.00"))
    PaymentFactory(account=mine, paid_on=datetime.date(2026, 10, 10), amount=D("100.00"))
    PaymentFactory(account=mine, paid_on=datetime.date(2026, 11, 10), amount=D("200.00"))
    PaymentFactory(account=theirs, paid_on=datetime.date(2026, 11, 10), amount=D("300.00"))
    secret = key_of(own)
    charges = get(client, "org_charges", secret, month="2026-10").json()
    assert [(c["account"], D(c["total"])) for c in charges["items"]] == [("1000154", D("970.00"))]
    assert get(client, "org_charges", secret, month="2026-09").json()["count"] == 0
    assert get(client, "org_charges", secret, month="октябрь").status_code == 422
    payments = get(client, "org_payments", secret, paid_from="2026-11-01").json()
    assert [(p["account"], D(p["amount"])) for p in payments["items"]] == [("1000154", D("200.00"))]
    assert get(client, "org_payments", secret, paid_to="2026-10-31").json()["count"] == 1
    assert get(client, "org_payments", secret, page_size=501).status_code == 422


def test_payments_from_after_to_are_refused_naming_both_dates(client, own, accounts):
    mine, _ = accounts
    PaymentFactory(account=mine, paid_on=datetime.date(2026, 11, 10))
    secret = key_of(own)
    response = get(client, "org_payments", secret, paid_from="2026-11-30", paid_to="2026-11-01")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"] == "Начало периода позже его конца."
    assert [(e["field"], e["label"]) for e in problem["errors"]] == [
        ("paid_from", "с даты"),
        ("paid_to", "по дату"),
    ]
    one_day = get(client, "org_payments", secret, paid_from="2026-11-10", paid_to="2026-11-10")
    assert one_day.json()["count"] == 1


# --- imports ----------------------------------------------------------------------------------


def readings_file(account, meter, value):
    today = timezone.localdate()
    row = f"{account.number};{meter.serial_number};{value};{today:%d.%m.%Y}\n"
    return "ЛС;Заводской номер;Показание;Дата\n" + row


def test_a_readings_file_is_imported_once_and_a_bad_one_not_at_all(
    client, own, accounts, django_capture_on_commit_callbacks
):
    mine, _theirs = accounts
    meter = MeterFactory(account=mine, serial_number="ХВ-1")
    secret = key_of(own, StaffRole.OPERATOR)
    bad = readings_file(mine, meter, "104,5") + f"{mine.number};НЕТ-ТАКОГО;1;01.01.2026\n"
    response = upload(
        client, "org_import_readings", secret, bad, django_capture_on_commit_callbacks
    )
    assert response.status_code == 202, response.content
    job = client.get(reverse("api:org_job", args=[response.json()["id"]]), **bearer(secret)).json()
    assert job["status"] == JobStatus.FAILED
    assert any(problem.startswith("Строка 3") for problem in job["problems"]), job
    assert not Reading.objects.exists()

    good = readings_file(mine, meter, "104,5")
    for _ in range(2):
        response = upload(
            client, "org_import_readings", secret, good, django_capture_on_commit_callbacks
        )
        job_url = reverse("api:org_job", args=[response.json()["id"]])
        assert client.get(job_url, **bearer(secret)).json()["status"] == JobStatus.SUCCEEDED
        reading = Reading.objects.get()
        assert (reading.value, reading.source) == (D("104.5"), ReadingSource.IMPORT)


def test_a_bank_registry_is_credited_once(
    client, own, accounts, django_capture_on_commit_callbacks
):
    secret = key_of(own, StaffRole.ACCOUNTANT)
    text = ROW.format(number="1000154", amount="1500,00")
    first = upload(
        client, "org_import_registry", secret, text, django_capture_on_commit_callbacks, "cp1251"
    )
    assert first.status_code == 202, first.content
    job_url = reverse("api:org_job", args=[first.json()["id"]])
    assert client.get(job_url, **bearer(secret)).json()["status"] == JobStatus.SUCCEEDED
    assert Payment.objects.get().amount == D("1500.00")
    again = upload(
        client, "org_import_registry", secret, text, django_capture_on_commit_callbacks, "cp1251"
    )
    assert again.status_code == 409
    assert again.json()["job"] == first.json()["id"]
    assert Payment.objects.count() == 1


def test_a_bad_registry_row_is_named_and_nothing_is_credited(
    client, own, accounts, django_capture_on_commit_callbacks
):
    secret = key_of(own, StaffRole.MANAGER)
    text = ROW.format(number="1000154", amount="100,00") + ROW.format(number="2000001", amount="1")
    response = upload(
        client, "org_import_registry", secret, text, django_capture_on_commit_callbacks, "cp1251"
    )
    job = client.get(reverse("api:org_job", args=[response.json()["id"]]), **bearer(secret)).json()
    assert job["result"] == {"Ошибок в файле": 1, "Зачтено": "ничего"}
    assert any("Строка 2" in problem for problem in job["problems"]), job
    assert not Payment.objects.exists()  # the other organisation's account is no account here


def test_the_role_limits_what_a_key_imports(client, own, accounts):
    accountant, operator = key_of(own, StaffRole.ACCOUNTANT), key_of(own, StaffRole.OPERATOR)
    file = {"file": SimpleUploadedFile("f.csv", b"x")}
    refused = client.post(reverse("api:org_import_readings"), file, **bearer(accountant))
    assert refused.status_code == 403
    file = {"file": SimpleUploadedFile("f.csv", b"x")}
    refused = client.post(reverse("api:org_import_registry"), file, **bearer(operator))
    assert refused.status_code == 403


def test_another_organisations_job_is_not_found(
    client, own, other, accounts, django_capture_on_commit_callbacks
):
    text = ROW.format(number="2000001", amount="10,00")
    theirs = upload(
        client,
        "org_import_registry",
        key_of(other),
        text,
        django_capture_on_commit_callbacks,
        "cp1251",
    )
    url = reverse("api:org_job", args=[theirs.json()["id"]])
    assert client.get(url, **bearer(key_of(own))).status_code == 404


# --- the back office --------------------------------------------------------------------------


def test_a_manager_issues_a_key_shown_once_and_revokes_it(client, own, manager, accounts):
    client.force_login(manager)
    response = client.post(
        reverse("backoffice:api_keys"),
        {"organization": own.pk, "name": "Банк", "role": StaffRole.ACCOUNTANT},
    )
    assert response.status_code == 200
    key = StaffApiKey.objects.get()
    secret = response.context["created"].secret
    assert secret in response.content.decode()
    assert secret not in client.get(reverse("backoffice:api_keys")).content.decode()
    assert key.digest != secret
    assert (key.organization, key.role, key.created_by) == (own, StaffRole.ACCOUNTANT, manager)
    assert get(client, "org_accounts", secret).status_code == 200

    client.post(reverse("backoffice:revoke_api_key", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert get(client, "org_accounts", secret).status_code == 401
    logged = AuditEntry.objects.filter(actor=manager).exclude(action=AuditAction.STAFF_LOGIN)
    assert sorted(logged.values_list("action", flat=True)) == [
        AuditAction.ADDED,
        AuditAction.CHANGED,
    ]


@pytest.mark.parametrize("role", [StaffRole.ACCOUNTANT, StaffRole.OPERATOR])
def test_only_managers_issue_keys(client, own, role):
    client.force_login(staff_user(own, role))
    assert client.get(reverse("backoffice:api_keys")).status_code == 403
    response = client.post(
        reverse("backoffice:api_keys"),
        {"organization": own.pk, "name": "Банк", "role": StaffRole.MANAGER},
    )
    assert response.status_code == 403
    assert not StaffApiKey.objects.exists()


def test_a_manager_neither_sees_nor_revokes_another_organisations_key(client, own, other):
    theirs = staff_keys.create_key(
        other,
        name="Их",
        role=StaffRole.MANAGER,
        created_by=staff_user(other, StaffRole.MANAGER),
    )
    client.force_login(staff_user(own, StaffRole.MANAGER))
    assert "Их" not in client.get(reverse("backoffice:api_keys")).content.decode()
    response = client.post(reverse("backoffice:revoke_api_key", args=[theirs.key.pk]))
    assert response.status_code == 404
    theirs.key.refresh_from_db()
    assert theirs.key.revoked_at is None
    # nor issues one for it
    client.post(
        reverse("backoffice:api_keys"),
        {"organization": other.pk, "name": "Наш", "role": StaffRole.MANAGER},
    )
    assert StaffApiKey.objects.count() == 1


def test_a_large_file_is_taken_from_a_live_key_only(client, own, accounts, settings):
    settings.MAX_ANONYMOUS_REQUEST_BODY = 1000  # a visitor's limit, far below the file
    big = "ЛС;Заводской номер;Показание;Дата\n" + "1000154;НЕТ;1;01.01.2026\n" * 100
    url = reverse("api:org_import_readings")
    for secret, status in (("kbs_nothing_here", 413), (key_of(own, StaffRole.OPERATOR), 202)):
        file = {"file": SimpleUploadedFile("big.csv", big.encode())}
        assert client.post(url, file, **bearer(secret)).status_code == status
