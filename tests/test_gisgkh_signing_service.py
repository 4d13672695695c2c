"""Signing through an external signing service over HTTP (GISGKH_SIGNER=service, the CryptoPro
DSS-like route for keys that never leave their token): a fake service on 127.0.0.1 signs with
the test GOST key, so the posted envelope verifies; a timeout, a 5xx, a refused token or a bad
signature returned stops the posting with a clear reason and nothing is stored or sent."""

import base64
import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kabinet.gisgkh import exchange, sending
from kabinet.gisgkh.exchange import PostingError
from kabinet.gisgkh.models import Exchange, GisAccount, GisOrganization, Posting
from kabinet.gisgkh.signing import (
    OpenSslGostSigner,
    ServiceSigner,
    SigningError,
    signer_from_settings,
    verify,
)
from kabinet.jobs.models import JobStatus
from tests.factories import PersonalAccountFactory
from tests.gisgkh_fake import FakeGis
from tests.gisgkh_samples import GUID_1

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"
TOKEN = "секрет-токена".encode().hex()


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gost")
    key, cert = folder / "key.pem", folder / "cert.pem"
    engine = ["-engine", "gost"]
    subprocess.run(["openssl", "genpkey", *engine, "-algorithm", "gost2012_256",
                    "-pkeyopt", "paramset:A", "-out", str(key)],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(["openssl", "req", *engine, "-new", "-x509", "-key", str(key),
                    "-md_gost12_256", "-subj", "/CN=УК Тест", "-utf8", "-days", "30",
                    "-out", str(cert)], check=True, capture_output=True)  # fmt: skip
    return key, cert


class FakeSigningService:
    """Signs ``Content`` with the key in the token's place; ``mode`` makes it misbehave:
    ``slow`` (answers after the client's timeout), ``down`` (503), ``garbage`` (a signature of
    other data)."""

    def __init__(self, key, cert):
        self.signer = OpenSslGostSigner(key, cert)
        self.mode = "ok"
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((self.headers["Authorization"], body))
                status, answer = fake.answer(self.headers["Authorization"], body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout's test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/SignServer/rest/api/documents"

    def answer(self, authorization, body):
        if authorization != f"Bearer {TOKEN}":
            return 401, b'{"error": "invalid_token"}'
        if self.mode == "down":
            return 503, b"{}"
        if self.mode == "slow":
            time.sleep(1.5)
        content = base64.b64decode(body["Content"])
        if self.mode == "garbage":
            content += b"!"
        return 200, json.dumps(self.signer._signature(content)).encode()

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service(key_pair):
    with FakeSigningService(*key_pair) as server:
        yield server


@pytest.fixture
def configured(settings, service, key_pair, monkeypatch):
    monkeypatch.setattr(exchange.time, "sleep", lambda seconds: None)
    settings.GISGKH_SIGNER, settings.GISGKH_SIGNING_URL = "service", service.url
    settings.GISGKH_SIGNING_TOKEN, settings.GISGKH_CERT_FILE = TOKEN, str(key_pair[1])
    settings.GISGKH_SIGNING_CERTIFICATE_ID = "7"
    with FakeGis() as gis:
        settings.GISGKH_URL = gis.url
        yield gis


@pytest.fixture
def organization():
    account = PersonalAccountFactory(number="154", unified_account="75АБ012345")
    GisAccount.objects.create(account=account, account_guid=GUID_1)
    GisOrganization.objects.create(organization=account.organization, org_ppa_guid=ORG)
    return account.organization


@pytest.mark.django_db(transaction=True)
def test_a_posting_signed_by_the_service_verifies_and_goes(configured, service, organization):
    configured.accounts = {"75АБ012345": ("154", GUID_1, "75АБ012345-01")}
    job = sending.start_posting(organization, "exportAccountData", None)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.problems
    certificate = verify(Exchange.objects.get().envelope.encode())
    assert "УК Тест" in certificate.subject.rfc4514_string()
    [(authorization, body)] = service.requests
    assert authorization == f"Bearer {TOKEN}"
    assert body["Signature"] == {"Type": "GOST3410", "CertificateId": "7"}
    assert base64.b64decode(body["Content"]).startswith(b"<ds:SignedInfo")
    assert configured.actions == ["exportAccountData", "getState"]


@pytest.mark.parametrize(
    ("mode", "token", "reason"),
    [
        ("down", TOKEN, "Сервис подписи недоступен (HTTP 503)."),
        ("ok", "wrong-token", "Сервис подписи отказал в доступе: проверьте GISGKH_SIGNING_TOKEN"),
        ("garbage", TOKEN, "Сервис подписи вернул неверную подпись: Подпись не сходится"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_a_failing_service_stops_the_posting_and_nothing_is_sent(
    configured, service, organization, settings, mode, token, reason
):
    service.mode, settings.GISGKH_SIGNING_TOKEN = mode, token
    with pytest.raises(PostingError) as refused:
        sending.start_posting(organization, "exportAccountData", None)
    assert str(refused.value).startswith(reason)
    assert not Posting.objects.exists()
    assert configured.actions == []


def test_a_service_that_does_not_answer_in_time_is_named(service, key_pair):
    service.mode = "slow"
    signer = ServiceSigner(service.url, TOKEN, key_pair[1], timeout=0.3)
    with pytest.raises(SigningError, match=r"Сервис подписи не ответил за 0\.3 с\."):
        signer._signature(b"<ds:SignedInfo/>")


def test_an_answer_that_is_no_signature_is_refused(service, key_pair, monkeypatch):
    monkeypatch.setattr(service, "answer", lambda *args: (200, b'{"Content": "?"}'))
    signer = ServiceSigner(service.url, TOKEN, key_pair[1])
    with pytest.raises(SigningError, match="не подпись в base64"):
        signer._signature(b"<ds:SignedInfo/>")


def test_the_service_signer_comes_from_settings_and_its_settings_are_shown(settings, key_pair):
    settings.GISGKH_URL, settings.GISGKH_SIGNER = "https://api.dom.gosuslugi.ru/", "service"
    settings.GISGKH_SIGNING_URL, settings.GISGKH_SIGNING_TOKEN = "https://dss.example/", ""
    settings.GISGKH_CERT_FILE = str(key_pair[1])
    state = sending.exchange_settings()
    assert state.problems == ["Для подписи сервисом не указаны: GISGKH_SIGNING_TOKEN."]
    assert "подпись ставит сервис подписи https://dss.example/" in state.lines[1]
    settings.GISGKH_SIGNING_TOKEN = TOKEN
    assert sending.exchange_settings().ready
    signer = signer_from_settings()
    assert isinstance(signer, ServiceSigner)
    assert (signer.url, signer.certificate_id) == ("https://dss.example/", "0")
