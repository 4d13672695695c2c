"""E-mail helpers: links in letters, one-line subjects, and the development backend that writes
every message to a file of its own under var/mail/."""

import email.policy
import re
import uuid
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail.backends.filebased import EmailBackend
from django.urls import reverse

# Whatever Python's str.splitlines() breaks on: a subject with any of them is refused by Django's
# mail (BadHeaderError) and would stop a whole mailing.
LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def absolute_url(view_name: str, *args) -> str:
    """A link for an e-mail: letters are sent without a request to tell the portal's address,
    so it comes from ``SITE_URL``."""
    return settings.SITE_URL + reverse(view_name, args=args)


def validate_single_line(value: str) -> None:
    """For texts that become an e-mail's subject (a news title): one line only."""
    if LINE_BREAKS.search(value):
        raise ValidationError("Нужна одна строка, без переносов строк.", code="line_break")


def subject_line(text: str) -> str:
    """A letter's subject in one line, whatever the text it is made of holds."""
    return " ".join(LINE_BREAKS.sub(" ", text).split())


def readable(message):
    """The message as a person reads it in a text editor: text parts in 8-bit UTF-8 instead of
    base64, headers in UTF-8 instead of =?utf-8?b?…?= (attachments stay base64)."""
    for part in message.walk():
        encoded = part["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
        if encoded and part.get_content_maintype() == "text" and not part.is_attachment():
            part.set_content(part.get_content(), subtype=part.get_content_subtype(), cte="8bit")
    return message.as_bytes(policy=email.policy.default.clone(utf8=True))


class FilePerMessageBackend(EmailBackend):
    """Django's file backend writes everything one connection sends into one file; this one
    writes each message to its own ``.eml`` file, named so that they sort by time, and readable
    (8-bit UTF-8), so that a newcomer finds the activation link in ``var/mail/`` by eye."""

    def write_message(self, message):
        self.stream.write(readable(message.message()) + b"\n")

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            self.close()
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            self._fname = str(Path(self.file_path) / f"{stamp}-{uuid.uuid4().hex[:8]}.eml")
            sent += super().send_messages([message])
        self.close()
        return sent
