"""The suppliers named on the demo's services (not the УК): the payment document gives their
requisites for the lines they supply (Правила № 354 п. 69 «б»). Plausible, not real."""

from kabinet.receipts.models import Supplier

TATARSTAN_BANK = {
    "bank_name": "Отделение «Банк Татарстан» № 8610 ПАО Сбербанк",
    "bik": "049205603",
    "correspondent_account": "30101810600000000603",
}
MOSCOW_BANK = {
    "bank_name": "ПАО Сбербанк",
    "bik": "044525225",
    "correspondent_account": "30101810400000000225",
}
KAMAL_SUPPLIERS = [
    {
        "name": "Исполнительный комитет г. Казани",
        "inn": "1655065554",
        "kpp": "165501001",
        "address": "420014, г. Казань, ул. Кремлёвская, д. 1",
        "phone": "+7 (843) 299-15-00",
    },
    {
        "name": 'АО "Водоканал"',
        "inn": "1660023454",
        "kpp": "166001001",
        "address": "420061, г. Казань, ул. Аграрная, д. 2",
        "phone": "+7 (843) 231-62-00",
        "settlement_account": "40702810662000003141",
        **TATARSTAN_BANK,
    },
    {
        "name": 'АО "Татэнерго"',
        "inn": "1658032170",
        "kpp": "165801001",
        "address": "420021, г. Казань, ул. Островского, д. 57",
        "phone": "+7 (843) 291-85-00",
        "settlement_account": "40702810962000007452",
        **TATARSTAN_BANK,
    },
    {
        "name": 'АО "Татэнергосбыт"',
        "inn": "1659041804",
        "kpp": "165901001",
        "address": "420021, г. Казань, ул. Журналистов, д. 1",
        "phone": "+7 (843) 200-01-00",
        "settlement_account": "40702810562000009863",
        **TATARSTAN_BANK,
    },
]
UYUT_SUPPLIERS = [
    {"name": 'МУП "Горводоканал"', "inn": "7717001233", "kpp": "771701001",
     "address": "129090, г. Москва, ул. Щепкина, д. 1", "phone": "+7 (495) 100-00-01",
     "settlement_account": "40702810938000012345", **MOSCOW_BANK},
    {"name": 'ПАО "МОЭК"', "inn": "7701012342", "kpp": "770101001",
     "address": "119526, г. Москва, пр-т Вернадского, д. 101", "phone": "+7 (495) 100-00-02",
     "settlement_account": "40702810438000067890", **MOSCOW_BANK},
]  # fmt: skip


def load_suppliers(kamal, uyut) -> None:
    for organization, suppliers in ((kamal, KAMAL_SUPPLIERS), (uyut, UYUT_SUPPLIERS)):
        rows = [Supplier(organization=organization, **fields) for fields in suppliers]
        for row in rows:
            row.full_clean()  # the demo's requisites pass the checks staff's do
        Supplier.objects.bulk_create(rows)
