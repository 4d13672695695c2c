"""Deleting the profile: personal data go, the history the УК must keep stays with the accounts."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from kabinet.appeals import services as appeals
from kabinet.appeals.models import Appeal, Message
from kabinet.housing.models import PersonalAccount
from kabinet.metering.models import Reading
from kabinet.orgs.models import StaffRole
from kabinet.payments.models import Payment
from kabinet.users.models import AccountLink, LinkAttempt, LinkRequest, User
from kabinet.users.services import request_link
from tests.factories import (
    PASSWORD,
    AccountLinkFactory,
    PaymentFactory,
    ReadingFactory,
    UserFactory,
    image_upload,
    make_appeal,
    staff_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def resident(client):
    user = UserFactory(
        username="muravyev", email="muravyev@example.com", phone="+7 (912) 345-67-89"
    )
    client.force_login(user)
    return user


def delete(client, password=PASSWORD):
    return client.post(reverse("portal:delete_profile"), {"password": password})


def test_wrong_password_deletes_nothing(client, resident):
    response = delete(client, "not-my-password")
    assert response.status_code == 200
    assert "Неверный пароль." in response.content.decode()
    assert User.objects.filter(pk=resident.pk).exists()


def test_deletion_keeps_the_history_and_erases_the_person(
    client, resident, mailoutbox, django_capture_on_commit_callbacks
):
    link = AccountLinkFactory(user=resident, receipts_by_email=True)
    account = link.account
    payment = PaymentFactory(account=account, payer_name="Муравьев С. И.")
    reading = ReadingFactory(meter__account=account, submitted_by=resident)
    appeal = make_appeal(resident, account, "Течёт кран в ванной.", files=[image_upload()])
    appeals.answer_appeal(appeal, staff_user(account.organization), "Сантехник придёт завтра.")
    LinkAttempt.objects.create(
        user=resident, organization=account.organization, account_number="1",
        address="ул. Садовая, 1", succeeded=False, ip_address="10.0.0.1",
    )  # fmt: skip
    request_link(resident, premise=account.premise, account_number="", message="Моя квартира")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = delete(client)

    assert response.url == reverse("account_login")
    assert "_auth_user_id" not in client.session
    # Gone: the person and everything that tells about them.
    assert not User.objects.filter(pk=resident.pk).exists()
    assert not User.objects.filter(email="muravyev@example.com").exists()
    assert not EmailAddress.objects.filter(email="muravyev@example.com").exists()
    assert not AccountLink.objects.exists()
    assert not LinkAttempt.objects.exists()
    assert not LinkRequest.objects.exists()
    # Kept: the account's history, no longer pointing at the person.
    assert PersonalAccount.objects.filter(pk=account.pk).exists()
    assert Payment.objects.get() == payment
    assert Reading.objects.get(pk=reading.pk).submitted_by is None
    kept = Appeal.objects.get(pk=appeal.pk)
    assert kept.author is None
    assert kept.account == account
    assert [m.text for m in Message.objects.filter(appeal=kept)] == [
        "Течёт кран в ванной.",
        "Сантехник придёт завтра.",
    ]
    assert kept.messages.first().attachments.count() == 1
    # The confirmation goes to the address the person had.
    (letter,) = mailoutbox
    assert letter.to == ["muravyev@example.com"]
    assert "профиль «muravyev»" in letter.body
    assert "удалён" in letter.subject


def test_signed_out_after_deletion_cannot_sign_in_again(client, resident, mailoutbox):
    delete(client)
    response = client.post(reverse("account_login"), {"login": "muravyev", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_staff_profile_is_not_deleted_by_its_owner(client):
    staff = staff_user(AccountLinkFactory().account.organization, StaffRole.OPERATOR)
    client.force_login(staff)
    page = client.get(reverse("portal:delete_profile")).content.decode()
    assert "удаляет администратор портала" in page
    assert "password" not in page
    delete(client)
    assert User.objects.filter(pk=staff.pk).exists()


def test_password_guessing_is_limited(client, resident):
    for _ in range(5):
        delete(client, "guess")
    response = delete(client)  # even the right password waits now
    assert "Слишком много попыток" in response.content.decode()
    assert User.objects.filter(pk=resident.pk).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("portal:delete_profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_deleted_authors_appeal_is_still_answered_without_a_letter(
    client, resident, mailoutbox, django_capture_on_commit_callbacks
):
    link = AccountLinkFactory(user=resident)
    appeal = make_appeal(resident, link.account)
    delete(client)
    mailoutbox.clear()
    appeal.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        appeals.answer_appeal(appeal, staff_user(link.account.organization), "Ответ.")
    assert appeal.messages.count() == 2
    assert mailoutbox == []
