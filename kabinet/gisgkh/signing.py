"""Signing the requests to ГИС ЖКХ: an enveloped XAdES-BES signature (ETSI TS 101 903 v1.3.2)
over the element with ``Id="signed-data-container"``, with ГОСТ Р 34.10-2012 (256 bits) and
ГОСТ Р 34.11-2012 «Стрибог» (256 bits) digests, exclusive canonicalisation
(``xml-exc-c14n#``) and the algorithm names of CryptoPro's XMLDSig profile
(``urn:ietf:params:xml:ns:cpxmlsec:algorithms:…``), which ГИС ЖКХ's integration rules use.
The ``ds:Signature`` is the signed element's first child, where ``base:BaseType`` puts it.

One interface, ``Signer.sign(envelope) -> envelope``, and its implementations:

- ``NoSigner`` — leaves the request as it is (tests, and a gateway that signs on its own);
- ``OpenSslGostSigner`` — the key and certificate in files, through the ``openssl`` command
  with Debian's GOST engine (package ``libengine-gost-openssl``: ``-engine gost``);
  ``verify`` checks such a signature the same way (both digests, the certificate's digest, the
  signature value);
- ``ServiceSigner`` — the same signature, but its value made by an external signing service
  over HTTP (CryptoPro DSS and the like: the key never leaves its token), asked for a raw
  ГОСТ Р 34.10-2012 signature of the canonical ``SignedInfo``; the digests are ours (openssl,
  no key needed) and the value returned is verified against the certificate before the
  request may go."""

import base64
import binascii
import copy
import datetime
import json
import subprocess
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from lxml import etree

from kabinet.gisgkh.messages import SIGNED_ID

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SIGNATURE_METHOD = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
DIGEST_METHOD = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
SIGNED_PROPERTIES = "http://uri.etsi.org/01903#SignedProperties"


class SigningError(Exception):
    """The request could not be signed, or a signature does not verify (in Russian)."""


class NoSigner:
    """No signature: for tests and for a gateway that signs the requests itself."""

    name = "none"

    def sign(self, envelope: bytes) -> bytes:
        return envelope


