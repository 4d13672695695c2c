"""The payment document's tables as text, in the order of the form of Приказ Минстроя России
от 26.01.2018 № 43/пр: one layout that both the print page and the PDF draw, so that the two
show the same sections in the same order and every total under its own column.

A column of the form is shown when the receipt has something to put in it (``when``): the
form's «коэффициент», «штрафы исполнителя» and the like get an entry in ``SERVICE_COLUMNS``
once the billing stores their figures; no column is drawn empty. The sources, and what is
left for later: ``docs/payment-document.md``."""

from kabinet.receipts.layout.capital_repair import CAPITAL_REPAIR_TITLE, capital_repair_section
from kabinet.receipts.layout.grid import Column, Grid, PaymentBlock, Section
from kabinet.receipts.layout.instalments import INSTALMENTS_TITLE, instalments_section
from kabinet.receipts.layout.reference import REFERENCE_TITLE, reference_section
from kabinet.receipts.layout.services import (
    RECALCULATIONS_TITLE,
    SERVICE_COLUMNS,
    SERVICES_TITLE,
    recalculations_grid,
    services_grid,
)
from kabinet.receipts.layout.suppliers import SUPPLIERS_TITLE, suppliers_section
from kabinet.receipts.selectors import Receipt

__all__ = [
    "CAPITAL_REPAIR_TITLE",
    "INSTALMENTS_TITLE",
    "RECALCULATIONS_TITLE",
    "REFERENCE_TITLE",
    "SERVICES_TITLE",
    "SERVICE_COLUMNS",
    "SUPPLIERS_TITLE",
    "Column",
    "Grid",
    "PaymentBlock",
    "Section",
    "receipt_sections",
    "services_grid",
]


def receipt_sections(receipt: Receipt) -> tuple[Section, ...]:
    """The sections below the payer's and the payment's blocks, in the form's order; a
    section with nothing to show is left out (no empty headings)."""
    sections = [Section("services", SERVICES_TITLE, (services_grid(receipt),))]
    if receipt.recalculations:
        sections.append(
            Section("recalculations", RECALCULATIONS_TITLE, (recalculations_grid(receipt),))
        )
    if receipt.suppliers:
        sections.append(suppliers_section(receipt))
    if receipt.capital_repair is not None:
        sections.append(capital_repair_section(receipt, receipt.capital_repair))
    sections.append(reference_section(receipt))
    if receipt.instalments:
        sections.append(instalments_section(receipt))
    return tuple(sections)
