"""A simulated charger that only sends MeterValues: a raw asyncio protocol, no websocket library.

One CALL at a time, as OCPP-J asks of a charger: ``send_meter_values`` is refused (returns False)
while the previous one is unanswered. Round-trip times [s] go to the ``Tally`` shared by the
chargers of one process; pings are answered, so the server's keepalive never closes the socket.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import cast

from benchmarks.ocpp_load.wire import (
    OPCODE_CLOSE,
    OPCODE_PING,
    OPCODE_PONG,
    OPCODE_TEXT,
    CallTemplate,
    call_text,
    handshake_request,
    masked_frame,
    read_server_frames,
)

SUBPROTOCOL = "ocpp1.6"
_HEADERS_END = b"\r\n\r\n"
_RESULT_PREFIX = b'[3,"'
_ERROR_PREFIX = b'[4,"'
_NORMAL_CLOSURE = (1000).to_bytes(2, "big")


@dataclass
class Tally:
    """What the chargers of one process saw during a step."""

    round_trips_s: list[float] = field(default_factory=list)
    call_errors: int = 0
    unexpected: int = 0
    """Frames that are neither the awaited answer nor control frames."""

    def reset(self) -> None:
        self.round_trips_s = []
        self.call_errors = 0
        self.unexpected = 0


class RawCharger(asyncio.Protocol):
    """One charger's connection; ``opened`` resolves once the server switched protocols."""

    def __init__(self, meter_values_json: str, tally: Tally) -> None:
        self._template = CallTemplate.build(call_text("MeterValues", meter_values_json))
        self._tally = tally
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False
        self._request = b""
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self._next_id = 0
        self._awaited_id: bytes | None = None
        self._sent_at_s = 0.0

    def start_handshake(self, host: str, port: int, path: str) -> None:
        self._request = handshake_request(host, port, path, SUBPROTOCOL)

    @property
    def busy(self) -> bool:
        return self._awaited_id is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it.
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded and not self._read_handshake():
            return
        for frame in read_server_frames(self._buffer):
            if frame.opcode == OPCODE_TEXT:
                self._on_text(frame.payload)
            elif frame.opcode == OPCODE_PING:
                self._write(masked_frame(OPCODE_PONG, frame.payload))
            elif frame.opcode == OPCODE_CLOSE:
                self.close()

    def send_meter_values(self) -> bool:
        """Send the next MeterValues; False if the previous one is unanswered or the socket closed."""
        if self._awaited_id is not None or self.closed or not self._upgraded:
            return False
        self._next_id += 1
        self._awaited_id = f"{self._next_id:010d}".encode()
        self._sent_at_s = time.perf_counter()
        self._write(self._template.frame(self._next_id))
        return True

    def close(self) -> None:
        """Send a normal-closure frame and close the socket (no wait for the server's close frame)."""
        if self._transport is not None and not self.closed:
            if self._upgraded:
                self._transport.write(masked_frame(OPCODE_CLOSE, _NORMAL_CLOSURE))
            self._transport.close()
        self.closed = True

    def _write(self, frame: bytes) -> None:
        if self._transport is not None and not self.closed:
            self._transport.write(frame)

    def _read_handshake(self) -> bool:
        end = self._buffer.find(_HEADERS_END)
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + len(_HEADERS_END)]
        status_line, *headers = head.split("\r\n")
        protocol = {line.split(":", 1)[0].strip().lower(): line.split(":", 1)[1].strip() for line in headers}
        if " 101 " not in f"{status_line} " or protocol.get("sec-websocket-protocol") != SUBPROTOCOL:
            self.opened.set_exception(ConnectionError(f"handshake refused: {status_line}"))
            self.close()
            return False
        self._upgraded = True
        self.opened.set_result(None)
        return True

    def _on_text(self, payload: bytes) -> None:
        awaited = self._awaited_id
        if awaited is not None and payload[4:14] == awaited:
            if payload.startswith(_RESULT_PREFIX):
                self._tally.round_trips_s.append(time.perf_counter() - self._sent_at_s)
            elif payload.startswith(_ERROR_PREFIX):
                self._tally.call_errors += 1
            else:
                self._tally.unexpected += 1
                return
            self._awaited_id = None
            return
        self._tally.unexpected += 1


async def open_charger(host: str, port: int, charge_point_id: str, meter_values_json: str, tally: Tally) -> RawCharger:
    """Connect one charger and complete its websocket handshake."""
    loop = asyncio.get_running_loop()
    charger = RawCharger(meter_values_json, tally)
    charger.start_handshake(host, port, f"/{charge_point_id}")
    await loop.create_connection(lambda: charger, host, port)
    await charger.opened
    return charger
