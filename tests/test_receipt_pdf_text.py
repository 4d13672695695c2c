"""The payment document reads the same after the drawing was made cheaper (issue 21 item 2):
the text of a rich document — ОДН, meters, penalties, recalculations, capital repair, an
instalment plan, a supplier, the issued number — as pypdfium2 extracts it is the text the
drawing of commit ed338da gave (``tests/data/receipt_rich.txt``), and its QR codes read the
same payloads."""

import dataclasses
import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from kabinet.receipts.house_reference import MeterRow
from kabinet.receipts.lines import RecalculationRow
from kabinet.receipts.pdf import receipt_pdf
from tests.test_payment_document import pdf_text, qr_codes
from tests.test_receipt_wide_sums import wide_receipt

pytestmark = pytest.mark.django_db
KEPT = Path(__file__).parent / "data" / "receipt_rich.txt"


def rich_receipt():
    receipt = wide_receipt()
    recalculations = (
        RecalculationRow(service="Отопление", corrected_month=datetime.date(2026, 8, 1),
                         reason="Перерасчёт по показаниям ОДПУ", amount=D("-1234.56")),
        RecalculationRow(service="Холодное водоснабжение",
                         corrected_month=datetime.date(2026, 9, 1),
                         reason="Временное отсутствие потребителя", amount=D("87.20")),
    )  # fmt: skip
    readings = (
        MeterRow(resource_code="cold_water", resource="Холодная вода", serial_number="ХВ-0042",
                 previous=D("120.500"), current=D("125.273"), consumption=D("4.773"),
                 source="потребитель"),
        MeterRow(resource_code="hot_water", resource="Горячая вода", serial_number="ГВ-0043",
                 previous=None, current=D("61.000"), consumption=None, source="исполнитель"),
    )  # fmt: skip
    # what the factories number in sequence, fixed: the text must not depend on the tests run
    # before this one in the process
    payee = dataclasses.replace(receipt.payee, name='ООО "УК № 0"')
    repair = dataclasses.replace(receipt.capital_repair, payee=payee, account_number="5000000")
    return dataclasses.replace(
        receipt, payee=payee, capital_repair=repair, account_number="5000000",
        address="ул. Садовая, д. 1, кв. 1",
        recalculations=recalculations, readings=readings + receipt.readings,
        number="1000001-10.2026", issued_at=datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC),
    )  # fmt: skip


def test_a_rich_document_reads_as_it_did_before_the_drawing_was_made_cheaper():
    pdf = receipt_pdf(rich_receipt())

    assert pdf_text(pdf) == KEPT.read_text()


def test_a_rich_document_has_its_payment_qr_codes():
    receipt = rich_receipt()

    codes = qr_codes(receipt_pdf(receipt))

    assert receipt.qr_payload in codes
