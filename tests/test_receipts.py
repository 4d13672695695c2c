"""The payment document's data (reconciled with the ledger) and its PDF with the payment QR."""

import datetime
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.billing.ledger import account_ledger
from kabinet.billing.models import CalculationMethod, PeriodStatus, Recalculation
from kabinet.metering.models import ReadingSource
from kabinet.months import add_months
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.qr import parse_payload
from kabinet.receipts.selectors import receipt_data, receipt_period, receipt_periods
from tests.factories import (
    ChargeFactory,
    MeterFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

OCT = datetime.date(2026, 10, 1)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
corrections = st.decimals(min_value=Decimal("-999.99"), max_value=Decimal("999.99"), places=2)


def pdf_page(pdf: bytes):
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1, "one A4 page"
    return document[0]


def decoded_qr(page) -> str:
    image = page.render(scale=3).to_pil()
    codes = [code for code in zxingcpp.read_barcodes(image) if code.format.name == "QRCode"]
    assert len(codes) == 1
    return codes[0].text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    months=st.lists(
        st.tuples(amounts, amounts, corrections, st.integers(0, 1000)), min_size=1, max_size=4
    ),
    payments=st.lists(st.tuples(st.integers(0, 120), amounts), max_size=6),
    common=st.decimals(min_value=0, max_value=Decimal("99.99"), places=2),
)
def test_receipt_reconciles_with_the_ledger_to_the_kopeck(months, payments, common):
    account = PersonalAccountFactory()
    organization = account.organization
    heating = ServiceFactory(organization=organization, method=CalculationMethod.AREA)
    water = ServiceFactory(organization=organization, method=CalculationMethod.METER)
    penalty = ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    first = add_months(OCT, 1 - len(months))
    for index, (base, metered, correction, penalty_kopecks) in enumerate(months):
        period = PeriodFactory(organization=organization, month=add_months(first, index))
        ChargeFactory(account=account, period=period, service=heating, charged=base)
        ChargeFactory(
            account=account,
            period=period,
            service=water,
            charged=metered + common,
            common_charged=common,
            recalculation=correction,
        )
        if penalty_kopecks:
            ChargeFactory(account=account, period=period, service=penalty,
                          charged=Decimal(penalty_kopecks) / 100, tariff=0, volume=0)  # fmt: skip
    for day, amount in payments:
        PaymentFactory(account=account, amount=amount,
                       paid_on=first + datetime.timedelta(days=day))  # fmt: skip

    for period in receipt_periods(account):
        receipt = receipt_data(account, period)
        ledger = account_ledger(account, period.month, period.month).months[0]
        assert receipt.opening == ledger.opening
        assert receipt.closing == ledger.closing
        assert receipt.closing == (
            receipt.opening + receipt.charged + receipt.recalculation + receipt.penalties
            - receipt.paid
        )  # fmt: skip
        assert receipt.lines_charged == receipt.charged
        assert receipt.lines_recalculation == receipt.recalculation
        assert receipt.lines_total + receipt.penalties == receipt.accrued
        assert receipt.to_pay == max(receipt.closing, 0)
        assert all(line.individual_charged + line.common_charged == line.charged
                   for line in receipt.lines)  # fmt: skip


def test_receipt_shows_payer_payee_and_the_common_house_share():
    account = PersonalAccountFactory(holder_name="Муравьев Сергей Иванович", residents=3,
                                     premise__area=Decimal("54.00"))  # fmt: skip
    ChargeFactory(account=account, service__name="Холодное водоснабжение", service__unit="куб м",
                  tariff=Decimal("51.2000"), volume=Decimal("5.273"),
                  common_volume=Decimal("0.412"), charged=Decimal("291.07"),
                  common_charged=Decimal("21.09"))  # fmt: skip
    receipt = receipt_data(account, receipt_period(account, 2026, 10))
    assert receipt.payer == "Муравьев Сергей Иванович"
    assert receipt.address.endswith(f", кв. {account.premise.number}")
    assert (receipt.area, receipt.residents) == (Decimal("54.00"), 3)
    assert receipt.payee.inn == account.organization.inn
    [line] = receipt.lines
    assert (line.volume, line.common_volume) == (Decimal("5.273"), Decimal("0.412"))
    assert line.individual_charged == Decimal("269.98")
    assert receipt.has_common_share
    # «Оплатить до»: the 15th (Федеральный закон № 177-ФЗ), a Sunday, so Monday the 16th
    assert receipt.pay_by == datetime.date(2026, 11, 16)


def test_recalculations_name_the_period_they_correct_and_why():
    account = PersonalAccountFactory()
    water = ServiceFactory(organization=account.organization, name="ХВС")
    october = PeriodFactory(organization=account.organization, month=OCT)
    august = PeriodFactory(organization=account.organization, month=datetime.date(2026, 8, 1))
    ChargeFactory(account=account, period=october, service=water,
                  recalculation=Decimal("-123.45"))  # fmt: skip
    for corrected, amount in ((august, "-100.00"), (october, "-23.45")):
        Recalculation.objects.bulk_create([Recalculation(  # a closed month's: loaded, not saved
            period=october, corrected_period=corrected, account=account, service=water,
            amount=Decimal(amount), reason="Ошибочные показания",
        )])  # fmt: skip
    receipt = receipt_data(account, october)
    assert [(row.corrected_month, row.amount) for row in receipt.recalculations] == [
        (datetime.date(2026, 8, 1), Decimal("-100.00")),
        (OCT, Decimal("-23.45")),
    ]
    assert receipt.recalculations[0].reason == "Ошибочные показания"
    assert receipt.recalculation == Decimal("-123.45")


