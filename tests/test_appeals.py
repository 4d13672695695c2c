"""A resident writes to the УК of a linked account, reads the thread, replies and closes it."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kabinet.appeals import services as appeals
from kabinet.appeals.models import Appeal, AppealStatus, Topic
from kabinet.appeals.selectors import topics_for
from tests.factories import (
    AccountLinkFactory,
    OrganizationFactory,
    PersonalAccountFactory,
    image_upload,
    make_appeal,
    pdf_upload,
    staff_user,
)
from tests.test_account_pages import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


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


def test_every_organisation_starts_with_the_usual_topics():
    organization = OrganizationFactory()
    assert [t.name for t in topics_for(organization)] == [
        "Ремонт", "Начисления", "Показания", "Прочее",
    ]  # fmt: skip


def test_resident_writes_an_appeal_with_files_and_sees_it(client, link):
    response = write(client, link.account, files=[image_upload("свет.jpg", "JPEG"), pdf_upload()])
    appeal = Appeal.objects.get()
    assert response.url == reverse("portal:appeal", args=[link.account.pk, appeal.pk])
    assert (appeal.author, appeal.account, appeal.status) == (
        link.user, link.account, AppealStatus.NEW
    )  # fmt: skip
    assert appeal.organization == link.account.organization
    files = appeal.messages.get().attachments.all()
    assert [(f.name, f.content_type) for f in files] == [
        ("свет.jpg", "image/jpeg"),
        ("scan.pdf", "application/pdf"),
    ]
    assert all(f.file.name.startswith(f"appeals/{appeal.organization_id}/") for f in files)
    page = text_of(client.get(response.url))
    assert f"Обращение № {appeal.number}" in page
    assert "В подъезде не горит свет." in page
    assert "свет.jpg" in page
    assert "новое" in page


def test_appeals_are_numbered_per_organisation(link):
    other = AccountLinkFactory()
    numbers = [make_appeal(link.user, link.account).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert make_appeal(other.user, other.account).number == 1


def test_bad_file_is_named_and_nothing_is_saved(client, link):
    junk = SimpleUploadedFile("scan.pdf", b"%PDF-1.7 nothing else")
    response = write(client, link.account, files=[image_upload(), junk])
    assert response.status_code == 200
    assert "«scan.pdf»: файл повреждён" in text_of(response)
    assert not Appeal.objects.exists()


def test_six_files_are_refused(client, link):
    response = write(client, link.account, files=[image_upload() for _ in range(6)])
    assert "не больше 5" in text_of(response)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_refused(client, link, text):
    response = write(client, link.account, text=text)
    assert "Напишите текст сообщения." in text_of(response)
    assert not Appeal.objects.exists()


def test_topic_of_another_organisation_is_not_offered(client, link):
    foreign = Topic.objects.exclude(organization=link.account.organization).first() or (
        topics_for(OrganizationFactory()).first()
    )
    response = write(client, link.account, topic=foreign.pk)
    assert "topic" in response.context["form"].errors
    assert not Appeal.objects.exists()


def test_inactive_topic_is_not_offered(client, link):
    Topic.objects.filter(name="Ремонт").update(is_active=False)
    response = write(client, link.account)
    assert "topic" in response.context["form"].errors


def test_resident_replies_and_an_answered_appeal_goes_back_to_work(client, link):
    appeal = make_appeal(link.user, link.account)
    appeals.answer_appeal(appeal, staff_user(link.account.organization), "Заявка принята.")
    url = reverse("portal:appeal", args=[link.account.pk, appeal.pk])
    page = text_of(client.get(url))
    assert "Заявка принята." in page
    assert "ответ дан" in page

    response = client.post(url, {"text": "Свет так и не включили."})
    assert response.url == url
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.IN_PROGRESS
    assert appeal.messages.last().text == "Свет так и не включили."
    assert not appeal.messages.last().from_staff


def test_resident_closes_after_confirming_and_cannot_write_to_a_closed_appeal(client, link):
    appeal = make_appeal(link.user, link.account)
    close_url = reverse("portal:close_appeal", args=[link.account.pk, appeal.pk])
    assert "Закрыть обращение" in text_of(client.get(close_url))
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.NEW

    client.post(close_url)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.CLOSED
    assert appeal.closed_at is not None

    url = reverse("portal:appeal", args=[link.account.pk, appeal.pk])
    response = client.post(url, {"text": "Ещё вопрос"})
    assert "Обращение закрыто" in text_of(response)
    assert appeal.messages.count() == 1


def test_lists_show_own_appeals_by_account_and_all_together(client, link):
    second = AccountLinkFactory(user=link.user)
    first_appeal = make_appeal(link.user, link.account)
    second_appeal = make_appeal(link.user, second.account)
    make_appeal(AccountLinkFactory(account=link.account).user, link.account)  # a family member's

    account_list = client.get(reverse("portal:account_appeals", args=[link.account.pk]))
    assert list(account_list.context["appeals"]) == [first_appeal]
    everything = client.get(reverse("portal:appeals"))
    assert set(everything.context["appeals"]) == {first_appeal, second_appeal}


def test_another_residents_appeal_and_files_are_not_found(client, link):
    family = AccountLinkFactory(account=link.account)  # shares the account, not the appeal
    appeal = make_appeal(family.user, link.account, files=[image_upload()])
    attachment = appeal.messages.get().attachments.get()
    for url in [
        reverse("portal:appeal", args=[link.account.pk, appeal.pk]),
        reverse("portal:close_appeal", args=[link.account.pk, appeal.pk]),
        reverse("portal:appeal_attachment", args=[link.account.pk, appeal.pk, attachment.pk]),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"text": "чужое"}).status_code == 404, url
    assert appeal.messages.count() == 1


def test_attachment_of_another_appeal_is_not_served_through_ones_own(client, link):
    own = make_appeal(link.user, link.account)
    stranger = AccountLinkFactory()
    other = make_appeal(stranger.user, stranger.account, files=[pdf_upload()])
    attachment = other.messages.get().attachments.get()
    url = reverse("portal:appeal_attachment", args=[link.account.pk, own.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_own_files_are_served_under_the_type_found_in_them(client, link):
    appeal = make_appeal(link.user, link.account, files=[image_upload("a.pdf"), pdf_upload()])
    picture, document = appeal.messages.get().attachments.all()
    response = client.get(
        reverse("portal:appeal_attachment", args=[link.account.pk, appeal.pk, picture.pk])
    )
    assert response["Content-Type"] == "image/png"
    assert "inline" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    response = client.get(
        reverse("portal:appeal_attachment", args=[link.account.pk, appeal.pk, document.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_appeal_of_an_unlinked_account_is_no_longer_shown(client, link):
    appeal = make_appeal(link.user, link.account)
    link.delete()
    url = reverse("portal:appeal", args=[appeal.account_id, appeal.pk])
    assert client.get(url).status_code == 404
    assert Appeal.objects.filter(pk=appeal.pk).exists()


def test_account_pages_link_to_writing_to_the_organisation(client, link):
    page = client.get(reverse("portal:account", args=[link.account.pk])).content.decode()
    assert reverse("portal:new_appeal", args=[link.account.pk]) in page
    assert reverse("portal:account_appeals", args=[link.account.pk]) in page
    assert reverse("portal:appeals") in page  # the header's «Разделы»


def test_appeal_for_an_account_not_linked_is_refused(client, link):
    stranger = PersonalAccountFactory()
    response = write(client, stranger)
    assert response.status_code == 404
    assert not Appeal.objects.exists()


def test_a_long_text_is_counted_not_cut_and_refused_in_words(client, link):
    page = client.get(reverse("portal:new_appeal", args=[link.account.pk])).content.decode()
    area = re.search(r"<textarea[^>]*>", page)[0]
    assert 'data-counter="5000"' in area
    assert "maxlength" not in area  # the browser would cut a pasted text silently
    assert "/static/portal/counter.js" in page
    assert finders.find("portal/counter.js")

    response = write(client, link.account, text="а" * 5001)
    assert "Сообщение длиннее 5000 символов (в нём 5001)" in text_of(response)
    assert not Appeal.objects.exists()
