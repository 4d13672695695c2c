"""Mail backends that count the messages they hand over (``kabinet_emails_sent_total``)."""

from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from kabinet.mail import FilePerMessageBackend
from kabinet.observability.metrics import EMAILS_SENT


class CountingMixin:
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages) or 0
        if sent:
            EMAILS_SENT.inc(sent)
        return sent


class CountingSMTPBackend(CountingMixin, SMTPBackend):
    """Django's SMTP backend, counted."""


class CountingFileBackend(CountingMixin, FilePerMessageBackend):
    """One ``.eml`` file per message (development), counted."""


def count_sent(backend, sent: int) -> None:
    """Count ``sent`` messages handed over through ``backend`` past its ``send_messages`` (the
    e-receipts mailing gives an SMTP session its letters as bytes)."""
    if isinstance(backend, CountingMixin):
        EMAILS_SENT.inc(sent)
