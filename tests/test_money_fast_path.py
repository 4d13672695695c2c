"""``parse_money``'s fast path (``1234.56``, ``1234,5``, ``1234``) gives what the full parser
gives, and any other text still goes through the full parser: the same ``Decimal`` or the same
refusal. A registry's amounts are read by it; ``payment_copy_lines`` writes its staged
payments' COPY lines as the general writer would."""

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kabinet.bulk import _copy_line
from kabinet.money import MONEY_FIELD, parse_amount, parse_money
from kabinet.payments.registry.crediting import payment_copy_lines


def full_parser(text: str) -> Decimal | str:
    try:
        return parse_amount(text, **MONEY_FIELD)
    except ValueError as error:
        return f"{type(error).__name__}: {error}"


def fast_parser(text: str) -> Decimal | str:
    try:
        return parse_money(text)
    except ValueError as error:
        return f"{type(error).__name__}: {error}"


def same(left, right) -> bool:
    # equal and written alike: 1.50 is not 1.5 to a COPY line or a digest
    return type(left) is type(right) and str(left) == str(right)


plain_amounts = st.builds(
    lambda whole, point, cents: whole + (f"{point}{cents}" if point else ""),
    st.from_regex(r"[0-9]{1,14}", fullmatch=True),
    st.sampled_from(["", ".", ","]),
    st.from_regex(r"[0-9]{0,3}", fullmatch=True),
)
near_amounts = st.text(alphabet="0123456789.,-+ eE\u2212\u00a0١٥", max_size=18)


@given(plain_amounts)
def test_plain_amounts_read_as_the_full_parser_reads_them(text):
    assert same(fast_parser(text), full_parser(text))


@given(st.one_of(near_amounts, st.text(max_size=12)))
def test_any_other_text_is_read_or_refused_as_the_full_parser_does(text):
    assert same(fast_parser(text), full_parser(text))


def test_the_common_forms_are_decimals_of_two_places():
    assert [parse_money(text) for text in ("1234.56", "1234,5", "7", "0,00")] == [
        Decimal("1234.56"), Decimal("1234.50"), Decimal("7.00"), Decimal("0.00"),
    ]  # fmt: skip
    assert str(parse_money("000000000001.5")) == "1.50"


staged_payments = st.tuples(
    st.integers(1, 1_100_000),
    st.integers(1, 2**31),
    st.dates(datetime.date(2026, 1, 1), datetime.date(2026, 1, 5)),  # a few: written once each
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999.99"), places=2),
    st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999.99"), places=2),
    st.from_regex(r"reg:[0-9a-f]{40}", fullmatch=True),
    st.one_of(st.none(), st.dates().map(lambda day: day.replace(day=1))),
    st.text(max_size=40),
)


@given(st.lists(staged_payments, max_size=20))
def test_staged_payments_copy_lines_are_the_general_writers(staged):
    assert list(payment_copy_lines(staged)) == [_copy_line(values) for values in staged]
