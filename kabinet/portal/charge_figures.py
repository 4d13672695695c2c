"""The figures of «Начисления» (issue 21 item 4), cached with the card's and «Платежи»'s
(``portal.figures``, keyed by the account's and its organisation's ``data_version``):

- the months the resident may choose and the history of monthly totals: closed months'
  charges, which never change once closed; closing or reopening a period bumps its
  organisation's version;
- the chosen month's services table and money summary from that month's **issued payment
  document** (``receipts.issuing``), the figures the resident got on paper: a recalculation
  after the issue shows on the next month's document, never by changing this one. A month the
  period's issue has not reached yet is issued on first open, as its receipt page does
  (``issued_document``). A document issued (the period's issue, one opened first, a corrected
  version) bumps its account's version. Only if issuing or reading the document fails does the
  page show the live data, logged as an error, not cached, tried again on the next request."""

import logging
from dataclasses import dataclass

from kabinet.billing.models import Period
from kabinet.billing.selectors import MonthTotals, charge_history
from kabinet.portal.figures import account_figures
from kabinet.receipts.issuing import issued_document, issued_receipt
from kabinet.receipts.selectors import Receipt, receipt_data, receipt_periods

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChargeHistory:
    periods: list[Period]  # closed months with charges, newest first
    history: list[MonthTotals]


def charge_history_figures(account) -> ChargeHistory:
    """The account's months and their totals, from the cache when nothing changed since."""
    return account_figures(
        account,
        "charges",
        lambda: ChargeHistory(periods=receipt_periods(account), history=charge_history(account)),
    )


def month_receipt(account, period: Period) -> Receipt:
    """What «Начисления» shows for the closed ``period``: its issued document's data (with its
    number and date), else — logged as an error — the live data, with no number."""
    try:
        return account_figures(
            account,
            "charges-document",
            lambda: issued_receipt(issued_document(account, period)),
            period.pk,
        )
    except Exception:  # never a 500: the resident still sees the month's figures
        logger.exception(
            "Account %s (pk %s): no readable payment document for %s; «Начисления» shows live data",
            account.number, account.pk, f"{period.month:%m.%Y}",
        )  # fmt: skip
        return receipt_data(account, period)
