"""The data a payment document was drawn from, as JSON: what ``IssuedDocument.data`` keeps, so
that the print page of an issued document shows the figures and requisites its PDF shows, not
what the database holds today (docs/design.md, «Issued payment documents»).

The codec follows the ``Receipt`` dataclass and its parts by their type hints: a dataclass is
an object of its fields, ``Decimal`` a string (exact), a date an ISO string, a tuple a list;
reading it back builds the same dataclasses (``from_json(Receipt, to_json(r)) == r``). A field
added later with a default reads as that default from an older snapshot."""

import dataclasses
import datetime
import types
import typing
from decimal import Decimal
from functools import cache

from kabinet.receipts.selectors import Receipt

_PLAIN = frozenset((str, int, bool, float, type(None)))


@cache
def _field_names(kind) -> tuple[str, ...] | None:
    """The fields of the dataclass ``kind`` (None: not one): ``dataclasses.fields`` per
    value was most of writing a document's ~200 values."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple(field.name for field in dataclasses.fields(kind))


def to_json(value):
    """``value`` (a dataclass of the document's data, or a part of it) as JSON values."""
    kind = type(value)
    if kind in _PLAIN:  # most values: written as they are
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: to_json(getattr(value, name)) for name in names}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):  # a datetime too
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | str | float):
        return value
    raise TypeError(f"{type(value).__name__} is not part of a payment document's data")


@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def from_json(kind, value):
    """The value of type ``kind`` that ``to_json`` wrote as ``value``."""
    if value is None:
        return None
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        real = [argument for argument in arguments if argument is not type(None)]
        if len(real) != 1:
            raise TypeError(f"Cannot read a value of {kind}")
        return from_json(real[0], value)
    if origin is tuple:
        return tuple(from_json(arguments[0], item) for item in value)
    if origin is list or origin is dict or kind in (list, dict, typing.Any):
        return value  # plain JSON kept as it was (a line's tariff spans)
    if dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(
            **{
                field.name: from_json(hints[field.name], value[field.name])
                for field in dataclasses.fields(kind)
                if field.init and field.name in value
            }
        )
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime.datetime:
        return datetime.datetime.fromisoformat(value)
    if kind is datetime.date:
        return datetime.date.fromisoformat(value)
    if kind in (str, int, bool, float):
        return kind(value)
    raise TypeError(f"Cannot read a value of {kind}")


def receipt_to_json(receipt: Receipt) -> dict:
    return to_json(receipt)


def receipt_from_json(data: dict) -> Receipt:
    return from_json(Receipt, data)
