"""XAdES-BES signatures of the requests with ГОСТ Р 34.10-2012 (256) and Стрибог-256, by
openssl with Debian's GOST engine (libengine-gost-openssl): a test key and certificate are
made here, a signed request still validates against the service's schema, verifies, and a
value changed after signing is found."""

import datetime
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from kabinet.gisgkh.messages import DEVICE_METERING, MeterValue, metering_values_messages
from kabinet.gisgkh.schemas import check
from kabinet.gisgkh.signing import (
    DS,
    XADES,
    NoSigner,
    OpenSslGostSigner,
    SigningError,
    signer_from_settings,
    verify,
)

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gost")
    key, cert = folder / "key.pem", folder / "cert.pem"
    engine = ["-engine", "gost"]
    subprocess.run(["openssl", "genpkey", *engine, "-algorithm", "gost2012_256",
                    "-pkeyopt", "paramset:A", "-out", str(key)],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(["openssl", "req", *engine, "-new", "-x509", "-key", str(key),
                    "-md_gost12_256", "-subj", "/CN=УК Тест/O=УК Тест", "-utf8", "-days", "30",
                    "-out", str(cert)], check=True, capture_output=True)  # fmt: skip
    return key, cert


def message():
    [built] = metering_values_messages(
        ORG,
        [
            MeterValue(
                meter="счётчик № XB-1",
                root_guid="0f6e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b",
                value=Decimal("123.456"),
                taken_on=datetime.date(2026, 10, 20),
                period=datetime.date(2026, 10, 1),
                resource_nsi=("1", "e2b2c1a0-0000-4000-8000-000000000001"),
            )
        ],
    )
    return built


def body_of(envelope: bytes) -> ET.Element:
    return ET.fromstring(envelope).find(
        f".//{{{DEVICE_METERING}}}importMeteringDeviceValuesRequest"
    )


def test_a_signed_request_verifies_and_still_fits_its_schema(key_pair):
    signed = OpenSslGostSigner(*key_pair).sign(message().envelope())
    certificate = verify(signed)
    assert "УК Тест" in certificate.subject.rfc4514_string()
    body = body_of(signed)
    assert body[0].tag == f"{{{DS}}}Signature"  # first, where base:BaseType has it
    assert body.find(f".//{{{XADES}}}SigningCertificate") is not None
    check(body, "device-metering")


def test_a_value_changed_after_signing_is_found(key_pair):
    signed = OpenSslGostSigner(*key_pair).sign(message().envelope())
    changed = signed.replace(b">123.456<", b">923.456<")
    assert changed != signed
    with pytest.raises(SigningError, match="изменены после подписи"):
        verify(changed)


def test_a_signature_value_of_another_key_does_not_verify(key_pair, tmp_path):
    other_key = tmp_path / "other.pem"
    subprocess.run(["openssl", "genpkey", "-engine", "gost", "-algorithm", "gost2012_256",
                    "-pkeyopt", "paramset:A", "-out", str(other_key)], check=True,
                   capture_output=True)  # fmt: skip
    signed = OpenSslGostSigner(other_key, key_pair[1]).sign(message().envelope())
    with pytest.raises(SigningError, match="не сходится"):
        verify(signed)


def test_an_unsigned_request_does_not_verify():
    with pytest.raises(SigningError, match="не подписан"):
        verify(NoSigner().sign(message().envelope()))


def test_the_signer_comes_from_settings(settings, key_pair):
    settings.GISGKH_SIGNER = "none"
    assert isinstance(signer_from_settings(), NoSigner)
    settings.GISGKH_SIGNER, settings.GISGKH_KEY_FILE, settings.GISGKH_CERT_FILE = (
        "openssl-gost",
        *map(str, key_pair),
    )
    assert isinstance(signer_from_settings(), OpenSslGostSigner)
    settings.GISGKH_SIGNER = "cryptopro"
    with pytest.raises(SigningError, match="GISGKH_SIGNER"):
        signer_from_settings()
