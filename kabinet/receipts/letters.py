"""The e-receipt letter, composed as bytes from a skeleton made once per batch, and its posting.

The mailing's goal (issue 21 item 3, ``bench/bench_mailing.py``) is 200 letters a second, and a
letter through Django's ``EmailMessage`` cost ~5 ms of CPU: the email package parses every
header into a tree and folds it back, and flattens the parts line by line in Python. Every
letter of a mailing has the same From, the same MIME structure and the same headers of its
parts; what varies is To, Subject, Date, Message-ID, Reply-To (the payee), the text and the
PDF. So ``LetterTemplate`` renders the shared headers once (the email package's own folding of
From and of each distinct Reply-To), and ``compose`` puts the letter together by formatting:
RFC 5322 headers (Subject as RFC 2047 encoded words, Date, Message-ID), a multipart/mixed body
of two base64 parts (RFC 2045 6.8: lines of 76), the PDF's name in ``filename="…"`` or, when
not plain ASCII, ``filename*=utf-8''…`` (RFC 2231). Everything is 7-bit with CRLF line ends,
so the SMTP server needs no 8BITMIME; the boundary holds «_», which base64 never does.

Over SMTP the bytes go as they are, on the backend's open session (``post``: the envelope and
the text, then the caller's claim of the letter, then the dot that asks the server to take it);
the other backends — the development files, the tests' outbox — get the letter as any Django
``EmailMessage`` whose ``message()`` is those same bytes parsed.
"""

import base64
import contextlib
import datetime
import email
import email.headerregistry
import email.policy
import email.utils
import re
import smtplib
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime, make_msgid
from smtplib import quoteaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.utils import DNS_NAME
from django.utils import timezone

from kabinet.mail import LINE_BREAKS, subject_line
from kabinet.observability.mail import count_sent

LINE = 76  # base64 characters a line (RFC 2045, 6.8)
HEADER_LINE = 78  # RFC 5322 2.1.1: lines should be no longer
# UTF-8 bytes per RFC 2047 encoded word: =?utf-8?b?…?= of 64 characters, so that «Subject: »
# and the first word stay within a line of 78.
WORD_BYTES = 39
CRLF = "\r\n"
# A line of the data that begins with a dot gets another (RFC 5321, 4.5.2).
DOT_LINE = re.compile(rb"(?m)^\.")
# An address written as it is in To: an RFC 5322 dot-atom local part, an ASCII domain.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


def base64_lines(data: bytes) -> bytes:
    """``data`` in base64, lines of 76 characters with CRLF, in one C call and a slicing."""
    whole = base64.b64encode(data)
    return b"\r\n".join([whole[start : start + LINE] for start in range(0, len(whole), LINE)])


def encoded_words(text: str) -> str:
    """A header value (RFC 2047): as it is when short printable ASCII, else UTF-8 base64
    encoded words, one a folded line. Cut only between characters, so that each word
    decodes alone; whitespace between encoded words is not part of the text (6.2)."""
    if text.isascii() and text.isprintable() and len(text) <= HEADER_LINE - len("Subject: "):
        return text
    words, chunk = [], b""
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return (CRLF + " ").join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def filename_parameter(filename: str) -> str:
    """The attachment's name for Content-Disposition: ``filename="…"`` when printable ASCII,
    else ``filename*=utf-8''…`` percent-encoded (RFC 2231 4, as RFC 6266 advises)."""
    if filename.isascii() and filename.isprintable() and not set(filename) & set('"\\'):
        return f'filename="{filename}"'
    quoted = "".join(
        char if (char.isascii() and char.isalnum()) or char in "!#$&+-.^_`|~" else _percent(char)
        for char in filename
    )
    return f"filename*=utf-8''{quoted}"


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode())


def ascii_address(address: str) -> str:
    """``address`` as SMTP without SMTPUTF8 takes it: the domain in IDNA (RFC 5891), the local
    part ASCII or refused (``ValueError``), no line breaks."""
    _single_line(address, "address")
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        raise ValueError(f"{address!r}: a non-ASCII local part needs SMTPUTF8")
    return address if domain.isascii() else f"{local}@{domain.encode('idna').decode('ascii')}"


def _date() -> str:
    """Now, as Django's letters give it (RFC 5322 3.3, the zone in figures)."""
    now = (
        timezone.localtime()
        if settings.EMAIL_USE_LOCALTIME
        else datetime.datetime.now(datetime.UTC)
    )
    return format_datetime(now)


