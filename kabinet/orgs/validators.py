"""Checks of Russian requisites (ИНН, КПП, ОГРН, БИК, bank accounts), with their control digits."""

from django.core.exceptions import ValidationError


def _digits(value: str, lengths: tuple[int, ...], name: str) -> list[int]:
    if not (value.isascii() and value.isdigit()) or len(value) not in lengths:  # not «١٥»
        counts = " или ".join(str(n) for n in lengths)
        raise ValidationError(f"{name} должен состоять из {counts} цифр.")
    return [int(c) for c in value]


def _weighted(digits, weights) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def validate_inn(value: str) -> None:
    digits = _digits(value, (10, 12), "ИНН")
    if len(digits) == 10:
        ok = _weighted(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[9]
    else:
        ok = (
            _weighted(digits, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[10]
            and _weighted(digits, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[11]
        )
    if not ok:
        raise ValidationError("Неверное контрольное число ИНН.")


def validate_kpp(value: str) -> None:
    _digits(value, (9,), "КПП")


def validate_ogrn(value: str) -> None:
    digits = _digits(value, (13, 15), "ОГРН")
    body, check = int(value[:-1]), digits[-1]
    modulus = 11 if len(digits) == 13 else 13
    if body % modulus % 10 != check:
        raise ValidationError("Неверное контрольное число ОГРН.")


def validate_bik(value: str) -> None:
    _digits(value, (9,), "БИК")


def validate_bank_account(value: str) -> None:
    _digits(value, (20,), "Номер счёта")


def _account_key_ok(prefix: str, account: str) -> bool:
    weights = ((7, 1, 3) * 8)[:23]
    return sum(int(c) * w for c, w in zip(prefix + account, weights, strict=True)) % 10 == 0


def check_settlement_account(bik: str, account: str) -> None:
    """The control key of a расчётный счёт depends on the last three digits of the bank's БИК."""
    if not _account_key_ok(bik[-3:], account):
        raise ValidationError("Расчётный счёт не соответствует БИК (неверный контрольный ключ).")


def check_correspondent_account(bik: str, account: str) -> None:
    """The control key of a корр. счёт depends on «0» and digits 5–6 of the БИК."""
    if not _account_key_ok("0" + bik[4:6], account):
        raise ValidationError("Корреспондентский счёт не соответствует БИК.")


def validate_payment_text(value: str) -> None:
    """Text printed into the payment QR code as it is: ``|`` separates its requisites
    (ГОСТ Р 56042-2014) and a line break cannot be shown."""
    if "|" in value or any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError("Без знака «|» и переводов строки: так текст попадёт в QR-код.")
