"""Per-user quotas: appeals and replies, link requests and attempts, megabytes of files a day.
Past a quota the person gets a plain Russian message (HTTP 429) and nothing is stored."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kabinet import quotas
from kabinet.appeals.models import Appeal, Attachment, Message, Topic
from kabinet.users import services as users
from kabinet.users.models import LinkAttempt, LinkRequest
from tests.factories import (
    AccountLinkFactory,
    PaymentFactory,
    UserFactory,
    image_upload,
    make_appeal,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def small_quotas(settings):
    settings.QUOTAS = {
        **settings.QUOTAS,
        "appeals": "2/h",
        "appeal_messages": "2/h",
        "link_requests": "2/d",
        "link_attempts": "2/h",
        "upload_bytes": "1M/d",
    }


@pytest.fixture
def link(client):
    link = AccountLinkFactory()
    client.force_login(link.user)
    return link


def write(client, account, **data):
    topic = Topic.objects.get(organization=account.organization, name="Ремонт")
    return client.post(
        reverse("portal:new_appeal", args=[account.pk]),
        {"topic": topic.pk, "text": "В подъезде не горит свет.", **data},
    )


def big_picture(name="big.png", size=600 * 1024):
    """A PNG the attachment check accepts, padded to ``size`` bytes (after its end chunk)."""
    data = image_upload(name).read()
    return SimpleUploadedFile(name, data + b"\0" * (size - len(data)), content_type="image/png")


def test_quotas_are_read_from_settings_with_their_messages(settings):
    settings.QUOTAS = {**settings.QUOTAS, "appeals": "10/h", "upload_bytes": "200M/d"}
    assert quotas.quota("appeals").limit == 10
    assert quotas.quota("appeals").seconds == 3600
    assert quotas.quota("appeals").message.startswith("Слишком много обращений: не больше 10 в час")
    assert quotas.quota("upload_bytes").limit == 200 * 2**20
    settings.QUOTAS = {**settings.QUOTAS, "appeals": "5/15m"}
    assert "не больше 5 за 15 мин" in quotas.quota("appeals").message


def test_a_refused_request_counts_nothing(small_quotas):
    user = UserFactory()
    quotas.consume(user, appeals=1)
    with pytest.raises(quotas.QuotaExceeded):
        quotas.consume(user, appeals=1, upload_bytes=2 * 2**20)  # the files are too many
    quotas.consume(user, appeals=1)  # the refused appeal was not counted
    with pytest.raises(quotas.QuotaExceeded, match="обращений"):
        quotas.consume(user, appeals=1)


def test_quotas_are_per_user(small_quotas):
    first, second = UserFactory(), UserFactory()
    quotas.consume(first, appeals=2)
    quotas.consume(second, appeals=2)
    with pytest.raises(quotas.QuotaExceeded):
        quotas.consume(first, appeals=1)


def test_appeals_past_the_quota_are_refused_with_429(client, link, small_quotas):
    for _ in range(2):
        assert write(client, link.account).status_code == 302
    response = write(client, link.account)
    assert response.status_code == 429
    assert "Слишком много обращений: не больше 2 в час" in response.content.decode()
    assert Appeal.objects.count() == 2


def test_replies_past_the_quota_are_refused_with_429(client, link, small_quotas):
    appeal = make_appeal(link.user, link.account)
    url = reverse("portal:appeal", args=[link.account.pk, appeal.pk])
    for _ in range(2):
        assert client.post(url, {"text": "Ещё раз."}).status_code == 302
    response = client.post(url, {"text": "Ещё раз."})
    assert response.status_code == 429
    assert "Слишком много сообщений" in response.content.decode()
    assert Message.objects.count() == 3


def test_megabytes_of_files_a_day_are_limited(client, link, small_quotas):
    assert write(client, link.account, files=[big_picture()]).status_code == 302
    response = write(client, link.account, files=[big_picture()])  # 1.2 MB in all today
    assert response.status_code == 429
    assert "не больше 1 МБ в сутки" in response.content.decode()
    assert (Appeal.objects.count(), Attachment.objects.count()) == (1, 1)
    assert write(client, link.account).status_code == 302  # without files it goes


def link_request_data(account):
    return {
        "organization": account.organization.pk,
        "house": account.premise.house.pk,
        "premise": account.premise.pk,
        "account_number": "",
        "message": "Плачу наличными в кассе, квитанций нет.",
    }


def test_link_requests_past_the_quota_are_refused_with_429(client, small_quotas):
    account = AccountLinkFactory().account
    client.force_login(UserFactory())
    for _ in range(2):
        response = client.post(reverse("portal:request_link"), link_request_data(account))
        assert response.status_code == 302
    response = client.post(reverse("portal:request_link"), link_request_data(account))
    assert response.status_code == 429
    assert "Слишком много запросов на присоединение" in response.content.decode()
    assert LinkRequest.objects.count() == 2


def test_link_attempts_past_the_quota_are_refused_even_when_right(small_quotas):
    account = AccountLinkFactory().account
    PaymentFactory(account=account, paid_on=datetime.date(2026, 10, 10), amount=Decimal("5"))
    user = UserFactory()

    def attempt():
        return users.link_account(
            user,
            premise=account.premise,
            account_number=account.number,
            paid_on=datetime.date(2026, 10, 10),
            amount=Decimal("5"),
        )

    attempt()
    attempt()
    with pytest.raises(quotas.QuotaExceeded, match="попыток присоединить"):
        attempt()
    assert LinkAttempt.objects.count() == 2


def test_the_link_form_answers_429_past_the_quota(client, small_quotas, monkeypatch):
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)
    account = AccountLinkFactory().account
    client.force_login(UserFactory())
    data = {
        "organization": account.organization.pk,
        "house": account.premise.house.pk,
        "premise": account.premise.pk,
        "account_number": account.number,
        "paid_on": "2026-10-10",
        "amount": "1,00",
        "captcha_0": "any",
        "captcha_1": "PASSED",
    }
    for _ in range(2):
        assert client.post(reverse("portal:link_account"), data).status_code == 200
    response = client.post(reverse("portal:link_account"), data)
    assert response.status_code == 429
    assert "Слишком много попыток присоединить" in response.content.decode()
