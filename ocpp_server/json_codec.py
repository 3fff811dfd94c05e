"""JSON for OCPP-J frames: the standard library's, as the ``ocpp`` library writes it, or orjson's.

orjson reads and writes the same JSON about five to ten times faster. Both write compact separators;
the standard library escapes non-ASCII characters where orjson writes them as UTF-8, which is the
same JSON text. orjson refuses what RFC 8259 does not allow (NaN, Infinity), which the standard
library reads, and reads integers beyond 64 bits as floats: such frames are answered as malformed or
as of the wrong type, where no real charger sends them. ``Decimal`` values (the ``ocpp`` library
parses 1.6 charging-profile limits as ``Decimal`` to check their 0.1 steps) are written as the
library writes them: a float with one decimal; integers beyond 64 bits, which orjson refuses to
write, are written by the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from ocpp.messages import _DecimalEncoder


@dataclass(frozen=True, slots=True)
class JsonCodec:
    """How frames are read (text or UTF-8 bytes) and written (text)."""

    name: str
    loads: Callable[[str | bytes], Any]
    dumps: Callable[[Any], str]


def _stdlib_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), cls=_DecimalEncoder)


def _decimal_as_library_writes_it(value: Any) -> float:
    if isinstance(value, Decimal):
        return float(f"{value:.1f}")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _orjson_dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, default=_decimal_as_library_writes_it).decode()
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits, which orjson refuses; the standard library writes them.
        return _stdlib_dumps(value)


STDLIB_JSON = JsonCodec("json", json.loads, _stdlib_dumps)
ORJSON = JsonCodec("orjson", orjson.loads, _orjson_dumps)
