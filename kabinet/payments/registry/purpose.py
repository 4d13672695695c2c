"""The payment's purpose (назначение платежа) of a bank registry row, read for the account and
the month it pays — what a payment made by the receipt's QR code carries.

The receipt's QR code (ГОСТ Р 56042-2014, ``receipts.qr``) gives the bank ``PersAcc`` (the
personal account), ``PaymPeriod`` (the month, ``ММГГГГ``) and ``Purpose`` (our text «Оплата
ЖКУ за октябрь 2026, ЛС 5000001»). A bank's registry passes them on either in its own columns
(ЛС, период) or only in the purpose: as the requisites themselves (``PersAcc=…|PaymPeriod=…``,
separated by «|» or «;») or as the Purpose text. Both are read here; a registry's own ЛС and
period columns, when filled, take precedence (``formats.parse_table``).
"""

import datetime
import re

from kabinet.formats import MONTHS
from kabinet.months import month_of

# ГОСТ Р 56042-2014's requisites, as «Key=Value» pairs; case-insensitive as banks write them.
REQUISITE = re.compile(r"(?i)(persacc|paymperiod)\s*=\s*([^|;]*)")
# «ЛС 5000001», «ЛС № 5000001», «л/с 5000001», «лицевой счёт 5000001»
ACCOUNT = re.compile(r"(?i)(?:\bл/?с|лицевой\s+сч[её]т)\s*[№N:]?\s*([0-9][0-9-]{0,29})")
# «за октябрь 2026» (the month's name in the nominative, as the receipt writes it) or «10.2026»
NAMED_MONTH = re.compile(r"(?i)\b(" + "|".join(MONTHS) + r")\s+(\d{4})")
NUMBERED_MONTH = re.compile(r"(?<![\d.])(0[1-9]|1[0-2])[./](\d{4})(?![\d.])", re.ASCII)


def _period(month: str, year: str) -> datetime.date | None:
    try:
        return month_of(int(year), int(month))
    except ValueError:
        return None


def read_purpose(text: str) -> tuple[str, datetime.date | None]:
    """(the account number, the month) the purpose names; ``""`` / ``None`` for what it does
    not name."""
    account, period = "", None
    for key, value in REQUISITE.findall(text):
        value = value.strip()
        if key.lower() == "persacc" and value:
            account = value
        elif key.lower() == "paymperiod" and re.fullmatch(r"\d{6}", value, re.ASCII):
            period = _period(value[:2], value[2:])
    if not account and (match := ACCOUNT.search(text)):
        account = match.group(1).rstrip("-")
    if period is None and (match := NAMED_MONTH.search(text)):
        period = _period(str(MONTHS.index(match.group(1).lower()) + 1), match.group(2))
    if period is None and (match := NUMBERED_MONTH.search(text)):
        period = _period(match.group(1), match.group(2))
    return account, period
