"""«Скачать мои данные»: everything the portal holds about the user, as JSON (152-ФЗ)."""

import json

import pytest
from django.urls import reverse

from kabinet.appeals import services as appeals
from kabinet.users.models import LinkAttempt
from kabinet.users.services import request_link
from tests.factories import (
    AccountLinkFactory,
    UserFactory,
    image_upload,
    make_appeal,
    pdf_upload,
    staff_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def download(client, user):
    client.force_login(user)
    response = client.get(reverse("portal:export_personal_data"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-')
    return json.loads(response.content)


def test_export_holds_profile_addresses_links_subscriptions_requests_and_appeals(client):
    user = UserFactory(username="ivanov", phone="+7 (912) 345-67-89", news_by_email=True)
    link = AccountLinkFactory(user=user, receipts_by_email=True)
    account = link.account
    LinkAttempt.objects.create(
        user=user, organization=account.organization, account_number="777",
        address="ул. Садовая, 1", succeeded=False, ip_address="10.0.0.7",
    )  # fmt: skip
    request_link(user, premise=account.premise, account_number="", message="Плачу в кассе")
    appeal = make_appeal(user, account, "Где квитанция?", files=[image_upload("kvit.png")])
    appeals.answer_appeal(
        appeal, staff_user(account.organization), "В разделе «Начисления».", [],
    )  # fmt: skip

    data = download(client, user)

    assert data["profile"]["username"] == "ivanov"
    assert data["profile"]["last_name"] == "Сидоров"
    assert data["profile"]["phone"] == "+7 (912) 345-67-89"
    assert data["email_addresses"] == [
        {"email": "ivanov@example.com", "verified": True, "primary": True}
    ]
    assert data["subscriptions"] == {
        "reading_reminders": True,
        "news_by_email": True,
        "receipts_by_email": [account.number],
    }
    assert [a["number"] for a in data["linked_accounts"]] == [account.number]
    assert data["linked_accounts"][0]["address"] == str(account.premise)
    assert data["link_attempts"][0]["ip_address"] == "10.0.0.7"
    assert data["link_requests"][0]["message"] == "Плачу в кассе"
    (exported,) = data["appeals"]
    assert exported["number"] == appeal.number
    assert exported["status"] == "ответ дан"
    assert [(m["from"], m["text"]) for m in exported["messages"]] == [
        ("вы", "Где квитанция?"),
        ("управляющая организация", "В разделе «Начисления»."),
    ]
    assert exported["messages"][0]["attachments"] == ["kvit.png"]


def test_export_holds_nothing_of_other_users(client):
    user = UserFactory()
    other_link = AccountLinkFactory(user__username="stranger")
    make_appeal(other_link.user, other_link.account, files=[pdf_upload()])
    data = download(client, user)
    assert data["linked_accounts"] == []
    assert data["appeals"] == []
    assert "stranger" not in json.dumps(data, ensure_ascii=False)


def test_export_needs_login(client):
    response = client.get(reverse("portal:export_personal_data"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
