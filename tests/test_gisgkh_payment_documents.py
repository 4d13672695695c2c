"""importPaymentDocumentRequest: a closed period's documents validate against the pinned
bills schema (version 11.2.0.16), 500 a message, with penalties, the capital repair
contribution to its own payee, readings, recalculations and instalments; what cannot go is
named before sending, by its account; the totals add up to the kopeck (a property)."""

import datetime
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.gisgkh.messages import BASE
from kabinet.gisgkh.payment_documents import (
    BILLS,
    DOCUMENTS_PER_MESSAGE,
    CapitalRepair,
    ChargeLine,
    HouseFigures,
    Instalment,
    MeterReading,
    PaymentDocumentData,
    PenaltyCharge,
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
                    recalculation=Decimal("-25.60"),
                ),
            ),
            "debt": debt,
            "total": Decimal("1170.00") + debt,
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
        build([document(account_guid=None, lines=(line,), total=Decimal("150.00"))])
    assert refused.value.errors == [
        "ЛС 154: нет идентификатора ЛС в ГИС ЖКХ — загрузите его",
        "ЛС 154: услуга «Домофон» не сопоставлена НСИ",
    ]


def test_a_sum_longer_than_the_schema_allows_is_caught_before_sending():
    with pytest.raises(MessageError, match=r"ЛС 154: долг прошлых периодов: .* цифр до точки"):
        build([document(debt=Decimal("123456789012345.00"))])


PENALTIES = (329, "1", "e2b2c1a0-0000-4000-8000-000000000329")
REPAIR_BANK = ("049205603", "40705810762000000012")


def full_document(**fields):
    """A document with every part: a utility with its recalculation, fine, coefficient,
    reading and instalment, a meter, both kinds of penalties, the capital repair contribution
    to its own payee."""
    heating = ChargeLine(
        "Отопление", (51, "2", "e2b2c1a0-0000-4000-8000-000000000052"), Decimal("2400.500000"),
        Decimal("1500.00"), Decimal("1390.00"), recalculation=Decimal("-60.00"),
        executor_fine=Decimal("50.00"), recalculation_reason="Отопление, сентябрь 2026: качество",
        volume=Decimal("0.6249"), common_volume=Decimal("0.0100"), coefficient=Decimal("1.50"),
        coefficient_charged=Decimal("500.00"), current_reading=Decimal("12.345"),
        normative=Decimal("0.0192"),
        instalment=Instalment(Decimal("0"), Decimal("250.00"), Decimal("3.12"), Decimal("9.50")),
        house=HouseFigures(Decimal("1520.3"), Decimal("41.25"), Decimal("0.8"), Decimal("0.0150")),
    )  # fmt: skip
    parts = {
        "lines": (heating,),
        "readings": (MeterReading("горячая вода, № 7", Decimal("10.5"), "113", (2, 3)),),
        "penalties": (
            PenaltyCharge(PENALTIES, "Пени (ч. 14)", Decimal("12.34")),
            PenaltyCharge(PENALTIES, "Пени (ч. 14.1)", Decimal("1.11"), capital_repair=True),
        ),
        "capital_repair": CapitalRepair(
            rate=Decimal("14.50"),
            charged=Decimal("725.00"),
            recalculation=Decimal("0"),
            debt=Decimal("725.00"),
            bik=REPAIR_BANK[0],
            bank_account=REPAIR_BANK[1],
            account_number="154",
            own_payee=True,
        ),
        "account_number": "154",
        "debt": Decimal("100.00"),
        "total": Decimal("1390.00") + Decimal("13.45") + Decimal("725.00") * 2 + Decimal("100"),
    }
    return document(**{**parts, **fields})


