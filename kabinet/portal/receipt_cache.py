"""The resident's receipt PDF, drawn once per content: ReportLab takes most of a download's
time, and a closed month's document is asked for again and again.

The cache key is a digest of everything the PDF is drawn from: the document's data
(``receipts.selectors.Receipt``, all of its figures, requisites, readings and lines, as read
for this request) and the drawing code and fonts themselves. Whatever changes the document —
a payment recorded late, new requisites, a correction of a reading, a new version of the
layout — changes the key, so a stale document is never served; the data is still read on
every request (the resident's access and the delivery record are checked as before)."""

import hashlib
import pickle
from functools import cache
from pathlib import Path

from django.core.cache import cache as django_cache

from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import Receipt

KEEP_SECONDS = 24 * 3600
RECEIPTS = Path(__file__).resolve().parent.parent / "receipts"
DRAWING = (
    *sorted((RECEIPTS / "pdf").glob("*.py")),
    *sorted((RECEIPTS / "layout").glob("*.py")),
    RECEIPTS / "qr.py",
    RECEIPTS.parent / "pdf_fonts.py",
    RECEIPTS.parent / "formats.py",
    *sorted((RECEIPTS.parent / "fonts").glob("*.ttf")),
)


@cache
def _drawing_digest() -> bytes:
    """The digest of the code and the fonts that draw the document, once per process."""
    digest = hashlib.sha256()
    for path in DRAWING:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.digest()


def cache_key(data: Receipt) -> str:
    content = hashlib.sha256(_drawing_digest())
    content.update(pickle.dumps(data, protocol=5))
    return f"receipt-pdf:{content.hexdigest()}"


def cached_receipt_pdf(data: Receipt) -> bytes:
    """``receipts.pdf.receipt_pdf(data)``, drawn only when no document of the same content is
    in the cache."""
    key = cache_key(data)
    document = django_cache.get(key)
    if document is None:
        document = receipt_pdf(data)
        django_cache.set(key, document, KEEP_SECONDS)
    return document