def _c14n(element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _ds(parent, name, text=None, **attributes):
    element = etree.SubElement(parent, f"{{{DS}}}{name}", **attributes)
    if text is not None:
        element.text = text
    return element


def _signed_element(root):
    found = root.xpath("//*[@Id=$id]", id=SIGNED_ID)
    if len(found) != 1:
        raise SigningError(f"В запросе нет одного элемента Id=«{SIGNED_ID}» для подписи.")
    return found[0]


def _without_signatures(element):
    """The enveloped-signature transform: the element without its ``ds:Signature``."""
    element = copy.deepcopy(element)
    for signature in element.findall(f"{{{DS}}}Signature"):
        element.remove(signature)
    return element


class OpenSslGostSigner:
    """ГОСТ Р 34.10-2012 (256) by ``openssl`` with the GOST engine; key and certificate in PEM."""

    name = "openssl-gost"

    def __init__(self, key_file, cert_file, *, openssl: str = "openssl"):
        self.key_file = str(key_file)
        self.openssl = openssl
        try:
            self.certificate = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
        except (OSError, ValueError) as error:
            raise SigningError(f"Не прочитан сертификат ключа подписи: {error}") from error

    def _run(self, *args: str, data: bytes) -> bytes:
        try:
            done = subprocess.run(
                [self.openssl, *args], input=data, capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SigningError(f"Не запустилась программа openssl: {error}") from error
        if done.returncode:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            raise SigningError(
                "openssl с ГОСТ-движком не смог подписать: " + (message[-1] if message else "")
            )
        return done.stdout

    def digest(self, data: bytes) -> str:
        """ГОСТ Р 34.11-2012 (256 bits) of ``data``, base64."""
        value = self._run("dgst", "-engine", "gost", "-md_gost12_256", "-binary", data=data)
        return base64.b64encode(value).decode()

    def _signature(self, data: bytes) -> str:
        value = self._run(
            "dgst",
            "-engine",
            "gost",
            "-md_gost12_256",
            "-sign",
            self.key_file,
            "-binary",
            data=data,
        )
        return base64.b64encode(value).decode()

    def sign(self, envelope: bytes, *, now: datetime.datetime | None = None) -> bytes:
        root = etree.fromstring(envelope, etree.XMLParser(resolve_entities=False))
        target = _signed_element(root)
        if target.find(f"{{{DS}}}Signature") is not None:
            raise SigningError("Запрос уже подписан.")
        signature_id = f"xmldsig-{uuid.uuid4()}"
        signature = etree.Element(f"{{{DS}}}Signature", Id=signature_id, nsmap={"ds": DS})
        target.insert(0, signature)
        info = _ds(signature, "SignedInfo")
        _ds(info, "CanonicalizationMethod", Algorithm=EXC_C14N)
        _ds(info, "SignatureMethod", Algorithm=SIGNATURE_METHOD)
        body_ref = _ds(info, "Reference", Id=f"{signature_id}-ref0", URI=f"#{SIGNED_ID}")
        transforms = _ds(body_ref, "Transforms")
        _ds(transforms, "Transform", Algorithm=ENVELOPED)
        _ds(transforms, "Transform", Algorithm=EXC_C14N)
        _ds(body_ref, "DigestMethod", Algorithm=DIGEST_METHOD)
        body_digest = _ds(body_ref, "DigestValue")
        props_ref = _ds(
            info, "Reference", Type=SIGNED_PROPERTIES, URI=f"#{signature_id}-signedprops"
        )
        _ds(_ds(props_ref, "Transforms"), "Transform", Algorithm=EXC_C14N)
        _ds(props_ref, "DigestMethod", Algorithm=DIGEST_METHOD)
        props_digest = _ds(props_ref, "DigestValue")
        value = _ds(signature, "SignatureValue", Id=f"{signature_id}-sigvalue")
        der = self.certificate.public_bytes(Encoding.DER)
        _ds(
            _ds(_ds(signature, "KeyInfo"), "X509Data"),
            "X509Certificate",
            base64.b64encode(der).decode(),
        )
        qualifying = etree.SubElement(
            _ds(signature, "Object"),
            f"{{{XADES}}}QualifyingProperties",
            Target=f"#{signature_id}",
            nsmap={"xades": XADES},
        )
        properties = etree.SubElement(
            qualifying, f"{{{XADES}}}SignedProperties", Id=f"{signature_id}-signedprops"
        )
        signature_properties = etree.SubElement(properties, f"{{{XADES}}}SignedSignatureProperties")
        etree.SubElement(signature_properties, f"{{{XADES}}}SigningTime").text = (
            now or datetime.datetime.now(datetime.UTC)
        ).isoformat(timespec="seconds")
        cert = etree.SubElement(
            etree.SubElement(signature_properties, f"{{{XADES}}}SigningCertificate"),
            f"{{{XADES}}}Cert",
        )
        cert_digest = etree.SubElement(cert, f"{{{XADES}}}CertDigest")
        _ds(cert_digest, "DigestMethod", Algorithm=DIGEST_METHOD)
        _ds(cert_digest, "DigestValue", self.digest(der))
        issuer_serial = etree.SubElement(cert, f"{{{XADES}}}IssuerSerial")
        _ds(issuer_serial, "X509IssuerName", self.certificate.issuer.rfc4514_string())
        _ds(issuer_serial, "X509SerialNumber", str(self.certificate.serial_number))

        body_digest.text = self.digest(_c14n(_without_signatures(target)))
        props_digest.text = self.digest(_c14n(properties))
        value.text = self._signature(_c14n(info))
        return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def verify(envelope: bytes, *, openssl: str = "openssl") -> x509.Certificate:
    """Check the XAdES-BES signature of ``envelope`` (as ``OpenSslGostSigner`` makes it): the
    digest of the signed element and of the signed properties, the certificate's digest and the
    signature value by the certificate's key. The certificate; ``SigningError`` saying what
    does not match."""
    root = etree.fromstring(envelope, etree.XMLParser(resolve_entities=False))
    target = _signed_element(root)
    signature = target.find(f"{{{DS}}}Signature")
    if signature is None:
        raise SigningError("Запрос не подписан.")
    der = base64.b64decode(signature.findtext(f".//{{{DS}}}X509Certificate", ""))
    certificate = x509.load_der_x509_certificate(der)
    with tempfile.TemporaryDirectory() as folder:
        cert_file = Path(folder) / "cert.pem"
        cert_file.write_bytes(certificate.public_bytes(Encoding.PEM))
        checker = OpenSslGostSigner.__new__(OpenSslGostSigner)
        checker.openssl, checker.certificate, checker.key_file = openssl, certificate, ""
        info = signature.find(f"{{{DS}}}SignedInfo")
        for reference in info.findall(f"{{{DS}}}Reference"):
            uri = reference.get("URI", "").removeprefix("#")
            [element] = root.xpath("//*[@Id=$id]", id=uri) or [None]
            if element is None:
                raise SigningError(f"Подпись ссылается на отсутствующий элемент «{uri}».")
            transforms = [t.get("Algorithm") for t in reference.iter(f"{{{DS}}}Transform")]
            if ENVELOPED in transforms:
                element = _without_signatures(element)
            if checker.digest(_c14n(element)) != reference.findtext(f"{{{DS}}}DigestValue"):
                raise SigningError(f"Подписанные данные изменены после подписи: «{uri}».")
        cert_digest = signature.findtext(f".//{{{XADES}}}CertDigest/{{{DS}}}DigestValue")
        if checker.digest(der) != cert_digest:
            raise SigningError("Сертификат подписи не тот, что указан в подписанных свойствах.")
        key_file = Path(folder) / "key.pem"
        key_file.write_bytes(
            checker._run(
                "x509", "-engine", "gost", "-pubkey", "-noout", "-in", str(cert_file), data=b""
            )
        )
        value_file = Path(folder) / "signature"
        value_file.write_bytes(base64.b64decode(signature.findtext(f"{{{DS}}}SignatureValue")))
        try:
            checker._run(
                "dgst",
                "-engine",
                "gost",
                "-md_gost12_256",
                "-verify",
                str(key_file),
                "-signature",
                str(value_file),
                data=_c14n(info),
            )
        except SigningError as error:
            raise SigningError("Подпись не сходится с ключом сертификата.") from error
    return certificate


class ServiceSigner(OpenSslGostSigner):
    """The signature value made by a signing service over HTTP, in the shape of CryptoPro DSS's
    raw signature (``POST`` JSON ``{"Content": base64, "Signature": {"Type": "GOST3410",
    "CertificateId": …}}`` with ``Authorization: Bearer <token>``; the answer a JSON string,
    the signature's base64). The certificate (``cert_file``, PEM) is the key's: the value
    returned must verify by it, or nothing is signed."""

    name = "service"

    def __init__(self, url, token, cert_file, *, certificate_id="0", timeout=30, **options):
        super().__init__("", cert_file, **options)
        self.url, self.token = url, token
        self.certificate_id, self.timeout = str(certificate_id), timeout

    def _signature(self, data: bytes) -> str:
        request = urllib.request.Request(
            self.url,
            method="POST",
            data=json.dumps(
                {
                    "Content": base64.b64encode(data).decode(),
                    "Signature": {"Type": "GOST3410", "CertificateId": self.certificate_id},
                }
            ).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                reason = "отказал в доступе: проверьте GISGKH_SIGNING_TOKEN"
            elif error.code >= 500:
                reason = "недоступен"
            else:
                reason = "отказал: " + error.read(300).decode(errors="replace")
            raise SigningError(f"Сервис подписи {reason} (HTTP {error.code}).") from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            why = f" за {self.timeout} с" if isinstance(reason, TimeoutError) else f": {reason}"
            raise SigningError(f"Сервис подписи не ответил{why}.") from error
        try:
            value = json.loads(answer)
            base64.b64decode(value, validate=True)
        except (ValueError, TypeError, binascii.Error):
            raise SigningError("Ответ сервиса подписи — не подпись в base64.") from None
        return value

    def sign(self, envelope: bytes, **options) -> bytes:
        signed = super().sign(envelope, **options)
        try:
            verify(signed, openssl=self.openssl)
        except SigningError as error:
            raise SigningError(f"Сервис подписи вернул неверную подпись: {error}") from error
        return signed


def signer_from_settings():
    """The signer ``GISGKH_SIGNER`` names: ``none``, ``openssl-gost`` (with
    ``GISGKH_KEY_FILE`` and ``GISGKH_CERT_FILE``) or ``service`` (``GISGKH_SIGNING_URL``,
    ``GISGKH_SIGNING_TOKEN``, ``GISGKH_SIGNING_CERTIFICATE_ID``, ``GISGKH_CERT_FILE``)."""
    name = settings.GISGKH_SIGNER
    if name == "openssl-gost":
        return OpenSslGostSigner(settings.GISGKH_KEY_FILE, settings.GISGKH_CERT_FILE)
    if name == "service":
        return ServiceSigner(
            settings.GISGKH_SIGNING_URL,
            settings.GISGKH_SIGNING_TOKEN,
            settings.GISGKH_CERT_FILE,
            certificate_id=settings.GISGKH_SIGNING_CERTIFICATE_ID,
        )
    if name == "none":
        return NoSigner()
    raise SigningError(f"Неизвестный способ подписи GISGKH_SIGNER=«{name}».")
