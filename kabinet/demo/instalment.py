"""ЛС 1000158 pays its heating of four months before the last closed one in instalments
(Правила № 354 п. 72): six monthly shares with interest at the highest rate the law allows on
the day it was granted, so the last closed month's payment document shows section 5."""

from kabinet.billing.instalments import max_rate
from kabinet.billing.models import Charge, InstalmentPlan
from kabinet.months import add_months

# ЛС 1000158's instalment plan: the service, how many months before the last closed one its
# charge is spread, over how many months.
INSTALMENT = ("1000158", "Отопление", 4, 6)


def grant_instalment(account, period, operator):
    """ЛС 1000158's plan for the whole of the month's heating, on the 3rd of the next month."""
    line = Charge.objects.get(period=period, account=account, service__name=INSTALMENT[1])
    granted_on = add_months(period.month, 1).replace(day=3)
    plan = InstalmentPlan(
        period=period, account=account, service=line.service, amount=line.total,
        months=INSTALMENT[3], rate=max_rate(account.organization, granted_on),
        granted_on=granted_on, consent_on=granted_on, created_by=operator,
    )  # fmt: skip
    plan.full_clean()
    plan.save()
