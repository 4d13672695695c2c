"""What drawing a payment document reuses from the documents drawn before it in the process
(``kabinet.pdf_fonts``: font subsets, their widths and CMaps, split text) leaves each PDF byte
for byte what it is when drawn first."""

import dataclasses
import datetime
import io

import pypdfium2
import pytest
from reportlab import rl_config
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfgen.canvas import Canvas

from kabinet import pdf_fonts
from kabinet.pdf_fonts import BOLD, REGULAR, register_fonts
from kabinet.receipts.pdf import receipt_pdf
from tests.test_receipt_wide_sums import wide_receipt

pytestmark = pytest.mark.django_db


def forget_reused() -> None:
    for name in (REGULAR, BOLD):
        font = getFont(name)
        font._splits.clear()
        font._shown.clear()
        font._kept.clear()
        font.face._made.clear()
    pdf_fonts._widths.clear()


def test_a_document_drawn_after_others_is_byte_for_byte_one_drawn_first(monkeypatch):
    monkeypatch.setattr(rl_config, "invariant", 1)  # no date or random ID in the file
    ordinary = wide_receipt()
    rare = dataclasses.replace(ordinary, payer="Müller Øystein Ærø")  # beyond the seeded ones
    # its number is drawn before the payer: the payer's rarer letters get other codes here
    rare_first = dataclasses.replace(
        rare, number="ð-1", issued_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    )
    documents = (ordinary, rare_first, rare, ordinary)
    receipt_pdf(ordinary)
    after_others = [receipt_pdf(receipt) for receipt in documents]
    assert len(getFont(REGULAR)._splits) > 50  # the labels, names and figures reused
    assert len(getFont(REGULAR)._shown) > 50  # and their operators

    drawn_first = []
    for receipt in documents:
        forget_reused()
        drawn_first.append(receipt_pdf(receipt))

    assert after_others == drawn_first
    assert len(set(after_others)) == 3


def test_an_encrypted_document_gets_its_font_objects_encrypted_and_reads():
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, encrypt="пароль")
    canvas.setFont(REGULAR, 10)
    canvas.drawString(72, 720, "Итого к оплате: 1 234,56 ₽")
    canvas.save()

    page = pypdfium2.PdfDocument(buffer.getvalue(), password="пароль")[0]

    assert "Итого к оплате: 1 234,56 ₽" in page.get_textpage().get_text_range()
