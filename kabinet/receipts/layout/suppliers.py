"""The requisites of the suppliers that are not the organisation (a ресурсоснабжающая
организация, another исполнитель), for the lines they supply: Правила № 354 п. 69 «б» asks the
document for the исполнитель's name, bank details, address and phones, and the form of Приказ
Минстроя России от 26.01.2018 № 43/пр gives them in its section 1 («Сведения о плательщике и
исполнителе услуг»); see docs/payment-document.md. Drawn only when such lines exist."""

from kabinet.receipts.layout.grid import Column, Grid, Section
from kabinet.receipts.selectors import Receipt
from kabinet.receipts.suppliers import SupplierRow

SUPPLIERS_TITLE = "Сведения о поставщиках услуг"


def _requisites(row: SupplierRow) -> str:
    """The supplier's requisites that staff entered: ИНН and КПП, address and contacts on the
    first line, the bank details on the next."""
    taxpayer = ", ".join(
        part for part in (row.inn and f"ИНН {row.inn}", row.kpp and f"КПП {row.kpp}") if part
    )
    contacts = [taxpayer, row.address, row.phone and f"тел. {row.phone}", row.email, row.website]
    lines = ["; ".join(part for part in contacts if part)]
    if row.settlement_account:
        lines.append(
            f"р/с {row.settlement_account} в {row.bank_name}, БИК {row.bik}, "
            f"к/с {row.correspondent_account}"
        )
    return "\n".join(line for line in lines if line) or "реквизиты не указаны"


def suppliers_section(receipt: Receipt) -> Section:
    grid = Grid(
        caption="",
        columns=(
            Column("Поставщик и его услуги", 0.25, numeric=False, wrap=True),
            Column("Реквизиты", 0.75, numeric=False, wrap=True),
        ),
        rows=tuple(
            (f"{row.name}\n{', '.join(row.services)}", _requisites(row))
            for row in receipt.suppliers
        ),
    )
    return Section("suppliers", SUPPLIERS_TITLE, (grid,))
