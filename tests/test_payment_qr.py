"""The payment code string of ГОСТ Р 56042-2014 (no database needed)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from segno import consts

from kabinet.receipts.qr import (
    MAX_PAYLOAD_BYTES,
    TEXT_LIMITS,
    PaymentCodeError,
    parse_payload,
    payment_payload,
    payment_qr,
)
from kabinet.receipts.qr_matrix import payment_matrix

PAYEE = {
    "Name": 'ООО "УК № 1"',
    "PersonalAcc": "40702810462000012345",
    "BankName": "ПАО Сбербанк",
    "BIC": "049205603",
    "CorrespAcc": "30101810600000000603",
}


def test_mandatory_requisites_come_first_after_the_utf8_header():
    payload = payment_payload(
        **PAYEE, PayeeINN="1659001230", Sum=688937, PersAcc="1000154", PaymPeriod="102026"
    )
    assert payload == (
        'ST00012|Name=ООО "УК № 1"|PersonalAcc=40702810462000012345|BankName=ПАО Сбербанк|'
        "BIC=049205603|CorrespAcc=30101810600000000603|PayeeINN=1659001230|Sum=688937|"
        "PersAcc=1000154|PaymPeriod=102026"
    )


@pytest.mark.parametrize("missing", ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"])
def test_missing_mandatory_requisite_is_refused(missing):
    with pytest.raises(PaymentCodeError, match=missing):
        payment_payload(**{**PAYEE, missing: " "})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("BIC", "04920560"),
        ("PersonalAcc", "4070281046200001234X"),
        ("Sum", "12.50"),
        ("PaymPeriod", "132026"),
        ("PayeeINN", "12345"),
    ],
)
def test_malformed_requisite_is_refused(key, value):
    with pytest.raises(PaymentCodeError, match=key):
        payment_payload(**{**PAYEE, key: value})


def test_empty_optional_requisites_are_left_out():
    payload = payment_payload(**PAYEE, KPP="", Sum=None, Purpose="Оплата")
    assert "KPP" not in payload
    assert "Sum" not in payload
    assert payload.endswith("|Purpose=Оплата")


def test_a_pipe_in_a_value_does_not_break_the_string():
    payload = payment_payload(**{**PAYEE, "Name": "ООО |Рога| и копыта"}, Purpose="a|b=c")
    requisites = parse_payload(payload)
    assert requisites["Name"] == "ООО /Рога/ и копыта"
    assert requisites["Purpose"] == "a/b=c"
    assert requisites["BIC"] == PAYEE["BIC"]


def test_free_text_is_cut_to_the_standards_limit():
    payload = payment_payload(**{**PAYEE, "BankName": "Б" * 60}, Purpose="П" * 300)
    requisites = parse_payload(payload)
    assert requisites["BankName"] == "Б" * TEXT_LIMITS["BankName"]
    assert requisites["Purpose"] == "П" * TEXT_LIMITS["Purpose"]


def test_a_long_bank_name_is_cut_after_a_whole_word():
    long_name = "Отделение «Банк Татарстан» № 8610 ПАО Сбербанк"  # 46 characters
    requisites = parse_payload(payment_payload(**{**PAYEE, "BankName": long_name}))
    assert requisites["BankName"] == "Отделение «Банк Татарстан» № 8610 ПАО"


def test_the_whole_string_has_a_length_limit():
    extra = {f"Field{letter}": "Ж" * 150 for letter in "ABCD"}
    with pytest.raises(PaymentCodeError, match=str(MAX_PAYLOAD_BYTES)):
        payment_payload(**PAYEE, **extra)


def test_the_qr_symbol_holds_the_utf8_bytes_at_level_m():
    qr = payment_qr(payment_payload(**PAYEE))
    assert qr.error == "M"
    assert qr.mode == "byte"


def test_control_characters_become_spaces():
    payload = payment_payload(**PAYEE, Purpose="Оплата\nза октябрь\t2026")
    assert parse_payload(payload)["Purpose"] == "Оплата за октябрь 2026"


def test_a_mandatory_value_blank_once_cleaned_is_refused():
    with pytest.raises(PaymentCodeError, match="Name"):
        payment_payload(**{**PAYEE, "Name": "\n\t"})


text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=250
)


@given(name=text, bank=text, purpose=text)
def test_any_text_survives_as_one_value_each(name, bank, purpose):
    """Whatever staff type, the string splits back into exactly the requisites given, each
    with its text ('|' shown as '/', cut to the standard's limit)."""
    if not name.strip() or not bank.strip():
        with pytest.raises(PaymentCodeError, match="обязательные"):
            payment_payload(**{**PAYEE, "Name": name, "BankName": bank})
        return
    payload = payment_payload(**{**PAYEE, "Name": name, "BankName": bank}, Purpose=purpose)
    requisites = parse_payload(payload)
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
    assert payload.count("|") == len(requisites)
    assert list(requisites)[:5] == ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"]
    assert requisites["BIC"] == PAYEE["BIC"]
    for key, original in (("Name", name), ("BankName", bank), ("Purpose", purpose)):
        cleaned, value = original.replace("|", "/").strip(), requisites.get(key, "")
        assert cleaned.startswith(value)
        if len(cleaned) <= TEXT_LIMITS[key]:
            assert value == cleaned
        else:  # cut after a whole word, unless the first word alone is too long
            first_word_too_long = not any(char.isspace() for char in cleaned[: TEXT_LIMITS[key]])
            assert 0 < len(value) <= TEXT_LIMITS[key]
            assert first_word_too_long or not cleaned[len(value)].isalnum()


def segno_rows(payload: str) -> tuple[bytes, ...]:
    return tuple(bytes(row) for row in payment_qr(payload).matrix)


def version_limits() -> list[int]:
    """The longest payload (bytes) of each version up to what a payment string may hold:
    its capacity at level M less the byte mode's header (4 bits and the count)."""
    limits = []
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        limits.append((consts.SYMBOL_CAPACITY[version][consts.ERROR_LEVEL_M] - 4 - count_bits) // 8)
        if limits[-1] > MAX_PAYLOAD_BYTES:
            return limits
    return limits


def test_the_drawn_symbol_is_segnos_at_every_version_boundary():
    """The PDF's modules (``payment_matrix``) are segno's symbol, module for module: at the
    longest payload of each version, one byte less (the terminator then fills a codeword
    exactly) and one more (the next version), with Cyrillic in UTF-8."""
    limits = version_limits()
    assert len(limits) >= 25
    for limit in limits:
        for length in (limit - 1, limit, limit + 1):
            payload = "ST00012|Name=" + "Ж" * ((length - 13) // 2) + "x" * ((length - 13) % 2)
            assert len(payload.encode()) == length
            assert payment_matrix(payload) == segno_rows(payload), length
    assert payment_qr("|" * limits[-2]).version == len(limits) - 1
    assert payment_qr("|" * (limits[-2] + 1)).version == len(limits)


@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=330))
def test_the_drawn_symbol_is_segnos_for_any_text(purpose):
    payload = payment_payload(**PAYEE, Purpose=purpose or "-")
    assert payment_matrix(payload) == segno_rows(payload)
