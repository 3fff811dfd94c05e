"""camelCase <-> snake_case payload keys, as the ``ocpp`` library converts them, memoised per key.

The library converts every key of every message with a handful of regular expressions and string
replacements; a MeterValues with a few samples has some twenty keys, which made the conversion cost
more than validating the payload. The OCPP schemas name a few dozen keys in all, so each distinct
key is converted once by the library's own functions and the answer kept (bounded, for keys a
schema leaves free).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case

_KEYS_KEPT = 4096


@lru_cache(maxsize=_KEYS_KEPT)
def _snake_key(key: str) -> str:
    converted: dict[str, None] = camel_to_snake_case({key: None})
    return next(iter(converted))


@lru_cache(maxsize=_KEYS_KEPT)
def _camel_key(key: str) -> str:
    converted: dict[str, None] = snake_to_camel_case({key: None})
    return next(iter(converted))


def camel_to_snake_keys(data: Any) -> Any:
    """``ocpp.charge_point.camel_to_snake_case``: every key of every nested object, values kept."""
    if isinstance(data, dict):
        return {_snake_key(key): camel_to_snake_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [camel_to_snake_keys(value) for value in data]
    return data


def snake_to_camel_keys(data: Any) -> Any:
    """``ocpp.charge_point.snake_to_camel_case``: every key of every nested object, values kept."""
    if isinstance(data, dict):
        return {_camel_key(key): snake_to_camel_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [snake_to_camel_keys(value) for value in data]
    return data
