"""The payment QR code of ГОСТ Р 56042-2014 («Двумерные символы штрихового кода для
осуществления платежей физических лиц»), the string every Russian banking app reads.

The string is ``ST0001`` + ``2`` (UTF-8) followed by ``|Key=Value`` pairs: first the five
mandatory requisites (Name, PersonalAcc, BankName, BIC, CorrespAcc), then optional ones
(PayeeINN, KPP, PersAcc, Sum in kopecks, Purpose, PaymPeriod as MMYYYY, DocIdx — the
ИПД of ГИС ЖКХ when imported, …).
"""

import re

import segno

from kabinet.formats import cut_at_word

HEADER = "ST00012"  # format ST, version 0001, character set 2 = UTF-8
SEPARATOR = "|"
MANDATORY = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")

# Requisites whose format the standard fixes: a value that does not match is refused.
FORMATS = {
    "PersonalAcc": re.compile(r"\d{20}", re.ASCII),
    "BIC": re.compile(r"\d{9}", re.ASCII),
    "CorrespAcc": re.compile(r"\d{20}", re.ASCII),
    "PayeeINN": re.compile(r"\d{10}|\d{12}", re.ASCII),
    "KPP": re.compile(r"\d{9}", re.ASCII),
    "Sum": re.compile(r"\d{1,18}", re.ASCII),
    "PaymPeriod": re.compile(r"(0[1-9]|1[0-2])\d{4}", re.ASCII),
    "PersAcc": re.compile(r"[^|\s][^|]{0,29}", re.ASCII),
}
# Free-text requisites and the standard's length limits (characters). Longer text is cut
# after a whole word: a bank app only shows it, the accounts and the BIC identify the payee.
TEXT_LIMITS = {"Name": 160, "BankName": 45, "Purpose": 210, "PayerAddress": 210}

# The whole string: what a QR code of version 25 at level M (the standard's error correction)
# holds; a denser symbol printed 4 cm wide is no longer read reliably by a phone camera.
MAX_PAYLOAD_BYTES = 1000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+", re.ASCII)


class PaymentCodeError(ValueError):
    """The requisites cannot make a valid payment code (the message names the problem)."""


def clean_text(value: str, limit: int | None = None) -> str:
    """A value that cannot break the string: the separator becomes ``/`` (every banking app
    splits on ``|`` only, so another separator is not an option), control characters a space."""
    text = _CONTROL.sub(" ", str(value)).replace(SEPARATOR, "/").strip()
    return cut_at_word(text, limit) if limit else text


def payment_payload(**requisites) -> str:
    """The ГОСТ Р 56042-2014 string for the requisites given as keyword arguments (empty or
    ``None`` optional ones are left out). Raises ``PaymentCodeError``."""
    values = {
        key: clean_text(value, TEXT_LIMITS.get(key))
        for key, value in requisites.items()
        if value is not None
    }
    missing = [key for key in MANDATORY if not values.get(key)]
    if missing:
        raise PaymentCodeError(f"Не заполнены обязательные реквизиты: {', '.join(missing)}.")
    parts = [HEADER]
    for key in [*MANDATORY, *(key for key in values if key not in MANDATORY)]:
        text = values[key]
        if not text:
            continue
        if not re.fullmatch(r"[A-Za-z]+", key):
            raise PaymentCodeError(f"Недопустимое имя реквизита: {key!r}.")
        pattern = FORMATS.get(key)
        if pattern and not pattern.fullmatch(text):
            raise PaymentCodeError(f"Неверное значение реквизита {key}: {text!r}.")
        parts.append(f"{key}={text}")
    payload = SEPARATOR.join(parts)
    size = len(payload.encode())
    if size > MAX_PAYLOAD_BYTES:
        raise PaymentCodeError(
            f"Строка платёжного кода длиннее {MAX_PAYLOAD_BYTES} байт ({size} байт)."
        )
    return payload


def parse_payload(payload: str) -> dict[str, str]:
    """The requisites of a payment string (what a banking app reads from it)."""
    header, *pairs = payload.split(SEPARATOR)
    if header != HEADER:
        raise PaymentCodeError(f"Неизвестный заголовок {header!r}.")
    return dict(pair.split("=", 1) for pair in pairs)


def payment_qr(payload: str) -> segno.QRCode:
    """The QR symbol (level M, as the standard prescribes, UTF-8 bytes)."""
    return segno.make_qr(payload, error="M", encoding="utf-8", boost_error=False, mask=0)
