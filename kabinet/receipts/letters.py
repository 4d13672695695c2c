"""The e-receipt letter: Django's ``EmailMessage`` whose PDF attachment goes into the flattened
message as one block of base64 made by ``binascii``.

The email package encodes an attachment and writes it out line by line in Python: for a 45 KB
payment document that was 5 of the 9 ms of CPU a letter cost, and the mailing's goal (issue 21
item 3, ``bench/bench_mailing.py``) leaves about 5 ms for everything. So the message is built
by Django as usual around a short marker attachment, and flattening puts the document's base64
in the marker's place; headers, the text part and the MIME structure are the email package's.
"""

import base64
import email.message
import email.policy
import uuid

from django.core.mail import EmailMessage

LINE = 76  # base64 characters a line (RFC 2045, 6.8)


class ReceiptLetter(EmailMessage):
    """A letter with one PDF attachment (``pdf`` named ``filename``); ``attachments`` holds
    the real document, as for any ``EmailMessage``."""

    def __init__(self, *args, pdf: bytes, filename: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.attach(filename, pdf, "application/pdf")

    def message(self, *, policy=email.policy.default):
        (filename, pdf, mimetype), marker = self.attachments[0], uuid.uuid4().hex.encode()
        self.attachments = [(filename, marker, mimetype)]
        try:
            message = super().message(policy=policy)
        finally:
            self.attachments = [(filename, pdf, mimetype)]
        message.__class__ = _SplicedMessage
        message.splice = (base64.b64encode(marker), pdf)
        return message


class _SplicedMessage(email.message.EmailMessage):
    """Flattens as the email package does, then puts the document's base64 — lines of 76
    characters, the policy's line ends — where the marker's is."""

    splice: tuple[bytes, bytes]

    def as_bytes(self, unixfrom=False, policy=None):
        policy = policy or self.policy
        flat = super().as_bytes(unixfrom, policy)
        marker, pdf = self.splice
        whole = base64.b64encode(pdf)  # one call; encodebytes loops per 57 bytes in Python
        lines = (whole[start : start + LINE] for start in range(0, len(whole), LINE))
        return flat.replace(marker, policy.linesep.encode().join(lines), 1)

    def __bytes__(self):
        return self.as_bytes()

    def as_string(self, unixfrom=False, maxheaderlen=0, policy=None):
        return self.as_bytes(unixfrom, policy).decode("ascii", "surrogateescape")