def test_meter_readings_used_with_the_previous_one_and_a_rollover():
    account = PersonalAccountFactory()
    ChargeFactory(account=account)
    water = MeterFactory(account=account, digits=5)
    ReadingFactory(meter=water, value=Decimal("99998.500"), period=datetime.date(2026, 9, 1))
    ReadingFactory(meter=water, value=Decimal("3.250"), period=OCT, source=ReadingSource.AVERAGE)
    new_meter = MeterFactory(account=account)
    ReadingFactory(meter=new_meter, value=Decimal("10.000"), period=OCT)
    stranger = MeterFactory()
    ReadingFactory(meter=stranger, period=OCT)

    readings = receipt_data(account, receipt_period(account, 2026, 10)).readings
    by_serial = {row.serial_number: row for row in readings}
    assert set(by_serial) == {water.serial_number, new_meter.serial_number}
    assert by_serial[water.serial_number].consumption == Decimal("4.750")
    assert by_serial[water.serial_number].source == "по среднему"
    assert by_serial[new_meter.serial_number].previous is None


def test_only_closed_periods_with_charges_have_a_receipt():
    account = PersonalAccountFactory()
    ChargeFactory(account=account)
    draft = PeriodFactory(organization=account.organization, month=datetime.date(2026, 11, 1),
                          status=PeriodStatus.OPEN)  # fmt: skip
    ChargeFactory(account=account, period=draft)
    PeriodFactory(organization=account.organization, month=datetime.date(2026, 9, 1))
    assert [period.month for period in receipt_periods(account)] == [OCT]
    assert receipt_period(account, 2026, 11) is None
    assert receipt_period(account, 2026, 9) is None
    assert receipt_period(account, 2026, 13) is None
    with pytest.raises(ValueError, match="closed period"):
        receipt_data(account, draft)


def test_pdf_is_one_a4_page_in_cyrillic_whose_qr_code_a_bank_app_reads():
    account = PersonalAccountFactory(number="1000154", holder_name="Муравьев Сергей Иванович")
    ChargeFactory(account=account, charged=Decimal("6844.42"))
    ChargeFactory(account=account, service__method=CalculationMethod.PENALTY,
                  charged=Decimal("44.95"))  # fmt: skip
    receipt = receipt_data(account, receipt_period(account, 2026, 10))

    page = pdf_page(receipt_pdf(receipt))
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = page.get_textpage().get_text_range().replace("\u00a0", " ")
    assert "Муравьев Сергей Иванович" in text
    assert "Итого к оплате: 6 889,37 ₽" in text

    payload = decoded_qr(page)
    assert payload == receipt.qr_payload
    requisites = parse_payload(payload)
    assert requisites["Sum"] == "688937"
    assert requisites["PersAcc"] == "1000154"
    assert requisites["PaymPeriod"] == "102026"
    assert requisites["PersonalAcc"] == account.organization.settlement_account
    assert requisites["PayeeINN"] == account.organization.inn


def test_the_qr_code_reads_on_a_screen_at_96_dpi_and_printed_at_300():
    """The code is a 1-bit image scaled without smoothing: read where a phone may meet it, a
    PDF shown at 100 % on a 96 dpi screen (1.6 pixels a module) and a page printed at 300."""
    account = PersonalAccountFactory(holder_name="Муравьев Сергей Иванович")
    ChargeFactory(account=account, charged=Decimal("6844.42"))
    receipt = receipt_data(account, receipt_period(account, 2026, 10))
    page = pdf_page(receipt_pdf(receipt))
    for dpi in (96, 300):
        image = page.render(scale=dpi / 72).to_pil()
        codes = [code.text for code in zxingcpp.read_barcodes(image)]
        assert codes == [receipt.qr_payload], dpi


def test_an_overpaid_account_gets_a_receipt_with_nothing_to_pay():
    account = PersonalAccountFactory()
    ChargeFactory(account=account, charged=Decimal("100.00"))
    PaymentFactory(account=account, amount=Decimal("250.00"), paid_on=OCT)
    receipt = receipt_data(account, receipt_period(account, 2026, 10))
    assert receipt.closing == Decimal("-150.00")
    assert receipt.to_pay == 0
    assert "Sum" not in parse_payload(receipt.qr_payload)
    assert decoded_qr(pdf_page(receipt_pdf(receipt))) == receipt.qr_payload


def test_receipt_without_usable_bank_details_is_printed_without_the_code():
    account = PersonalAccountFactory(premise__house__organization__bik="12345")  # not a BIC
    ChargeFactory(account=account)
    receipt = receipt_data(account, receipt_period(account, 2026, 10))
    assert receipt.qr_payload is None
    text = pdf_page(receipt_pdf(receipt)).get_textpage().get_text_range()
    assert "QR-код для оплаты не сформирован" in text


def test_a_long_receipt_still_renders():
    account = PersonalAccountFactory()
    period = PeriodFactory(organization=account.organization, month=OCT)
    for index in range(60):
        ChargeFactory(account=account, period=period, service__name=f"Услуга {index}")
    document = pypdfium2.PdfDocument(receipt_pdf(receipt_data(account, period)))
    assert len(document) == 2
