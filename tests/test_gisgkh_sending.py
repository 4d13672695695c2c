"""«Подготовить и отправить» on the «ГИС ЖКХ» page: what would be sent (counts, what cannot go
named), the settings' state in Russian, a confirmed posting's job started and followed through
the fake service, resend only when asked, the duty of each operation, the staff's own
organisation only, and the audit entry."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.gisgkh import exchange, sending
from kabinet.gisgkh.document_feed import payment_document_data
from kabinet.gisgkh.exchange import PostingError
from kabinet.gisgkh.models import (
    Exchange,
    ExchangeState,
    GisAccount,
    GisMeter,
    GisOrganization,
    Posting,
    ResourceNsiItem,
    ServiceNsiItem,
)
from kabinet.jobs.models import Job, JobStatus
from kabinet.metering.models import Resource
from kabinet.orgs.models import StaffRole
from tests.factories import (
    ChargeFactory,
    MeterFactory,
    PersonalAccountFactory,
    ReadingFactory,
    UserFactory,
    staff_user,
)
from tests.gisgkh_fake import FakeGis

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"
METER = "0f6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
ACCOUNT = "2a6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
MONTH = datetime.date(2026, 10, 1)
READINGS = "importMeteringDeviceValues"
DOCUMENTS = "importPaymentDocumentData"


@pytest.fixture
def configured(settings):
    settings.GISGKH_URL = "http://127.0.0.1:9/"
    settings.GISGKH_SIGNER = "none"
    return settings


@pytest.fixture
def organization():
    account = PersonalAccountFactory(number="154")
    organization = account.organization
    GisOrganization.objects.create(organization=organization, org_ppa_guid=ORG)
    ResourceNsiItem.objects.create(
        organization=organization, resource=Resource.COLD_WATER, registry=2, code="1",
        guid="e2b2c1a0-0000-4000-8000-000000000001",
    )  # fmt: skip
    meter = MeterFactory(account=account, serial_number="XB-1")
    GisMeter.objects.create(meter=meter, root_guid=METER)
    ReadingFactory(meter=meter, value=Decimal("123.450"))
    unknown = MeterFactory(account=account, serial_number="XB-2")
    ReadingFactory(meter=unknown, value=Decimal("5.000"))
    return organization


def without_unknown_meter(organization):
    GisMeter.objects.create(
        meter=organization.accounts.get().meters.get(serial_number="XB-2"),
        root_guid="1f6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b",
    )


# --- the service --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_counts_and_names_what_has_no_identifier(organization):
    checked = sending.preview(organization, READINGS, MONTH)
    assert not checked.can_send
    assert any("XB-2" in error for error in checked.errors), checked.errors
    without_unknown_meter(organization)
    checked = sending.preview(organization, READINGS, MONTH)
    assert checked.errors == []
    assert (checked.items, checked.messages) == (2, 1)
    assert checked.can_send


@pytest.mark.django_db
def test_the_preview_names_a_missing_org_guid_and_a_missing_month(organization):
    without_unknown_meter(organization)
    GisOrganization.objects.all().delete()
    assert any("orgPPAGUID" in e for e in sending.preview(organization, READINGS, MONTH).errors)
    assert sending.preview(organization, READINGS, None).errors == ["Укажите расчётный период."]


@pytest.mark.django_db
def test_payment_documents_come_from_the_closed_periods_receipts(organization):
    account = organization.accounts.get()
    charge = ChargeFactory(account=account, period__month=MONTH)
    checked = sending.preview(organization, DOCUMENTS, MONTH)
    assert "ЛС 154: нет идентификатора ЛС в ГИС ЖКХ — загрузите его" in checked.errors
    assert f"ЛС 154: услуга «{charge.service.name}» не сопоставлена НСИ" in checked.errors
    GisAccount.objects.create(account=account, account_guid=ACCOUNT)
    ServiceNsiItem.objects.create(service=charge.service, registry=50, code="1",
                                  guid="e2b2c1a0-0000-4000-8000-000000000050")  # fmt: skip
    checked = sending.preview(organization, DOCUMENTS, MONTH)
    assert (checked.errors, checked.items, checked.messages) == ([], 1, 1)
    _, [document] = payment_document_data(organization, MONTH)
    assert document.account_guid == ACCOUNT
    assert document.number == "154-10.2026"  # the issued document's number
    assert [line.charged for line in document.lines] == [Decimal("970.00")]
    assert document.total == Decimal("970.00") + document.debt


@pytest.mark.django_db
def test_payment_documents_of_an_open_month_are_refused(organization):
    errors = sending.preview(organization, DOCUMENTS, datetime.date(2026, 11, 1)).errors
    assert errors[-1] == "Период 11.2026 не закрыт: платёжные документы отправляют за закрытый."


def test_the_settings_are_told_in_russian(settings):
    settings.GISGKH_URL, settings.GISGKH_SIGNER = "", "none"
    state = sending.exchange_settings()
    assert not state.ready
    assert state.problems == ["Не указан адрес ГИС ЖКХ (GISGKH_URL): отправлять некуда."]
    settings.GISGKH_URL, settings.GISGKH_SIGNER = "https://api.dom.gosuslugi.ru/", "openssl-gost"
    settings.GISGKH_KEY_FILE, settings.GISGKH_CERT_FILE = "/etc/kabinet/key.pem", ""
    state = sending.exchange_settings()
    assert state.problems == ["Для подписи не указаны файлы: GISGKH_CERT_FILE."]
    settings.GISGKH_CERT_FILE = "/etc/kabinet/cert.pem"
    assert sending.exchange_settings().ready
    settings.GISGKH_SIGNER = "cryptopro"
    assert "GISGKH_SIGNER=«cryptopro»" in sending.exchange_settings().problems[0]


@pytest.mark.django_db
def test_nothing_starts_without_the_settings(settings, organization):
    without_unknown_meter(organization)
    settings.GISGKH_URL = ""
    with pytest.raises(PostingError, match="GISGKH_URL"):
        sending.start_posting(organization, READINGS, MONTH)
    assert not Posting.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_confirmed_posting_goes_through_the_fake_service_once_unless_resent(
    settings, organization, monkeypatch
):
    without_unknown_meter(organization)
    monkeypatch.setattr(exchange.time, "sleep", lambda seconds: None)
    user = staff_user(organization, StaffRole.OPERATOR)
    with FakeGis() as fake:
        settings.GISGKH_URL = fake.url
        job = sending.start_posting(organization, READINGS, MONTH, user=user, ip="10.0.0.1")
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.problems
        assert Exchange.objects.get().state == ExchangeState.DONE
        with pytest.raises(PostingError, match="Отправить повторно"):
            sending.start_posting(organization, READINGS, MONTH, user=user)
        sending.start_posting(organization, READINGS, MONTH, resend=True, user=user)
        assert len(fake.received) == 2
    entries = AuditEntry.objects.filter(action=AuditAction.GIS_POSTING).order_by("pk")
    assert [e.changes["resend"][1] for e in entries] == [False, True]
    assert entries[0].actor == user
    assert entries[0].ip == "10.0.0.1"
    assert entries[0].changes["operation"] == [None, READINGS]
    assert entries[0].changes["period"] == [None, "10.2026"]


# --- the page -----------------------------------------------------------------------------


def send(client, organization, operation=READINGS, **data):
    return client.post(
        reverse("backoffice:gisgkh_send"),
        {"organization": organization.pk, "operation": operation, "month": "2026-10", **data},
    )


@pytest.mark.django_db
def test_the_page_shows_the_settings_and_disables_the_button_with_the_reason(
    client, settings, organization
):
    settings.GISGKH_URL = ""
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    page = client.get(reverse("backoffice:gisgkh")).content.decode()
    assert "Адрес ГИС ЖКХ (GISGKH_URL): не указан." in page
    assert 'value="Подготовить" disabled' in page
    assert "Кнопка недоступна: Не указан адрес ГИС ЖКХ (GISGKH_URL)" in page
    settings.GISGKH_URL = "http://127.0.0.1:9/"
    page = client.get(reverse("backoffice:gisgkh")).content.decode()
    assert 'value="Подготовить">' in page
    assert "Подпись (GISGKH_SIGNER): none" in page


@pytest.mark.django_db
def test_the_preview_then_the_confirmation_starts_the_job(client, configured, organization):
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    page = send(client, organization).content.decode()
    assert "Отправить нельзя" in page
    assert "XB-2" in page
    assert 'name="confirm"' not in page
    assert send(client, organization, confirm="1").status_code == 200  # still refused
    assert not Posting.objects.exists()
    without_unknown_meter(organization)
    page = send(client, organization).content.decode()
    assert "Будет отправлено показаний: <strong>2</strong>, сообщений:" in page
    assert 'name="confirm"' in page
    assert not Posting.objects.exists()  # a preview sends nothing
    response = send(client, organization, confirm="1")
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:job", args=[job.pk])
    assert job.subject == Posting.objects.get()
    page = client.get(reverse("backoffice:gisgkh")).content.decode()
    assert reverse("backoffice:job", args=[job.pk]) in page
    assert 'class="job-progress"' in page


@pytest.mark.django_db
def test_a_period_sent_before_needs_the_resend_checkbox(client, configured, organization):
    without_unknown_meter(organization)
    client.force_login(staff_user(organization, StaffRole.MANAGER))
    send(client, organization, confirm="1")
    page = send(client, organization).content.decode()
    assert "уже отправлены" in page
    assert 'name="confirm"' not in page
    send(client, organization, confirm="1")
    assert Posting.objects.count() == 1
    assert 'name="confirm"' in send(client, organization, resend="on").content.decode()
    send(client, organization, confirm="1", resend="on")
    assert list(Posting.objects.values_list("resend", flat=True)) == [True, False]


@pytest.mark.django_db
def test_each_operation_follows_its_duty(client, configured, organization):
    without_unknown_meter(organization)
    client.force_login(staff_user(organization, StaffRole.ACCOUNTANT))
    assert send(client, organization, confirm="1").status_code == 403  # readings: metering
    assert send(client, organization, DOCUMENTS).status_code == 200  # documents: billing
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    assert send(client, organization, DOCUMENTS).status_code == 403
    assert not Posting.objects.exists()


@pytest.mark.django_db
def test_another_organisation_cannot_be_chosen(client, configured, organization, other):
    without_unknown_meter(organization)
    client.force_login(staff_user(other, StaffRole.MANAGER))
    response = send(client, organization, confirm="1")
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()
    assert not Posting.objects.exists()
    page = client.get(reverse("backoffice:gisgkh")).content.decode()
    assert str(organization) not in page


@pytest.mark.django_db
def test_someone_not_staff_is_refused(client, configured, organization):
    client.force_login(UserFactory())
    assert send(client, organization, confirm="1").status_code == 404
    assert not Posting.objects.exists()
