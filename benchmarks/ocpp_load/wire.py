"""The client side of RFC 6455, as little of it as a load generator needs, with frames made once.

A charger's MeterValues frame is serialised and masked once per connection; each send only writes
the next message id into the masked bytes (masking is a XOR, so the id's bytes are XORed with the
mask bytes at their place). Frames from the server are unmasked and small.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

OPCODE_TEXT = 0x1
OPCODE_CLOSE = 0x8
OPCODE_PING = 0x9
OPCODE_PONG = 0xA
_FIN = 0x80
_MASKED = 0x80

UNIQUE_ID_DIGITS = 10
_UNIQUE_ID_SLOT = "U" * UNIQUE_ID_DIGITS


def handshake_request(host: str, port: int, path: str, subprotocol: str) -> bytes:
    """The HTTP/1.1 upgrade request that opens a websocket on ``path``."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
    ).encode()


def _xor(data: bytes, mask: bytes) -> bytes:
    repeated = (mask * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def _header(opcode: int, length: int) -> bytes:
    if length < 126:
        return bytes((_FIN | opcode, _MASKED | length))
    if length < 1 << 16:
        return bytes((_FIN | opcode, _MASKED | 126)) + length.to_bytes(2, "big")
    return bytes((_FIN | opcode, _MASKED | 127)) + length.to_bytes(8, "big")


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One client frame (clients must mask), with a fresh mask."""
    mask = os.urandom(4)
    return _header(opcode, len(payload)) + mask + _xor(payload, mask)


@dataclass(frozen=True, slots=True)
class CallTemplate:
    """A CALL frame, masked, with a slot for its unique id.

    ``text`` holds ``UUUUUUUUUU`` (ten U) where the unique id goes, e.g.
    ``[2,"UUUUUUUUUU","MeterValues",{...}]``.
    """

    head: bytes
    """Frame header, mask and the masked bytes before the id."""
    tail: bytes
    """The masked bytes after the id."""
    id_mask: bytes
    """The mask bytes that fall on the id's place."""

    @classmethod
    def build(cls, text: str) -> CallTemplate:
        payload = text.encode()
        at = payload.index(_UNIQUE_ID_SLOT.encode())
        mask = os.urandom(4)
        masked = _xor(payload, mask)
        id_mask = bytes(mask[(at + i) % 4] for i in range(UNIQUE_ID_DIGITS))
        header = _header(OPCODE_TEXT, len(payload)) + mask
        return cls(header + masked[:at], masked[at + UNIQUE_ID_DIGITS :], id_mask)

    def frame(self, unique_id: int) -> bytes:
        """The frame carrying ``unique_id`` (at most ten digits)."""
        digits = f"{unique_id:0{UNIQUE_ID_DIGITS}d}".encode()
        return self.head + bytes(d ^ m for d, m in zip(digits, self.id_mask, strict=True)) + self.tail


def call_text(action: str, payload_json: str) -> str:
    """A CALL's text with the unique-id slot ``CallTemplate`` fills in."""
    return f'[2,"{_UNIQUE_ID_SLOT}","{action}",{payload_json}]'


@dataclass(frozen=True, slots=True)
class ServerFrame:
    opcode: int
    payload: bytes


def read_server_frames(buffer: bytearray) -> list[ServerFrame]:
    """Take every complete (unmasked, unfragmented) frame off the front of ``buffer``."""
    frames: list[ServerFrame] = []
    at = 0
    size = len(buffer)
    while size - at >= 2:
        opcode = buffer[at] & 0x0F
        length = buffer[at + 1] & 0x7F
        start = at + 2
        if length == 126:
            if size - at < 4:
                break
            length = int.from_bytes(buffer[at + 2 : at + 4], "big")
            start = at + 4
        elif length == 127:
            if size - at < 10:
                break
            length = int.from_bytes(buffer[at + 2 : at + 10], "big")
            start = at + 10
        if size - start < length:
            break
        frames.append(ServerFrame(opcode, bytes(buffer[start : start + length])))
        at = start + length
    del buffer[:at]
    return frames
