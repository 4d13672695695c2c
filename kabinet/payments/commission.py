"""The commission an organisation passes on to the payer of an online payment
(``PaymentCommission``, dated rows in the back office's organisation page).

Whether a УК passes the gateway's fee on is its own decision; the cabinet only makes it plain:
the payer sees the percent and the sum before paying, the gateway is asked for the amount plus
the commission, and only the amount is credited to the account's debt. A capital repair
contribution, paid to its own payee, bears none (docs/billing-law.md, «Commission»).
"""

import datetime
from decimal import Decimal

from django.db.models import Q

from kabinet.money import ZERO, round_money
from kabinet.payments.models import PaymentCommission


def commission_percent(organization, day: datetime.date) -> Decimal:
    """The percent in force on ``day`` (the latest row begun by then), else 0."""
    row = (
        PaymentCommission.objects.filter(organization=organization, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )
    return row.percent if row else ZERO


def commission_for(organization, amount: Decimal, day: datetime.date) -> Decimal:
    """The commission on ``amount`` at the percent in force on ``day``."""
    return commission_at(amount, commission_percent(organization, day))


def commission_at(amount: Decimal, percent: Decimal) -> Decimal:
    """``percent`` of ``amount``, rounded half up to the kopeck."""
    return round_money(amount * percent / 100) if percent else ZERO
