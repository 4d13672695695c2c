"""Staff read their organisation's appeals, answer in the thread and change the state."""

import pytest
from django.urls import reverse

from kabinet.appeals.models import Appeal, AppealStatus
from kabinet.orgs.models import StaffRole
from tests.factories import AccountLinkFactory, image_upload, make_appeal, pdf_upload, staff_user
from tests.test_account_pages import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def link():
    return AccountLinkFactory(user__email="resident@example.com", user__first_name="Иван",
                              user__middle_name="Петрович")  # fmt: skip


@pytest.fixture
def appeal(link):
    return make_appeal(link.user, link.account, "Протекает крыша.", files=[image_upload()])


@pytest.fixture
def operator(client, link):
    user = staff_user(link.account.organization, StaffRole.OPERATOR, last_name="Петрова",
                      first_name="Анна", middle_name="")  # fmt: skip
    client.force_login(user)
    return user


def answer(client, appeal, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("backoffice:appeal", args=[appeal.pk]),
            {"send_answer": "", "answer-text": "Кровельщики придут в среду.",
             "answer-status": AppealStatus.ANSWERED, **data},
        )  # fmt: skip


def test_staff_list_shows_own_appeals_with_a_way_into_each(client, operator, appeal):
    foreign = AccountLinkFactory()
    make_appeal(foreign.user, foreign.account)
    response = client.get(reverse("admin:appeals_appeal_changelist"))
    assert list(response.context["cl"].queryset) == [appeal]
    assert reverse("backoffice:appeal", args=[appeal.pk]) in response.content.decode()


def test_staff_thread_shows_the_resident_the_account_and_the_files(client, operator, appeal):
    page = text_of(client.get(reverse("backoffice:appeal", args=[appeal.pk])))
    for text in ["Протекает крыша.", "resident@example.com", f"ЛС № {appeal.account.number}",
                 "новое", "photo.png", "Отправить ответ"]:  # fmt: skip
        assert text in page, text


def test_answer_goes_to_the_thread_and_to_the_residents_mail(
    client, operator, appeal, mailoutbox, django_capture_on_commit_callbacks
):
    response = answer(client, appeal, django_capture_on_commit_callbacks,
                      **{"answer-files": [pdf_upload("акт осмотра.pdf")]})  # fmt: skip
    assert response.url == reverse("backoffice:appeal", args=[appeal.pk])
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.ANSWERED
    message = appeal.messages.last()
    assert (message.from_staff, message.author, message.text) == (
        True, operator, "Кровельщики придут в среду."
    )  # fmt: skip
    assert message.attachments.get().name == "акт осмотра.pdf"
    (letter,) = mailoutbox
    assert letter.to == ["resident@example.com"]
    assert f"Ответ на обращение № {appeal.number}" in letter.subject
    assert "Кровельщики придут в среду." in letter.body
    assert "Иван Петрович" in letter.body
    assert f"/ls/{appeal.account_id}/appeals/{appeal.pk}/" in letter.body


def test_each_answer_is_mailed(client, operator, appeal, mailoutbox,
                               django_capture_on_commit_callbacks):  # fmt: skip
    answer(client, appeal, django_capture_on_commit_callbacks)
    answer(client, appeal, django_capture_on_commit_callbacks, **{"answer-text": "Готово."})
    assert len(mailoutbox) == 2


def test_staff_may_answer_and_keep_the_appeal_in_work(
    client, operator, appeal, django_capture_on_commit_callbacks
):
    answer(client, appeal, django_capture_on_commit_callbacks,
           **{"answer-status": AppealStatus.IN_PROGRESS})  # fmt: skip
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.IN_PROGRESS


def test_empty_answer_is_refused(client, operator, appeal, mailoutbox,
                                 django_capture_on_commit_callbacks):  # fmt: skip
    response = answer(client, appeal, django_capture_on_commit_callbacks, **{"answer-text": " "})
    assert response.status_code == 200
    assert "Напишите текст сообщения." in text_of(response)
    assert appeal.messages.count() == 1
    assert mailoutbox == []


def test_staff_change_the_state_without_an_answer(client, operator, appeal):
    url = reverse("backoffice:appeal", args=[appeal.pk])
    client.post(url, {"change_status": "", "status-status": AppealStatus.IN_PROGRESS})
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.IN_PROGRESS
    client.post(url, {"change_status": "", "status-status": AppealStatus.CLOSED})
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.CLOSED
    assert appeal.closed_at is not None
    response = client.post(url, {"change_status": "", "status-status": "lost"})
    assert response.status_code == 200
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.CLOSED


def test_staff_see_the_files(client, operator, appeal):
    attachment = appeal.messages.get().attachments.get()
    response = client.get(reverse("backoffice:appeal_attachment", args=[appeal.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_staff_of_another_organisation_find_nothing(client, appeal):
    client.force_login(staff_user(AccountLinkFactory().account.organization, StaffRole.MANAGER))
    attachment = appeal.messages.get().attachments.get()
    for url in [
        reverse("backoffice:appeal", args=[appeal.pk]),
        reverse("backoffice:appeal_attachment", args=[appeal.pk, attachment.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("backoffice:appeal", args=[appeal.pk]),
                           {"send_answer": "", "answer-text": "чужой ответ"})  # fmt: skip
    assert response.status_code == 404
    assert appeal.messages.count() == 1
    changelist = client.get(reverse("admin:appeals_appeal_changelist"))
    assert list(changelist.context["cl"].queryset) == []


def test_residents_have_no_staff_pages(client, link, appeal):
    client.force_login(link.user)
    assert client.get(reverse("backoffice:appeal", args=[appeal.pk])).status_code == 404
    client.logout()
    response = client.get(reverse("backoffice:appeal", args=[appeal.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_admin_change_page_leads_to_the_thread_and_appeals_are_not_deleted(
    client, operator, appeal
):
    change = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    assert client.get(change).url == reverse("backoffice:appeal", args=[appeal.pk])
    client.post(reverse("admin:appeals_appeal_delete", args=[appeal.pk]), {"post": "yes"})
    assert Appeal.objects.filter(pk=appeal.pk).exists()


def test_staff_keep_the_topic_list(client, operator, link):
    organization = link.account.organization
    response = client.post(
        reverse("admin:appeals_topic_add"),
        {"organization": organization.pk, "name": "Благоустройство двора", "position": 5,
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert organization.appeal_topics.filter(name="Благоустройство двора").exists()
