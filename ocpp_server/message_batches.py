"""Requests split to fit a charger's ItemsPerMessage and BytesPerMessage (OCPP 2.0.1 device model).

A 2.0.1 charger reports, per action, how many entries one request may carry
(DeviceDataCtrlr.ItemsPerMessage, instance GetVariables or SetVariables) and how long the request may
be (DeviceDataCtrlr.BytesPerMessage): the whole frame as sent, not the payload alone. A request above
either limit is refused whole, so GetVariables and SetVariables are sent in as many requests as it
takes, each filled as far as both limits allow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ocpp.messages import Call

from ocpp_server.framing import encode_frame

T = TypeVar("T")


class MessageTooLargeError(ValueError):
    """One item alone makes a request longer than the charger's BytesPerMessage."""


def batches(
    items: Sequence[T],
    *,
    items_per_message: int | None,
    bytes_per_message: int | None,
    encode: Callable[[list[T]], bytes | str],
) -> list[list[T]]:
    """Split ``items`` into requests of at most ``items_per_message`` items and ``bytes_per_message`` bytes.

    Parameters
    ----------
    items
        The getVariableData or setVariableData entries, in the order to send them.
    items_per_message, bytes_per_message
        The charger's DeviceDataCtrlr.ItemsPerMessage and BytesPerMessage for the action [-], [bytes];
        None: no limit.
    encode
        The whole request frame for a list of items, as sent (see ``call_frame_encoder``); its
        length in UTF-8 bytes is what BytesPerMessage limits.

    Returns
    -------
    list of list
        Every item once, in order; each list fills a request as far as both limits allow.

    Raises
    ------
    MessageTooLargeError
        If one item alone does not fit in ``bytes_per_message``.
    """
    if items_per_message is not None and items_per_message < 1:
        raise ValueError(f"items_per_message must be at least 1, got {items_per_message}")
    if bytes_per_message is not None and bytes_per_message < 1:
        raise ValueError(f"bytes_per_message must be at least 1, got {bytes_per_message}")
    result: list[list[T]] = []
    current: list[T] = []
    for index, item in enumerate(items):
        candidate = [*current, item]
        if _fits(candidate, items_per_message, bytes_per_message, encode):
            current = candidate
            continue
        if not current or not _fits([item], items_per_message, bytes_per_message, encode):
            size = _size_bytes(encode([item]))
            raise MessageTooLargeError(
                f"item {index} alone makes a request of {size} bytes, above BytesPerMessage {bytes_per_message}"
            )
        result.append(current)
        current = [item]
    if current:
        result.append(current)
    return result


def call_frame_encoder(action: str, list_field: str, *, unique_id: str = "0" * 36) -> Callable[[list[Any]], str]:
    """``encode`` for ``batches``: the CALL frame of ``action`` with the items under ``list_field``.

    The default ``unique_id`` is as long as the UUIDs the central system sends as message ids, so
    that the frame measured is as long as the frame sent.
    """

    def encode(items: list[Any]) -> str:
        return encode_frame(Call(unique_id, action, {list_field: items}))

    return encode


def _fits(
    candidate: list[T],
    items_per_message: int | None,
    bytes_per_message: int | None,
    encode: Callable[[list[T]], bytes | str],
) -> bool:
    if items_per_message is not None and len(candidate) > items_per_message:
        return False
    return bytes_per_message is None or _size_bytes(encode(candidate)) <= bytes_per_message


def _size_bytes(encoded: bytes | str) -> int:
    return len(encoded.encode("utf-8")) if isinstance(encoded, str) else len(encoded)
