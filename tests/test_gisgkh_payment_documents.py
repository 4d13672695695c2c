"""importPaymentDocumentRequest: a closed period's documents validate against the pinned
bills schema (version 11.2.0.16), 500 a message; what cannot go is named before sending."""

import datetime
import uuid
from decimal import Decimal

import pytest

from kabinet.gisgkh.payment_documents import (
    BILLS,
    DOCUMENTS_PER_MESSAGE,
    ChargeLine,
    PaymentDocumentData,
    payment_document_messages,
)
from kabinet.gisgkh.schemas import MessageError, check, schema

ORG = "5d6c7b8a-1234-4abc-9def-0123456789ab"
MAINTENANCE = (50, "1", "e2b2c1a0-0000-4000-8000-000000000050")
COLD_WATER = (51, "1", "e2b2c1a0-0000-4000-8000-000000000051")
OCTOBER = datetime.date(2026, 10, 1)
NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def document(debt=Decimal("100.00"), **fields):
    return PaymentDocumentData(
        **{
            "account": "ЛС 154",
            "account_guid": str(uuid.uuid4()),
            "number": "154-2026-10",
            "lines": (
                ChargeLine(
                    "Содержание жилого помещения",
                    MAINTENANCE,
                    Decimal("20.0000"),
                    Decimal("970.00"),
                    Decimal("970.00"),
                ),
                ChargeLine(
                    "Холодное водоснабжение",
                    COLD_WATER,
                    Decimal("45.120000"),
                    Decimal("225.60"),
                    Decimal("200.00"),
                ),
            ),
            "debt": debt,
            "total": Decimal("1295.60"),
            **fields,
        }
    )


def build(documents):
    return payment_document_messages(
        ORG,
        OCTOBER,
        bik="049205603",
        account_number="40702810462000012345",
        documents=documents,
        now=NOW,
    )


def test_a_document_with_its_lines_and_debt_is_valid():
    [message] = build([document(), document(debt=Decimal("-50.00"))])
    check(message.body, "bills")
    assert message.operation == "importPaymentDocumentData"
    assert message.body.find(f".//{{{BILLS}}}AdvanceBllingPeriod").text == "50.00"
    assert message.body.find(f".//{{{BILLS}}}MunicipalService/{{{BILLS}}}Rate").text == "45.12"


def test_documents_are_batched_to_the_schemas_maximum():
    request = schema("bills").elements["importPaymentDocumentRequest"]
    [documents] = [
        e for e in request.type.content.iter_elements() if e.local_name == "PaymentDocument"
    ]
    assert documents.max_occurs == DOCUMENTS_PER_MESSAGE
    built = build([document() for _ in range(501)])
    assert [len(m.body.findall(f"{{{BILLS}}}PaymentDocument")) for m in built] == [500, 1]


def test_an_account_without_its_guid_and_a_service_without_nsi_are_named():
    line = ChargeLine("Домофон", None, Decimal("50"), Decimal("50.00"), Decimal("50.00"))
    with pytest.raises(MessageError) as refused:
        build([document(account_guid=None, lines=(line,))])
    assert refused.value.errors == [
        "ЛС 154: нет идентификатора ЛС в ГИС ЖКХ — загрузите его",
        "ЛС 154: услуга «Домофон» не сопоставлена НСИ",
    ]


def test_a_sum_the_schema_refuses_is_caught_before_sending():
    with pytest.raises(MessageError, match="TotalPayableByPD"):
        build([document(total=Decimal("123456789012345.00"))])
