"""E-mail helpers: links in letters, and the development backend that writes every message to a
file of its own under var/mail/."""

import uuid
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend
from django.urls import reverse


def absolute_url(view_name: str, *args) -> str:
    """A link for an e-mail: letters are sent without a request to tell the portal's address,
    so it comes from ``SITE_URL``."""
    return settings.SITE_URL + reverse(view_name, args=args)


class FilePerMessageBackend(EmailBackend):
    """Django's file backend writes everything one connection sends into one file; this one
    writes each message to its own ``.eml`` file, named so that they sort by time."""

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            self.close()
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            self._fname = str(Path(self.file_path) / f"{stamp}-{uuid.uuid4().hex[:8]}.eml")
            sent += super().send_messages([message])
        self.close()
        return sent
