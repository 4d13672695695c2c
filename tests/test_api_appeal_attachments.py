"""Appeals' files through the API: a new appeal or a reply sent as a multipart form with files,
checked as the site's form checks them (how many, how large, what they are by content); the
files of an appeal listed and downloaded; only the token's user's own appeals, only with a
token that may write for sending."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.urls import reverse

from kabinet import quotas
from kabinet.appeals.attachments import MAX_ATTACHMENT_SIZE
from kabinet.appeals.models import Appeal, Attachment, Message
from kabinet.appeals.selectors import topics_for
from kabinet.users.models import TokenScope
from tests.factories import AccountLinkFactory, image_upload, make_appeal, pdf_upload
from tests.test_api import bearer, callers, get, token_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # rate limits count per token id, which the next test's database reuses


@pytest.fixture
def link():
    return AccountLinkFactory(account__number="100200")


@pytest.fixture
def owner_token(link):
    return token_of(link.user)


@pytest.fixture
def appeal(link):
    return make_appeal(link.user, link.account, files=[pdf_upload("акт.pdf")])


def new_appeal_url(account):
    return reverse("api:new_appeal", args=[account.pk])


def reply_url(appeal):
    return reverse("api:appeal_reply", args=[appeal.account_id, appeal.pk])


def list_url(appeal):
    return reverse("api:appeal_attachments", args=[appeal.account_id, appeal.pk])


def file_url(appeal, attachment):
    return reverse("api:appeal_attachment", args=[appeal.account_id, appeal.pk, attachment.pk])


def send_form(client, url, secret, data, **headers):
    """A multipart form, as ``curl -F`` sends it."""
    return client.post(url, data, **(bearer(secret) if secret else {}), **headers)


def appeal_form(account, *files, text="Течёт кран, фото приложены"):
    topic = topics_for(account.organization).first()
    return {"topic_id": topic.pk, "text": text, "files": list(files)}


# --- every caller -------------------------------------------------------------------------


SUCCESS = {"list": 200, "file": 200, "new_appeal": 201, "reply": 201}
COMMON = {
    "other_resident": 404,
    "staff": 404,
    "no_token": 401,
    "revoked": 401,
    "expired": 401,
    "other_account_token": 404,
}


def expected(operation, caller):
    if caller in COMMON:
        return COMMON[caller]
    if caller == "owner" or (caller == "read_only" and operation in ("list", "file")):
        return SUCCESS[operation]
    return 403  # reading appeals needs «только чтение» or more; sending files needs writing


def test_every_operation_answers_each_caller_as_the_rules_say(client, link, appeal):
    attachment = Attachment.objects.get()
    for caller, secret in callers(link).items():
        answers = {
            "list": get(client, list_url(appeal), secret),
            "file": get(client, file_url(appeal, attachment), secret),
            "new_appeal": send_form(
                client,
                new_appeal_url(link.account),
                secret,
                appeal_form(link.account, image_upload()),
            ),
            "reply": send_form(
                client, reply_url(appeal), secret, {"text": "Ещё фото", "files": [image_upload()]}
            ),
        }
        for operation, response in answers.items():
            want = expected(operation, caller)
            body = b"(a file)" if response.streaming else response.content[:300]
            said = f"{operation} × {caller}: {body}"
            assert response.status_code == want, said
            if want >= 400:
                assert response["Content-Type"] == "application/problem+json", said
    sent_by_the_owner = 2  # one new appeal, one reply: no one else's files were stored
    assert Attachment.objects.count() == 1 + sent_by_the_owner


# --- sending files ------------------------------------------------------------------------


def test_a_resident_writes_with_files_and_downloads_them(client, link, owner_token):
    photo = image_upload("кран.jpg", "JPEG")
    response = send_form(
        client,
        new_appeal_url(link.account),
        owner_token,
        appeal_form(link.account, photo, pdf_upload("акт.pdf")),
    )
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get()
    [message] = response.json()["messages"]
    assert message["text"] == "Течёт кран, фото приложены"
    assert [(a["name"], a["content_type"]) for a in message["attachments"]] == [
        ("кран.jpg", "image/jpeg"),
        ("акт.pdf", "application/pdf"),
    ]
    listed = get(client, list_url(appeal), owner_token).json()
    assert listed == message["attachments"]
    picture = get(client, listed[0]["url"], owner_token)
    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/jpeg"
    assert b"".join(picture.streaming_content) == (photo.seek(0) or photo.read())
    assert "no-store" in picture["Cache-Control"]
    assert "sandbox" in picture["Content-Security-Policy"]
    document = get(client, listed[1]["url"], owner_token)
    assert document["Content-Type"] == "application/pdf"
    assert document["Content-Disposition"].startswith("attachment")


def test_a_reply_carries_its_files_and_a_json_reply_still_works(client, link, appeal, owner_token):
    with_file = send_form(
        client, reply_url(appeal), owner_token, {"text": "Вот ещё", "files": [image_upload()]}
    )
    assert with_file.status_code == 201, with_file.content
    assert [len(m["attachments"]) for m in with_file.json()["messages"]] == [1, 1]
    plain = client.post(
        reply_url(appeal), {"text": "Без файлов"}, content_type="application/json",
        **bearer(owner_token),
    )  # fmt: skip
    assert plain.status_code == 201
    assert [m["text"] for m in plain.json()["messages"]][-1] == "Без файлов"
    assert len(get(client, list_url(appeal), owner_token).json()) == 2


def junk(name="photo.png"):
    return SimpleUploadedFile(name, b"MZ\x90\x00 an executable", content_type="image/png")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([junk("вирус.png")], "«вирус.png»: можно приложить только изображение"),
        ([image_upload() for _ in range(6)], "Можно приложить не больше 5 файлов."),
        (
            [SimpleUploadedFile("скан.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_SIZE)],
            "«скан.pdf»: файл больше 10 МБ.",
        ),
        ([SimpleUploadedFile("пусто.png", b"")], "Отправленный файл пуст."),  # as on the page
    ],
)
def test_a_bad_file_is_named_in_russian_and_nothing_is_written(
    client, link, owner_token, files, message
):
    response = send_form(
        client, new_appeal_url(link.account), owner_token, appeal_form(link.account, *files)
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith(message)
    assert (problem["errors"][0]["field"], problem["errors"][0]["label"]) == ("files", "файлы")
    assert not Appeal.objects.exists()
    assert not Attachment.objects.exists()


def test_every_bad_file_of_a_reply_is_named(client, link, appeal, owner_token):
    files = [junk("a.png"), image_upload(), SimpleUploadedFile("b.pdf", b"%PDF-x")]
    response = send_form(client, reply_url(appeal), owner_token, {"text": "Ещё", "files": files})
    assert response.status_code == 422
    messages = [e["message"] for e in response.json()["errors"]]
    assert len(messages) == 2
    assert "«a.png»" in messages[0]
    assert "«b.pdf»" in messages[1]
    assert Message.objects.count() == 1


def test_the_forms_fields_are_checked_as_in_json(client, link, owner_token):
    response = send_form(
        client, new_appeal_url(link.account), owner_token, {"files": [image_upload()]}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["topic_id", "text"]
    assert not Appeal.objects.exists()


def test_a_body_neither_json_nor_a_form_is_refused(client, link, owner_token):
    response = client.post(
        new_appeal_url(link.account), "topic=1&text=x", content_type="text/plain",
        **bearer(owner_token),
    )  # fmt: skip
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "multipart/form-data" in response.json()["detail"]


def test_a_retried_upload_with_the_same_key_writes_one_appeal(client, link, owner_token):
    def send(boundary, *files):
        """The form as a client encodes it, with its own boundary between the parts."""
        return client.post(
            new_appeal_url(link.account),
            encode_multipart(boundary, appeal_form(link.account, *files)),
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_IDEMPOTENCY_KEY="photo-1",
            **bearer(owner_token),
        )

    first = send("first-try", image_upload())
    again = send("second-try", image_upload())  # the same form: other bytes, the same content
    assert first.status_code == again.status_code == 201
    assert again["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert (Appeal.objects.count(), Attachment.objects.count()) == (1, 1)
    other_file = send("third-try", image_upload(size=(10, 10)))
    assert other_file.status_code == 422
    assert other_file.json()["type"] == "urn:kabinet:problem:idempotency-key-reused"


def test_past_the_upload_quota_the_answer_is_429_and_nothing_is_written(client, link, owner_token):
    quotas.consume(link.user, upload_bytes=quotas.quota("upload_bytes").limit)
    response = send_form(
        client, new_appeal_url(link.account), owner_token, appeal_form(link.account, image_upload())
    )
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Слишком много файлов")
    assert not Appeal.objects.exists()


def test_a_large_upload_passes_only_with_a_token_that_may_write(client, link, appeal, settings):
    settings.MAX_ANONYMOUS_REQUEST_BODY = 1000  # far below the picture
    picture = image_upload(size=(400, 400))
    for scope, status in ((TokenScope.READ, 413), (TokenScope.FULL, 201)):
        picture.seek(0)
        response = send_form(
            client,
            reply_url(appeal),
            token_of(link.user, scope),
            {"text": "Большое фото", "files": [picture]},
        )
        assert response.status_code == status, response.content
    assert response.json()["messages"][-1]["attachments"][0]["size"] > 1000


def test_the_refused_large_upload_is_a_problem_in_russian(client, link, appeal, settings):
    settings.MAX_ANONYMOUS_REQUEST_BODY = 1000
    response = send_form(
        client,
        reply_url(appeal),
        "kbn_nothing_here",
        {"text": "Большое фото", "files": [image_upload(size=(400, 400))]},
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "токеном, которому разрешена запись" in response.json()["detail"]


# --- whose files ----------------------------------------------------------------------------


def test_another_appeals_file_is_not_found_through_this_one(client, link, appeal, owner_token):
    co_resident = AccountLinkFactory(account=link.account).user
    foreign = make_appeal(co_resident, link.account, files=[image_upload()])
    foreign_file = Attachment.objects.get(message__appeal=foreign)
    own_second = make_appeal(link.user, link.account)
    assert get(client, list_url(foreign), owner_token).status_code == 404
    assert get(client, file_url(foreign, foreign_file), owner_token).status_code == 404
    # the foreign file's id asked through the user's own appeal
    assert get(client, file_url(own_second, foreign_file), owner_token).status_code == 404
    own_file = Attachment.objects.get(message__appeal=appeal)
    assert get(client, file_url(own_second, own_file), owner_token).status_code == 404
    assert get(client, list_url(own_second), owner_token).json() == []


def test_a_file_lost_from_the_storage_is_a_404_not_a_500(client, link, appeal, owner_token, caplog):
    attachment = Attachment.objects.get()
    attachment.file.storage.delete(attachment.file.name)
    api = get(client, file_url(appeal, attachment), owner_token)
    assert api.status_code == 404
    client.force_login(link.user)
    page = client.get(
        reverse("portal:appeal_attachment", args=[appeal.account_id, appeal.pk, attachment.pk])
    )
    assert page.status_code == 404
    assert "is missing" in caplog.text