def test_every_part_of_a_document_is_posted_and_valid():
    [message] = build([full_document(), document()])
    check(message.body, "bills")
    keys = [
        e.findtext(f"{{{BASE}}}TransportGUID")
        for e in message.body.findall(f"{{{BILLS}}}PaymentInformation")
    ]
    full, plain = message.body.findall(f"{{{BILLS}}}PaymentDocument")
    details = full.findall(f"{{{BILLS}}}DetailsPaymentInformation")
    assert [d.findtext(f"{{{BILLS}}}PaymentInformationKey") for d in details] == keys
    assert [d.findtext(f"{{{BILLS}}}TotalPayableWithDebtAndAdvance") for d in details] == [
        "1502.34",  # the lines, the ч. 14 penalty and the debt, to the УК
        "1451.11",  # the contribution, its debt and the ч. 14.1 penalty, to the fund
    ]
    assert full.findtext(f"{{{BILLS}}}TotalPayableByPDWithDebtAndAdvance") == "2953.45"
    assert full.findtext(f".//{{{BILLS}}}ServiceProviderPenalties") == "50.00"
    assert full.findtext(f".//{{{BILLS}}}PaymentRecalculation/{{{BILLS}}}sum") == "-110.00"
    assert full.findtext(f".//{{{BILLS}}}MultiplyingFactor/{{{BILLS}}}Ratio") == "1.50"
    assert full.findtext(f".//{{{BILLS}}}piecemealPaymentSum") == "253.12"
    information = full.find(f".//{{{BILLS}}}ServiceInformation")
    assert [(e.tag.split("}")[1], e.text) for e in information] == [
        ("individualConsumptionCurrentValue", "12.345"),
        ("houseOverallNeedsCurrentValue", "1520.3"),
        ("houseTotalIndividualConsumption", "41.25"),
        ("houseTotalHouseOverallNeeds", "0.8"),
        ("houseOverallNeedsNorm", "0.015"),
        ("individualConsumptionNorm", "0.0192"),
    ]
    assert plain.findtext(f"{{{BILLS}}}PaymentInformationKey") == keys[0]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"account_guid": "154"}, "идентификатор ЛС в ГИС ЖКХ «154» — не GUID"),
        ({"number": "1" * 31}, f"номер документа «{'1' * 31}» — от 1 до 30 знаков"),
        ({"total": "1270,00"}, "итого к оплате: «1270,00» — число пишется с точкой"),
        (
            {"penalties": (PenaltyCharge(None, "Пени (ч. 14)", Decimal("1.00")),)},
            "«Пени (ч. 14)»: услуга пеней не сопоставлена НСИ",
        ),
        ({"total": Decimal("1.00")}, "итого к оплате 1.00 не сходится с частями документа"),
        (
            {
                "capital_repair": CapitalRepair(
                    Decimal(1), Decimal(0), Decimal(0), Decimal(0), own_payee=True
                )
            },
            "у получателя взносов на капитальный ремонт не указаны БИК и расчётный счёт",
        ),
    ],
)
def test_a_wrong_value_is_named_with_its_account_before_anything_is_built(fields, reason):
    with pytest.raises(MessageError) as refused:
        build([document(**fields)])
    assert any(error.startswith(f"ЛС 154: {reason}") for error in refused.value.errors), (
        refused.value.errors
    )


def test_a_negative_the_schema_forbids_is_named():
    repair = CapitalRepair(Decimal("-14.50"), Decimal("0"), Decimal("0"), Decimal("0"))
    with pytest.raises(MessageError) as refused:
        build([full_document(capital_repair=repair)])
    assert refused.value.errors == [
        "ЛС 154: взнос на капитальный ремонт, размер взноса: -14.50 — отрицательное значение, "
        "а схема допускает только от нуля"
    ]


kopecks = st.integers(-(10**7), 10**7).map(lambda k: Decimal(k).scaleb(-2))
positive = st.integers(0, 10**6).map(lambda k: Decimal(k).scaleb(-2))


@st.composite
def documents(draw):
    lines = []
    for index in range(draw(st.integers(0, 4))):
        charged, recalculation, fine = draw(kopecks), draw(kopecks), draw(positive)
        lines.append(ChargeLine(f"Услуга {index}", (draw(st.sampled_from([50, 51, 1])), "1",
                                str(uuid.uuid4())), Decimal("1.5"), charged,
                                charged + recalculation - fine, recalculation, fine))  # fmt: skip
    penalties = tuple(
        PenaltyCharge(PENALTIES, f"Пени {n}", draw(kopecks), capital_repair=draw(st.booleans()))
        for n in range(draw(st.integers(0, 2)))
    )
    repair = draw(st.none() | st.builds(
        CapitalRepair, positive, kopecks, kopecks, kopecks, st.just(""),
        st.just(REPAIR_BANK[0]), st.just(REPAIR_BANK[1]), st.just("154"), st.booleans(),
    ))  # fmt: skip
    debt = draw(kopecks)
    total = (
        debt + sum((line.total for line in lines), Decimal(0))
        + sum((p.amount for p in penalties), Decimal(0))
        + (repair.total + repair.debt if repair else 0)
    )  # fmt: skip
    return document(lines=tuple(lines), penalties=penalties, capital_repair=repair, debt=debt,
                    total=total)  # fmt: skip


def money_of(element, path) -> Decimal:
    return sum((Decimal(e.text) for e in element.findall(path)), Decimal(0))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents(), min_size=1, max_size=3))
def test_the_totals_add_up_to_the_kopeck(posted):
    [message] = build(posted)
    check(message.body, "bills")
    for source, element in zip(posted, message.body.findall(f"{{{BILLS}}}PaymentDocument"),
                               strict=True):  # fmt: skip
        b = f"{{{BILLS}}}"
        charges = money_of(element, f"{b}ChargeInfo/*/{b}TotalPayable") + money_of(
            element, f"{b}CapitalRepairCharge/{b}TotalPayable"
        )
        penalties = money_of(element, f"{b}PenaltiesAndCourtCosts/{b}TotalPayable")
        assert money_of(element, f"{b}TotalPayableByChargeInfo") == charges
        assert money_of(element, f"{b}TotalPayableByPD") == charges + penalties
        debt = money_of(element, f"{b}DebtPreviousPeriods") - money_of(
            element, f"{b}AdvanceBllingPeriod"
        )
        with_debt = money_of(element, f"{b}TotalPayableByPDWithDebtAndAdvance")
        assert with_debt == charges + penalties + debt == source.total
        if element.find(f"{b}DetailsPaymentInformation") is not None:
            parts = f"{b}DetailsPaymentInformation/{b}"
            assert money_of(element, parts + "TotalPayableWithDebtAndAdvance") == with_debt
