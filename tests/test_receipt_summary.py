"""The payment document's money summary lists its figures in one order on the print page and in
the PDF — the order of its sum: the debt at the start, the month's charges, recalculations and
penalties, what was paid, what is left to pay (issue 17)."""

import datetime
import re

import pytest

from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import receipt_data
from tests.factories import AccountLinkFactory, ChargeFactory
from tests.test_payment_document import pdf_text, receipt_page

pytestmark = pytest.mark.django_db
FIGURES = {  # a label's first words → the figure
    "Задолженность": "opening", "Переплата": "opening", "Начислено за период": "charged",
    "Перерасчёты": "recalculation", "Пени": "penalties", "Оплачено в периоде": "paid",
    "Итого к оплате": "to pay",
}  # fmt: skip
ORDER = ["opening", "charged", "recalculation", "penalties", "paid", "to pay"]


def figures(labels) -> list[str]:
    found = []
    for label in labels:
        for start, figure in FIGURES.items():
            if label.startswith(start) and figure not in found:
                found.append(figure)
    return found


def test_the_page_and_the_pdf_list_the_summary_in_the_order_of_its_sum(client):
    link = AccountLinkFactory()
    client.force_login(link.user)
    account = link.account
    charge = ChargeFactory(account=account, period__organization=account.organization,
                           period__month=datetime.date(2026, 10, 1))  # fmt: skip
    page = receipt_page(client, account)
    summary = re.search(r'<dl class="kb-dl kb-summary mb-0">(.*?)</dl>', page, re.S).group(1)
    page_labels = [
        re.sub(r"<[^>]+>", "", label) for label in re.findall(r"<dt[^>]*>(.*?)</dt>", summary)
    ]
    pdf_lines = pdf_text(receipt_pdf(receipt_data(account, charge.period))).splitlines()
    payment = pdf_lines[pdf_lines.index("Платёжные реквизиты") :]
    assert figures(page_labels) == ORDER
    assert figures(payment) == ORDER