def _single_line(value: str, name: str) -> str:
    """A header's value must not break the header (CR, LF: injection)."""
    if LINE_BREAKS.search(value):
        raise ValueError(f"{name}: a line break in {value!r}")
    return value


@dataclass
class Letter:
    """One composed letter: the envelope and the message's bytes, and what it was made of (for
    the backends that are not SMTP)."""

    sender: str  # the envelope's and From's address
    to: str
    data: bytes
    subject: str
    body: str
    reply_to: str
    pdf: bytes
    filename: str
    from_email: str

    def email_message(self) -> EmailMessage:
        return ComposedEmail(self)


class ComposedEmail(EmailMessage):
    """A ``Letter`` as Django's ``EmailMessage``: subject, body, recipients and attachment as
    usual; its ``message()`` is the composed bytes parsed, so that the development files show
    what SMTP would have sent."""

    def __init__(self, letter: Letter):
        super().__init__(
            subject=letter.subject,
            body=letter.body,
            from_email=letter.from_email,
            to=[letter.to],
            reply_to=[letter.reply_to] if letter.reply_to else None,
        )
        self.attach(letter.filename, letter.pdf, "application/pdf")
        self.data = letter.data

    def message(self, *, policy=email.policy.default):
        return email.message_from_bytes(self.data, policy=policy)


class LetterTemplate:
    """What all letters of a batch share, encoded once: the From header, the MIME skeleton,
    the parts' headers; ``compose`` fills in one letter."""

    def __init__(self, from_email: str | None = None):
        self.from_email = from_email or settings.DEFAULT_FROM_EMAIL
        self.sender = ascii_address(email.utils.parseaddr(self.from_email)[1])  # the envelope's
        self.boundary = f"=_{uuid.uuid4().hex}"
        self.from_header = self._header("From", self.from_email)
        self.reply_to_headers: dict[str, str] = {"": ""}

    @staticmethod
    def _header(name: str, value: str) -> str:
        """``name: value`` folded by the email package (address lists, display names in
        encoded words), CRLF at the end."""
        _single_line(value, name)
        return email.policy.SMTP.header_factory(name, value).fold(policy=email.policy.SMTP)

    def compose(
        self,
        *,
        to: str,
        subject: str,
        body: str,
        pdf: bytes,
        filename: str,
        reply_to: str = "",
        pdf_base64: bytes | None = None,
    ) -> Letter:
        """The letter to ``to`` with ``body`` as its text and ``pdf`` attached as ``filename``;
        ``pdf_base64`` (``base64_lines(pdf)``) when the caller encoded the document once for
        several subscribers of an account."""
        subject = subject_line(subject)
        if reply_to not in self.reply_to_headers:
            self.reply_to_headers[reply_to] = self._header("Reply-To", reply_to)
        to = ascii_address(to)
        # A quoted local part is left to the email package, which quotes it right.
        to_header = f"To: {to}{CRLF}" if PLAIN_ADDRESS.fullmatch(to) else self._header("To", to)
        disposition = f"Content-Disposition: attachment; {filename_parameter(filename)}"
        if len(disposition) > HEADER_LINE:
            disposition = disposition.replace("; ", f";{CRLF} ", 1)
        boundary = self.boundary
        head = (
            "MIME-Version: 1.0" + CRLF
            + f'Content-Type: multipart/mixed; boundary="{boundary}"' + CRLF
            + f"Subject: {encoded_words(subject)}" + CRLF
            + self.from_header
            + to_header
            + self.reply_to_headers[reply_to]
            + f"Date: {_date()}" + CRLF
            + f"Message-ID: {make_msgid(domain=DNS_NAME)}" + CRLF
            + CRLF
            + f"--{boundary}" + CRLF
            + 'Content-Type: text/plain; charset="utf-8"' + CRLF
            + "Content-Transfer-Encoding: base64" + CRLF
            + CRLF
        )  # fmt: skip
        attachment_head = (
            CRLF + f"--{boundary}" + CRLF
            + "Content-Type: application/pdf" + CRLF
            + "Content-Transfer-Encoding: base64" + CRLF
            + disposition + CRLF
            + CRLF
        )  # fmt: skip
        data = b"".join(
            [
                head.encode("ascii"),
                base64_lines(body.encode()),
                attachment_head.encode("ascii"),
                base64_lines(pdf) if pdf_base64 is None else pdf_base64,
                f"{CRLF}--{boundary}--{CRLF}".encode("ascii"),
            ]
        )
        return Letter(
            sender=self.sender, to=to, data=data, subject=subject, body=body,
            reply_to=reply_to, pdf=pdf, filename=filename, from_email=self.from_email,
        )  # fmt: skip


