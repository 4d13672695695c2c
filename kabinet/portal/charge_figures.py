"""The figures of «Начисления» (issue 21 item 4), cached with the card's and «Платежи»'s
(``portal.figures``, keyed by the account's and its organisation's ``data_version``):

- the months the resident may choose and the history of monthly totals: closed months'
  charges, which never change once closed; closing or reopening a period bumps its
  organisation's version;
- the chosen month's services table and money summary from that month's **issued payment
  document** (``receipts.issuing``), the figures the resident got on paper: a recalculation
  after the issue shows on the next month's document, never by changing this one. A document
  issued (the period's issue, one asked for first, a corrected version) bumps its account's
  version. A month whose document is missing or unreadable (its issue failed or has not run
  yet) shows the live data, logged as an error and read anew on every request: that data reads
  requisites, houses and readings whose writers bump no version."""

import logging
from dataclasses import dataclass

from kabinet.billing.models import Period
from kabinet.billing.selectors import MonthTotals, charge_history
from kabinet.portal.figures import account_figures
from kabinet.receipts.issuing import issued_receipt, latest_document
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


def document_receipt(account, period: Period) -> Receipt | None:
    """The data of the account's newest issued document for ``period`` (``None`` without a
    readable one)."""
    document = latest_document(account, period)
    if document is None:
        return None
    try:
        return issued_receipt(document)
    except Exception:  # data the code no longer reads: the live figures take its place
        logger.exception("Issued document %s (pk %s): its data cannot be read",
                         document.number, document.pk)  # fmt: skip
        return None


def month_receipt(account, period: Period) -> Receipt:
    """What «Начисления» shows for the closed ``period``: its issued document's data (with its
    number and date), else — logged as an error — the live data, with no number."""
    receipt = account_figures(
        account, "charges-document", lambda: document_receipt(account, period), period.pk
    )
    if receipt is None:
        logger.error(
            "Account %s (pk %s) has no issued document for %s: «Начисления» shows live data",
            account.number, account.pk, f"{period.month:%m.%Y}",
        )  # fmt: skip
        receipt = receipt_data(account, period)
    return receipt
