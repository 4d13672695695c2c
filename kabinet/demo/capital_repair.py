"""The demo house's capital repair fund: a special account of the УК (ЖК РФ ст. 170 ч. 3,
ст. 175). Its owners (not the municipal flats, whose owner pays) are charged contributions
per m² and pay them apart, by the payment document's second QR code; ЛС 1000155 pays one
month's contribution late, which earns the ч. 14.1 penalty."""

from kabinet.billing.models import CapitalRepairFund, CapitalRepairFundKind
from kabinet.demo.world import KAMAL
from kabinet.payments.models import Payment, PaymentSource

# The house's special account for capital repair, owned by the УК (ЖК РФ ст. 175).
KAMAL_FUND = {
    "kind": CapitalRepairFundKind.SPECIAL_ACCOUNT, "payee_name": KAMAL, "inn": "1659001230",
    "kpp": "165901001", "bank_name": "Отделение «Банк Татарстан» № 8610 ПАО Сбербанк",
    "bank_short_name": "Банк Татарстан № 8610 ПАО Сбербанк", "bik": "049205603",
    "correspondent_account": "30101810600000000603",
    "settlement_account": "40705810762000000012",
}  # fmt: skip
LATE_CONTRIBUTION = ("1000155", 3, 28)  # account, months before the last closed one, day paid


def load_capital_repair_fund(house) -> None:
    fund = CapitalRepairFund(house=house, **KAMAL_FUND)
    fund.full_clean()
    fund.save()


def contribution_payment(account, amount, paid_month, index, period, before_last_closed):
    """``account``'s payment of the contribution ``amount`` charged in ``period`` (the
    ``index``-th month, ``before_last_closed`` months before the last closed one): on the 10th
    of ``paid_month``, or late for LATE_CONTRIBUTION."""
    late = LATE_CONTRIBUTION[:2] == (account.number, before_last_closed)
    return Payment(
        account=account, amount=amount, source=PaymentSource.BANK,
        paid_on=paid_month.replace(day=LATE_CONTRIBUTION[2] if late else 10),
        external_id=f"demo-{account.number}-{index}-kr", period=period.month,
        payer_name=account.holder_name, capital_repair=True,
    )  # fmt: skip