class AnswerLost(Exception):
    """The dot that ends a letter went, the server's answer did not come: it may have taken
    the letter, or not."""


def post(connection, letter: Letter, claim: Callable[[], bool] = lambda: True) -> bool:
    """Hand ``letter`` to the mail backend ``connection`` (open) once ``claim()`` has said it
    is ours to send (it records the claim, committed); whether it went. Raises what the
    backend raises when the letter is refused.

    An SMTP server takes a message when it answers «250» to the dot that ends its data (RFC
    5321, 4.1.1.4); a session cut before that dot leaves no message (3.8). So over SMTP the
    envelope and the whole text go first, ``claim()`` is called while the server reads them
    (its commit and the server's work overlap), and only then the dot: a letter is never taken
    unclaimed. A claim refused or broken off drops the session, the message unfinished. Any
    other backend gets the letter as an ``EmailMessage`` after ``claim()``."""
    if not isinstance(connection, SMTPBackend):
        if not claim():
            return False
        if not connection.send_messages([letter.email_message()]):
            raise RuntimeError("the mail backend did not take the letter")
        return True
    if connection.connection is None:  # the session was lost and not reopened yet
        connection.open()
    session = connection.connection
    # The dot, three bytes sent after the text, would otherwise wait (Nagle's algorithm) for
    # the acknowledgement of the text's last segment, which the server may delay by ~40 ms.
    session.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    session.ehlo_or_helo_if_needed()
    mail, rcpt, data = _envelope(session, letter)
    if data[0] == 354 and (mail[0] != 250 or rcpt[0] not in {250, 251}):
        session.close()  # the server awaits a text (RFC 2920 3.1): cut, no letter is taken
    _expect(
        session, mail, {250},
        lambda code, text: smtplib.SMTPSenderRefused(code, text, letter.sender),
    )  # fmt: skip
    _expect(
        session, rcpt, {250, 251},
        lambda code, text: smtplib.SMTPRecipientsRefused({letter.to: (code, text)}),
    )  # fmt: skip
    _expect(session, data, {354}, smtplib.SMTPDataError)
    text = letter.data
    if text.startswith(b".") or b"\n." in text:  # the search is a fifth of the substitution's
        text = DOT_LINE.sub(b"..", text)  # CPU, and a composed letter's lines never begin so
    session.send(text if text.endswith(b"\r\n") else text + b"\r\n")
    try:
        claimed = claim()
    except BaseException:
        session.close()  # the socket only: the server drops the message, no dot has gone
        raise
    if not claimed:
        session.close()
        connection.close()  # reopened by the next letter
        return False
    try:
        session.send(b".\r\n")
        reply = session.getreply()
    except OSError as error:  # smtplib's errors of a lost session are OSErrors too
        raise AnswerLost(f"{type(error).__name__}: {error}") from error
    _expect(session, reply, {250}, smtplib.SMTPDataError)
    count_sent(connection, 1)
    return True


def _envelope(session, letter: Letter) -> list[tuple[int, bytes]]:
    """The server's replies to ``MAIL``, ``RCPT`` and ``DATA`` for ``letter``: sent in one
    write when it offers PIPELINING (RFC 2920), which saves two round trips a letter; else
    one by one, each awaited."""
    if not session.has_extn("pipelining"):
        return [session.mail(letter.sender), session.rcpt(letter.to), session.docmd("data")]
    sender, to = _path(letter.sender), _path(letter.to)
    session.send(f"MAIL FROM:{sender}{CRLF}RCPT TO:{to}{CRLF}DATA{CRLF}".encode("ascii"))
    return [session.getreply() for _command in range(3)]


def _path(address: str) -> str:
    """``<address>`` as smtplib's ``quoteaddr`` writes it, whose parsing a plain address (all
    of them, nearly) does not need."""
    return f"<{address}>" if PLAIN_ADDRESS.fullmatch(address) else quoteaddr(address)


def _expect(session, reply: tuple[int, bytes], codes: set[int], refused) -> None:
    """Raise ``refused(code, text)`` — as ``smtplib.SMTP.sendmail`` would — when the server's
    ``reply`` is not one of ``codes``, the transaction reset first (a broken session is
    reopened by the caller)."""
    code, text = reply
    if code in codes:
        return
    with contextlib.suppress(smtplib.SMTPException):
        session.rset()
    raise refused(code, text)
