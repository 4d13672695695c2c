"""ЛС 1000154, the demo resident's (the seed manual's example): it falls behind four months
before the last closed one, so penalties appear from the month its debt turns 30 days late;
its cold-water reading for one month is mistyped, corrected by staff and that month
recalculated; its last payment is sized so that it ends with the seed's «Долг: 6 889,37»; it
carries the identifiers ГИС ЖКХ would give it."""

from decimal import Decimal

from kabinet.billing.models import (
    Charge,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
    Service,
)
from kabinet.billing.recalculations import add_recalculation
from kabinet.billing.run import run_billing
from kabinet.demo.world import moment
from kabinet.formats import format_quantity, month_name
from kabinet.metering.models import ReadingSource, Resource
from kabinet.metering.services import record_readings
from kabinet.money import ZERO, money_sum
from kabinet.months import add_months
from kabinet.payments.models import Payment
from kabinet.receipts.models import PaymentDocumentId

D = Decimal
SEED_ACCOUNT = "1000154"
SEED_DEBT = D("6889.37")  # the seed's «Долг: 6 889,37» on ЛС 1000154
# ГИС ЖКХ's identifiers of ЛС 1000154 as the system would have given them (kabinet.housing.gis):
# ЕЛС of 10 characters, the ЖКУ identifier (13) = ЕЛС + service number, an ИПД (18) a month.
SEED_UNIFIED_ACCOUNT = "16АБ015400"
SEED_SERVICE_ID = f"{SEED_UNIFIED_ACCOUNT}-01"
# ЛС 1000154's payments for the months before the last closed one, by how many months before
# it they pay for: (day of the next month, amount; None — the month's charges). Nothing for one
# month and two partial payments leave a debt that turns 30 and then 90 days late; the
# payment for the month before the last one pays off nearly all of it and is sized (``settle``)
# to leave the seed's debt.
SEED_PAYMENTS = {4: (14, ZERO), 3: (17, D("2000.00")), 2: (12, D("3000.00")), 1: (20, None)}
SEED_CORRECTED = 5  # months before the last closed one: the month of the mistyped reading
SEED_TYPO = D("9.000")  # two digits swapped: 9 m³ too many


class SeedAccount:
    """ЛС 1000154's story in the demo: its payments, the corrected reading, the final debt."""

    def __init__(self, account, cold_water_meter, operator, months):
        self.account, self.meter, self.operator = account, cold_water_meter, operator
        self.last = len(months) - 1

    def payment(self, index, total, payment):
        """The account's payment for month ``index``, as planned in SEED_PAYMENTS."""
        plan = SEED_PAYMENTS.get(self.last - index)
        if plan is None:
            return payment
        day, amount = plan
        payment.paid_on = payment.paid_on.replace(day=day)
        payment.amount = total if amount is None else amount
        return payment

    def before_run(self, index, period):
        """Staff correct the mistyped reading of the month before and recalculate that month."""
        if self.last - index != SEED_CORRECTED - 1:
            return
        corrected = Period.objects.get(
            organization=period.organization, month=add_months(period.month, -1)
        )
        reading = self.meter.readings.get(period=corrected.month)
        right = reading.value - SEED_TYPO
        record_readings(
            {self.meter: right}, period=corrected.month, taken_on=period.month.replace(day=3),
            source=ReadingSource.STAFF, user=self.operator,
        )  # fmt: skip
        reason = (
            f"Исправлено показание счётчика ХВС № {self.meter.serial_number} за "
            f"{month_name(corrected.month)}: передано {format_quantity(reading.value)} вместо "
            f"{format_quantity(right)}"
        )
        cold_water = Service.objects.get(organization=period.organization,
                                         resource=Resource.COLD_WATER)  # fmt: skip
        # wastewater, charged on the water's volume, follows by itself (its own recalculations)
        add_recalculation(self.account, cold_water, corrected, RecalculationKind.READING, reason,
                          user=self.operator)  # fmt: skip
        made_on = moment(period.month, 3)
        Recalculation.objects.filter(account=self.account).update(created_at=made_on)

    def settle(self, period):
        """Size the payment made in the last closed month so that the debt after it is the
        seed's figure. The payment changes that month's penalty a little: run it again until
        the figure holds."""
        payment = Payment.objects.get(account=self.account, period=add_months(period.month, -1))
        for _ in range(5):
            debt = money_sum(Charge.objects.filter(account=self.account), "total") - money_sum(
                Payment.objects.filter(account=self.account), "amount"
            )
            if debt == SEED_DEBT:
                return
            payment.amount += debt - SEED_DEBT
            if payment.amount <= 0:
                raise ValueError("The demo history must leave a debt above the seed's figure.")
            payment.save(update_fields=["amount"])
            run_billing(period)
        raise ValueError("The seed's debt could not be reached.")


def load_gis_identifiers(account):
    """The ЕЛС, the ЖКУ identifier and an ИПД for each closed month of ``account``."""
    account.unified_account, account.gis_service_id = SEED_UNIFIED_ACCOUNT, SEED_SERVICE_ID
    account.save(update_fields=["unified_account", "gis_service_id"])
    PaymentDocumentId.objects.bulk_create(
        PaymentDocumentId(
            account=account, period=period, value=f"{SEED_SERVICE_ID}-{period.month:%m%y}"
        )
        for period in Period.objects.filter(
            organization=account.organization_id, status=PeriodStatus.CLOSED
        )
    )
