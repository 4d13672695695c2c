"""Uploaded files on S3-compatible object storage (kabinet/storage.py): a resident's appeal
attachments, a contract document and an issued payment document go to a bucket of a real S3
server (moto's, on 127.0.0.1, started once for the module) and come back through the portal.
Nothing touches MEDIA_ROOT."""

import datetime
import gc
import hashlib

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from moto.server import ThreadedMotoServer

from kabinet.appeals.models import Appeal
from kabinet.housing.models import ContractDocument, ManagementContract
from kabinet.receipts.models import IssuedDocument
from kabinet.storage import FILESYSTEM_BACKEND, S3_BACKEND, default_storage_from_env
from tests.factories import AccountLinkFactory, ChargeFactory, image_upload, pdf_upload
from tests.test_appeals import write

pytestmark = pytest.mark.django_db

BUCKET = "kabinet-media"


def client_for(env):
    return boto3.client(
        "s3",
        endpoint_url=env["STORAGE_S3_ENDPOINT_URL"],
        region_name=env["STORAGE_S3_REGION"],
        aws_access_key_id=env["STORAGE_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["STORAGE_S3_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="module")
def s3_env():
    """A real S3 endpoint on 127.0.0.1 with an empty bucket, and the environment naming it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "STORAGE_S3_BUCKET": BUCKET,
        "STORAGE_S3_PREFIX": "/media/",
        "STORAGE_S3_ENDPOINT_URL": f"http://{host}:{port}",
        "STORAGE_S3_REGION": "us-east-1",
        "STORAGE_S3_ACCESS_KEY_ID": "kabinet-test",
        "STORAGE_S3_SECRET_ACCESS_KEY": "kabinet-test-secret",
        "STORAGE_S3_ADDRESSING_STYLE": "path",
    }
    client_for(env).create_bucket(Bucket=BUCKET)
    try:
        yield env
    finally:
        server.stop()
        # botocore's event hooks are weak methods: collect the clients now, not while the
        # xdist worker is being shut down (where their callbacks got KeyboardInterrupt).
        gc.collect()


@pytest.fixture
def s3(settings, s3_env, tmp_path):
    """The default storage as production builds it from that environment; MEDIA_ROOT is an empty
    folder that must stay empty."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env(s3_env)}
    return client_for(s3_env)


def keys(s3, prefix="media/"):
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_without_a_bucket_files_stay_on_the_local_disk():
    assert default_storage_from_env({}) == {"BACKEND": FILESYSTEM_BACKEND}
    assert default_storage_from_env({"STORAGE_S3_BUCKET": " "}) == {"BACKEND": FILESYSTEM_BACKEND}


def test_the_bucket_settings_come_from_the_environment(s3_env):
    storage = default_storage_from_env(s3_env)
    assert storage["BACKEND"] == S3_BACKEND
    assert storage["OPTIONS"]["location"] == "media"
    assert storage["OPTIONS"]["querystring_auth"] is True  # never an open link to a scan
    assert storage["OPTIONS"]["file_overwrite"] is False
    assert "endpoint_url" not in default_storage_from_env({"STORAGE_S3_BUCKET": "b"})["OPTIONS"]


def test_appeal_attachments_go_to_the_bucket_and_come_back(client, s3, tmp_path):
    link = AccountLinkFactory()
    client.force_login(link.user)
    picture, scan = image_upload("свет.png"), pdf_upload()
    sent = {"свет.png": picture.read(), "scan.pdf": scan.read()}
    picture.seek(0), scan.seek(0)
    assert write(client, link.account, files=[picture, scan]).status_code == 302
    appeal = Appeal.objects.get()
    attachments = list(appeal.messages.get().attachments.order_by("pk"))
    stored = keys(s3, "media/appeals/")
    assert stored == sorted(f"media/{a.file.name}" for a in attachments)
    assert all(key.startswith(f"media/appeals/{appeal.organization_id}/") for key in stored)
    assert list(tmp_path.iterdir()) == []
    for attachment in attachments:
        response = client.get(
            reverse("portal:appeal_attachment", args=[link.account.pk, appeal.pk, attachment.pk])
        )
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == sent[attachment.name]
        assert response["Content-Type"] == attachment.content_type


def test_contract_document_is_served_from_the_bucket(client, s3, tmp_path):
    link = AccountLinkFactory()
    contract = ManagementContract.objects.create(
        house=link.account.premise.house,
        number="12/ГР-2019",
        signed_on=datetime.date(2019, 4, 1),
        valid_from=datetime.date(2019, 5, 1),
    )
    document = ContractDocument(contract=contract, title="Договор управления (скан)")
    document.file.save("contract.pdf", ContentFile(b"%PDF-1.4 test"))
    assert f"media/{document.file.name}" in keys(s3)
    client.force_login(link.user)
    response = client.get(reverse("portal:contract_document", args=[link.account.pk, document.pk]))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert list(tmp_path.iterdir()) == []


def test_two_uploads_under_one_name_keep_both(s3):
    first = default_storage.save("imports/charges/same.csv", ContentFile(b"one"))
    second = default_storage.save("imports/charges/same.csv", ContentFile(b"two"))
    assert first != second
    with default_storage.open(second, "rb") as file:
        assert file.read() == b"two"
    default_storage.delete(first)
    assert not default_storage.exists(first)
    assert default_storage.exists(second)


def test_an_issued_payment_document_is_kept_in_the_bucket_and_served_checked(
    client, s3, tmp_path, caplog
):
    charge = ChargeFactory()
    link = AccountLinkFactory(account=charge.account)
    client.force_login(link.user)
    month = charge.period.month
    url = reverse("portal:receipt_pdf", args=[link.account.pk, month.year, month.month])

    served = b"".join(client.get(url).streaming_content)

    document = IssuedDocument.objects.get()
    key = f"media/{document.file.name}"
    assert keys(s3, "media/receipts/") == [key]
    stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert served == stored
    assert hashlib.sha256(stored).hexdigest() == document.sha256
    assert list(tmp_path.iterdir()) == []
    # an object replaced behind the portal's back is refused, not served
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"%PDF-1.4 other")
    assert client.get(url).status_code == 503
    assert document.sha256 in caplog.text
