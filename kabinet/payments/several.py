"""Paying several linked accounts in one online payment (Главная, «Оплатить несколько счетов»).

Each organisation takes payments into its own shop at the gateway, so one payment can pay only
accounts of one organisation: the resident's accounts with debts are grouped by organisation
(``payable_groups``), and each group is paid by its own payment (``start_several_payment``).
The payment has a part per account (``OnlinePaymentPart``); the gateway's success credits each
account its part, all parts in one transaction (``services.apply_gateway_state``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from kabinet.billing.selectors import balances
from kabinet.formats import format_rubles
from kabinet.money import ZERO
from kabinet.payments import services
from kabinet.payments.commission import commission_at, commission_percent
from kabinet.payments.services import PaymentRefused


@dataclass
class PayableGroup:
    """The accounts of one organisation with a debt: what one payment may pay."""

    organization: object
    limit: Decimal
    accounts: list = field(default_factory=list)  # each with ``.debt``
    commission_percent: Decimal = ZERO  # passed on to the payer (``payments.commission``)

    @property
    def total(self) -> Decimal:
        return sum((account.debt for account in self.accounts), ZERO)

    @property
    def commission(self) -> Decimal:
        """The commission on paying every account of the group."""
        return commission_at(self.total, self.commission_percent)

    @property
    def to_pay(self) -> Decimal:
        return self.total + self.commission


def payable_groups(accounts) -> list[PayableGroup]:
    """The accounts among ``accounts`` that owe (capital repair aside: it has its own payee),
    grouped by organisation, in the order the accounts come."""
    accounts = list(accounts)
    debts = balances(accounts)
    groups: dict[int, PayableGroup] = {}
    for account in accounts:
        if debts[account.pk] <= 0:
            continue
        account.debt = debts[account.pk]
        organization = account.organization
        if organization.pk not in groups:
            groups[organization.pk] = PayableGroup(
                organization,
                services.payment_limit(account),
                commission_percent=commission_percent(organization, timezone.localdate()),
            )
        group = groups[organization.pk]
        group.accounts.append(account)
    return list(groups.values())


def start_several_payment(
    user,
    group: PayableGroup,
    chosen_ids: set[int],
    *,
    return_url: Callable,
    notification_url: str,
    method: str = "",
):
    """One payment of the debts of the chosen accounts of ``group`` (one organisation). Refuses
    (``PaymentRefused``) nothing chosen, an account not in the group, and a sum above the
    organisation's limit of one payment."""
    chosen = [account for account in group.accounts if account.pk in chosen_ids]
    if not chosen_ids or len(chosen) != len(chosen_ids):
        raise PaymentRefused("Выберите лицевые счета с долгом одной организации.")
    total = sum((account.debt for account in chosen), ZERO)
    if total > group.limit:
        raise PaymentRefused(
            f"Онлайн можно оплатить не больше {format_rubles(group.limit)} за раз: "
            "выберите меньше счетов."
        )
    parts = [(account, account.debt) for account in chosen] if len(chosen) > 1 else []
    return services.start_online_payment(
        chosen[0],
        user,
        total,
        parts=parts,
        method=method,
        return_url=return_url,
        notification_url=notification_url,
    )
