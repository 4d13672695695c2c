"""The suppliers of the payment document's lines that are not the organisation itself (a
ресурсоснабжающая организация, another исполнитель): the document gives each one's
requisites — name, ИНН/КПП, address and contacts, bank details — under the services table,
for the services it supplies (Правила № 354 п. 69 «б»; Приказ Минстроя России от 26.01.2018
№ 43/пр, раздел 1; docs/payment-document.md)."""

from dataclasses import dataclass

from kabinet.receipts.lines import ReceiptLine
from kabinet.receipts.models import Supplier


@dataclass(frozen=True)
class SupplierRow:
    """A supplier of some of the receipt's lines; its requisites are empty when staff have
    not entered them (the name and the services are still shown)."""

    name: str
    services: tuple[str, ...]
    inn: str = ""
    kpp: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    bank_name: str = ""
    bik: str = ""
    correspondent_account: str = ""
    settlement_account: str = ""


REQUISITES = (
    "inn",
    "kpp",
    "address",
    "phone",
    "email",
    "website",
    "bank_name",
    "bik",
    "correspondent_account",
    "settlement_account",
)


def line_suppliers(
    lines: tuple[ReceiptLine, ...], organization, payee_name: str, shared: dict | None = None
) -> tuple[SupplierRow, ...]:
    """The suppliers other than the payee that ``lines`` name, in the lines' order, each with
    the services it supplies. No query when every line is the organisation's own; a mass run
    passes ``shared`` and reads the organisation's suppliers once."""
    services: dict[str, list[str]] = {}
    for line in lines:
        if line.supplier and line.supplier != payee_name:
            services.setdefault(line.supplier, []).append(line.service)
    if not services:
        return ()
    organization_id = getattr(organization, "pk", organization)
    key = ("suppliers", organization_id)
    if shared is not None and key in shared:
        known = shared[key]
    else:
        rows = Supplier.objects.filter(organization=organization_id)
        if shared is None:
            rows = rows.filter(name__in=services)
        known = {row[0]: row[1:] for row in rows.values_list("name", *REQUISITES)}
        if shared is not None:
            shared[key] = known
    return tuple(
        SupplierRow(name, tuple(names), *known.get(name, ())) for name, names in services.items()
    )
