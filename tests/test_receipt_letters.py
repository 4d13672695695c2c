"""The e-receipt letter composed as bytes (``receipts.letters``): what a mail client reads of
it, header by header, and the attached PDF byte for byte."""

import datetime
import email
import hashlib
import smtplib
import uuid
from email import policy
from email.utils import parsedate_to_datetime

import pytest
from django.core.mail import mailers

from kabinet.receipts import letters
from kabinet.receipts.letters import LetterTemplate, post

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 200 + b"\n%%EOF\n"  # every byte value, 51 KB
FROM = "Личный кабинет <noreply@kabinet.example>"
SUBJECT = "Квитанция за октябрь 2026, ЛС № 300000001"


def compose(**fields):
    fields = {
        "to": "resident@example.com",
        "subject": SUBJECT,
        "body": "Здравствуйте, Иван Иванович!\n\nК оплате: 965,00 ₽ до 25.11.2026.\n",
        "pdf": PDF,
        "filename": "kvitanciya-300000001-2026-10.pdf",
        "reply_to": "uk@example.com",
    } | fields
    return LetterTemplate(FROM).compose(**fields)


def parsed(letter):
    return email.message_from_bytes(letter.data, policy=policy.default)


def test_a_letter_reads_back_header_by_header_with_the_pdf_byte_for_byte():
    letter = compose()
    message = parsed(letter)

    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == "Личный кабинет"
    assert message["From"].addresses[0].addr_spec == "noreply@kabinet.example"
    assert message["To"] == "resident@example.com"
    assert message["Reply-To"] == "uk@example.com"
    assert message["MIME-Version"] == "1.0"
    sent = parsedate_to_datetime(message["Date"])
    assert abs(sent - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith(">")
    assert message["Message-ID"] != parsed(compose())["Message-ID"]
    assert message.defects == []
    assert (letter.sender, letter.to) == ("noreply@kabinet.example", "resident@example.com")

    assert message.get_content_type() == "multipart/mixed"
    text, attachment = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert text.get_content_charset() == "utf-8"
    assert (
        text.get_content() == "Здравствуйте, Иван Иванович!\n\nК оплате: 965,00 ₽ до 25.11.2026.\n"
    )
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "kvitanciya-300000001-2026-10.pdf"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    assert hashlib.sha256(attachment.get_content()).digest() == hashlib.sha256(PDF).digest()
    assert all(part.defects == [] for part in message.walk())


def test_a_letter_is_seven_bit_with_crlf_lines_no_longer_than_rfc_5322_asks():
    data = compose(subject="Квитанция " * 12 + "за октябрь 2026").data
    assert data.isascii()
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 78
    assert parsed(compose(subject="Квитанция " * 12 + "за октябрь 2026"))["Subject"] == (
        "Квитанция " * 12 + "за октябрь 2026"
    )


def test_a_non_ascii_file_name_goes_as_rfc_2231_and_reads_back():
    letter = compose(filename="квитанция 300000001 (октябрь).pdf")
    assert b"filename*=utf-8''%D0%BA%D0%B2" in letter.data
    [attachment] = parsed(letter).iter_attachments()
    assert attachment.get_filename() == "квитанция 300000001 (октябрь).pdf"


def test_an_address_on_an_idn_domain_goes_in_idna_and_a_line_break_is_refused():
    letter = compose(to="zhitel@почта.рф")
    assert letter.to == "zhitel@xn--80a1acny.xn--p1ai"
    assert parsed(letter)["To"] == "zhitel@xn--80a1acny.xn--p1ai"
    with pytest.raises(ValueError, match="a line break"):
        compose(to="a@example.com\r\nBcc: victim@example.com")
    with pytest.raises(ValueError, match="SMTPUTF8"):
        compose(to="житель@example.com")  # would need SMTPUTF8


def test_no_reply_to_without_the_payee_address_and_a_subject_in_one_line():
    message = parsed(compose(reply_to="", subject="Квитанция\nBcc: x@example.com"))
    assert message["Reply-To"] is None
    assert message["Bcc"] is None
    assert message["Subject"] == "Квитанция Bcc: x@example.com"


def test_the_development_file_backend_keeps_the_letter_as_sent(settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "kabinet.observability.mail.CountingFileBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    with mailers.default as connection:
        post(connection, compose())
    [kept] = [path for path in tmp_path.iterdir() if path.stat().st_size]  # opening makes one
    message = email.message_from_bytes(kept.read_bytes(), policy=policy.default)
    assert message["Subject"] == SUBJECT
    assert "К оплате: 965,00 ₽" in message.get_body().get_content()  # 8-bit, readable by eye
    [attachment] = message.iter_attachments()
    assert attachment.get_content() == PDF


def test_the_letter_is_the_same_bytes_as_before_the_mailing_was_made_cheaper(monkeypatch):
    """The SHA-256 of a letter composed by commit a281100, before the sender's CPU a letter
    was cut (bench/README.md «E-receipts mailing», h54), its boundary, date and Message-ID
    fixed: the cuts changed nothing that is sent."""
    monkeypatch.setattr(letters.uuid, "uuid4", lambda: uuid.UUID(int=54))
    monkeypatch.setattr(letters, "_date", lambda: "Wed, 02 Dec 2026 11:45:00 +0000")
    monkeypatch.setattr(letters, "make_msgid", lambda domain: f"<54.1@{domain}>")
    monkeypatch.setattr(letters, "DNS_NAME", "kabinet.example")
    template = LetterTemplate(FROM)
    first = template.compose(to="resident@example.com", subject=SUBJECT, body="Текст\n",
                             pdf=PDF, filename="kvitanciya-300000001-2026-10.pdf",
                             reply_to="uk@example.com")  # fmt: skip
    second = template.compose(to="zhitel@почта.рф", subject="Квитанция " * 9, body="Иное\n",
                              pdf=PDF[:-1], filename="квитанция (октябрь).pdf",
                              reply_to="")  # fmt: skip
    assert hashlib.sha256(first.data).hexdigest() == (
        "b0f7cf5f7e2feed1857a2bdd30aca8e90b807d2ed26f1150e9d4b501c2560d8d"
    )
    assert hashlib.sha256(second.data).hexdigest() == (
        "a52024b3472d4015696028952575253cbf771965112030b9f8703709b1f68a62"
    )


@pytest.mark.parametrize(
    "address", ["resident@example.com", "zhitel@xn--80a1acny.xn--p1ai", '"Иван И."@example.com']
)
def test_a_pipelined_envelope_writes_the_addresses_as_smtplib_does(address):
    assert letters._path(address) == smtplib.quoteaddr(address)
