"""«Обратиться»: a resident asks the УК to link an account; staff approve or reject it."""

import pytest
from django.core import mail
from django.urls import reverse

from kabinet.orgs.models import StaffRole
from kabinet.users.models import AccountLink, LinkRequest, LinkRequestStatus
from tests.factories import PersonalAccountFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return PersonalAccountFactory()


@pytest.fixture
def resident():
    return UserFactory(email="resident@example.com")


def send_request(client, resident, account, **changes):
    client.force_login(resident)
    data = {
        "organization": account.organization.pk,
        "house": account.premise.house.pk,
        "premise": account.premise.pk,
        "account_number": "",
        "message": "Плачу наличными в кассе, квитанций нет.",
        **changes,
    }
    return client.post(reverse("portal:request_link"), data)


@pytest.fixture
def decide(client, django_capture_on_commit_callbacks):
    """Staff choose an action for a request in the back office's list (mail goes on commit)."""

    def decide(staff, link_request, action):
        client.force_login(staff)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("admin:users_linkrequest_changelist"),
                {"action": action, "_selected_action": [link_request.pk]},
            )

    return decide


def test_resident_sends_a_request_to_the_organisation(client, resident, account):
    response = send_request(client, resident, account)
    assert response.status_code == 302
    link_request = LinkRequest.objects.get()
    assert link_request.organization == account.organization
    assert link_request.premise == account.premise
    assert link_request.status == LinkRequestStatus.NEW


def test_request_needs_a_message(client, resident, account):
    response = send_request(client, resident, account, message="  ")
    assert "message" in response.context["form"].errors
    assert not LinkRequest.objects.exists()


def test_staff_approve_links_the_account_and_mails_the_resident(client, resident, account, decide):
    send_request(client, resident, account)
    link_request = LinkRequest.objects.get()
    link_request.account = account
    link_request.save()
    mail.outbox.clear()
    decide(staff_user(account.organization), link_request, "approve")
    link_request.refresh_from_db()
    assert link_request.status == LinkRequestStatus.APPROVED
    assert AccountLink.objects.filter(user=resident, account=account).exists()
    assert mail.outbox[0].to == ["resident@example.com"]
    assert account.number in mail.outbox[0].body


def test_approve_without_an_account_chosen_is_refused(client, resident, account, decide):
    send_request(client, resident, account)
    link_request = LinkRequest.objects.get()
    decide(staff_user(account.organization), link_request, "approve")
    link_request.refresh_from_db()
    assert link_request.status == LinkRequestStatus.NEW
    assert not AccountLink.objects.exists()


def test_staff_reject_with_a_reason_mails_the_resident(client, resident, account, decide):
    send_request(client, resident, account)
    link_request = LinkRequest.objects.get()
    link_request.staff_reply = "Вы не зарегистрированы в этой квартире."
    link_request.save()
    mail.outbox.clear()
    decide(staff_user(account.organization), link_request, "reject")
    link_request.refresh_from_db()
    assert link_request.status == LinkRequestStatus.REJECTED
    assert "не зарегистрированы" in mail.outbox[0].body
    assert not AccountLink.objects.exists()


def test_staff_of_another_organisation_cannot_decide(client, resident, account, decide):
    send_request(client, resident, account)
    link_request = LinkRequest.objects.get()
    link_request.account = account
    link_request.save()
    stranger = staff_user(PersonalAccountFactory().organization, StaffRole.MANAGER)
    decide(stranger, link_request, "approve")
    link_request.refresh_from_db()
    assert link_request.status == LinkRequestStatus.NEW
    assert (
        client.get(reverse("admin:users_linkrequest_change", args=[link_request.pk])).status_code
        == 302
    )
