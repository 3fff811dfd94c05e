"""A simulated charger for the scale-out benchmark: boot, status, heartbeats, meter values, plug-ins.

A raw asyncio protocol on the load benchmark's client framing (``benchmarks.ocpp_load.wire``). One
CALL in flight at a time, as OCPP-J asks of a charger; a CALL due meanwhile waits in a queue, and its
round trip counts from when it was due. The central system's own CALLs are answered at once:
GetConfiguration with smart-charging capabilities, SetChargingProfile and the usual commands
Accepted. A plug-in is timed from its StatusNotification Preparing to the first TxProfile that
arrives for the connector.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, cast

import orjson

from benchmarks.ocpp_load.wire import (
    OPCODE_CLOSE,
    OPCODE_PING,
    OPCODE_PONG,
    OPCODE_TEXT,
    handshake_request,
    masked_frame,
    read_server_frames,
)

SUBPROTOCOL = "ocpp1.6"
CONNECTOR_ID = 1
_HEADERS_END = b"\r\n\r\n"
_RESULT_PREFIX = b'[3,"'
_ERROR_PREFIX = b'[4,"'
_CALL_PREFIX = b"[2,"
_NORMAL_CLOSURE = (1000).to_bytes(2, "big")

CONFIGURATION = {
    "SupportedFeatureProfiles": "Core,SmartCharging",
    "ChargeProfileMaxStackLevel": "8",
    "ChargingScheduleAllowedChargingRateUnit": "Current",
    "ChargingScheduleMaxPeriods": "96",
    "MaxChargingProfilesInstalled": "8",
    "MeterValueSampleInterval": "60",
    "NumberOfConnectors": "1",
}
"""What the charger reports to GetConfiguration; other keys asked for are unknown to it."""

_ACCEPTED = {"status": "Accepted"}
_ANSWERS: dict[str, dict[str, Any]] = {
    "SetChargingProfile": _ACCEPTED,
    "ClearChargingProfile": _ACCEPTED,
    "ChangeConfiguration": _ACCEPTED,
    "ChangeAvailability": _ACCEPTED,
    "TriggerMessage": _ACCEPTED,
    "RemoteStartTransaction": _ACCEPTED,
    "RemoteStopTransaction": _ACCEPTED,
    "UnlockConnector": {"status": "Unlocked"},
    "Reset": _ACCEPTED,
    "SendLocalList": _ACCEPTED,
    "GetLocalListVersion": {"listVersion": 0},
}


class CallRefusedError(Exception):
    """The central system answered a CALL with a CALLERROR."""


@dataclass
class Tally:
    """What the chargers of one load process saw since the last reset."""

    sent: Counter[str] = field(default_factory=Counter)
    round_trips_s: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    call_errors: Counter[str] = field(default_factory=Counter)
    server_calls: Counter[str] = field(default_factory=Counter)
    """The central system's CALLs, by action."""
    queued: int = 0
    """CALLs that were due while the charger still awaited an answer, and waited."""
    unexpected: int = 0
    """Frames that are neither an awaited answer, a CALL, nor a control frame."""

    def reset(self) -> None:
        self.sent = Counter()
        self.round_trips_s = defaultdict(list)
        self.call_errors = Counter()
        self.server_calls = Counter()
        self.queued = 0
        self.unexpected = 0


@dataclass(slots=True)
class _Call:
    action: str
    payload_json: str
    due_s: float
    answer: asyncio.Future[Any] | None


class BenchCharger(asyncio.Protocol):
    """One charger's connection; ``opened`` resolves once the server switched protocols."""

    def __init__(self, charge_point_id: str, host: str, port: int, tally: Tally) -> None:
        self.charge_point_id = charge_point_id
        self._request = handshake_request(host, port, f"/{charge_point_id}", SUBPROTOCOL)
        self._tally = tally
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self._next_id = 0
        self._in_flight: tuple[bytes, _Call] | None = None
        self._waiting: deque[_Call] = deque()
        self.transaction_id: int | None = None
        self.plugged_at_s: float | None = None
        """When the plug-in began (perf_counter); None if the charger has not been plugged in."""
        self.profile_after_s: float | None = None
        """Seconds from the plug-in to the first TxProfile for the connector."""

    @property
    def busy(self) -> bool:
        return self._in_flight is not None or bool(self._waiting)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it.
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))
        pending = list(self._waiting)
        if self._in_flight is not None:
            pending.insert(0, self._in_flight[1])
        for call in pending:
            if call.answer is not None and not call.answer.done():
                call.answer.set_exception(ConnectionError("connection closed"))
        self._in_flight = None
        self._waiting.clear()

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

    def send(self, action: str, payload_json: str) -> None:
        """Send a CALL whose answer nobody awaits (heartbeats, meter values); its round trip is counted."""
        self._enqueue(_Call(action, payload_json, time.perf_counter(), None))

    async def call(self, action: str, payload_json: str, timeout_s: float) -> dict[str, Any]:
        """Send a CALL and return its CALLRESULT payload.

        Raises
        ------
        CallRefusedError
            The central system answered with a CALLERROR.
        ConnectionError
            The connection closed first.
        TimeoutError
            No answer within ``timeout_s``.
        """
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._enqueue(_Call(action, payload_json, time.perf_counter(), answer))
        result: dict[str, Any] = await asyncio.wait_for(answer, timeout_s)
        return result

    def close(self) -> None:
        """Send a normal-closure frame and close the socket (no wait for the server's close frame)."""
        if self._transport is not None and not self.closed:
            if self._upgraded:
                self._transport.write(masked_frame(OPCODE_CLOSE, _NORMAL_CLOSURE))
            self._transport.close()
        self.closed = True

    def _enqueue(self, call: _Call) -> None:
        if self.closed or not self._upgraded:
            if call.answer is not None:
                call.answer.set_exception(ConnectionError("not connected"))
            return
        if self._in_flight is not None:
            self._tally.queued += 1
            self._waiting.append(call)
            return
        self._transmit(call)

    def _transmit(self, call: _Call) -> None:
        self._next_id += 1
        unique_id = f"{self._next_id:010d}"
        self._in_flight = (unique_id.encode(), call)
        self._tally.sent[call.action] += 1
        text = f'[2,"{unique_id}","{call.action}",{call.payload_json}]'
        self._write(masked_frame(OPCODE_TEXT, text.encode()))

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
        if payload.startswith(_CALL_PREFIX):
            self._answer_server_call(payload)
            return
        in_flight = self._in_flight
        if in_flight is None or payload[4:14] != in_flight[0]:
            self._tally.unexpected += 1
            return
        call = in_flight[1]
        if payload.startswith(_RESULT_PREFIX):
            self._tally.round_trips_s[call.action].append(time.perf_counter() - call.due_s)
            if call.answer is not None and not call.answer.done():
                call.answer.set_result(orjson.loads(payload)[2])
        elif payload.startswith(_ERROR_PREFIX):
            self._tally.call_errors[call.action] += 1
            if call.answer is not None and not call.answer.done():
                call.answer.set_exception(CallRefusedError(payload.decode(errors="replace")[:300]))
        else:
            self._tally.unexpected += 1
            return
        self._in_flight = None
        if self._waiting:
            self._transmit(self._waiting.popleft())

    def _answer_server_call(self, payload: bytes) -> None:
        _, unique_id, action, body = orjson.loads(payload)
        self._tally.server_calls[action] += 1
        if action == "SetChargingProfile":
            self._on_profile(body)
        if action == "GetConfiguration":
            answer: dict[str, Any] | None = _configuration(body.get("key") or list(CONFIGURATION))
        else:
            answer = _ANSWERS.get(action)
        if answer is None:
            frame = orjson.dumps([4, unique_id, "NotImplemented", f"{action} is not simulated", {}])
        else:
            frame = orjson.dumps([3, unique_id, answer])
        self._write(masked_frame(OPCODE_TEXT, frame))

    def _on_profile(self, body: dict[str, Any]) -> None:
        purpose = body.get("csChargingProfiles", {}).get("chargingProfilePurpose")
        if (
            purpose == "TxProfile"
            and body.get("connectorId") == CONNECTOR_ID
            and self.plugged_at_s is not None
            and self.profile_after_s is None
        ):
            self.profile_after_s = time.perf_counter() - self.plugged_at_s


def _configuration(keys: list[str]) -> dict[str, Any]:
    known = [k for k in keys if k in CONFIGURATION]
    return {
        "configurationKey": [{"key": k, "readonly": True, "value": CONFIGURATION[k]} for k in known],
        "unknownKey": [k for k in keys if k not in CONFIGURATION],
    }


async def open_charger(host: str, port: int, charge_point_id: str, tally: Tally) -> BenchCharger:
    """Connect one charger and complete its websocket handshake."""
    loop = asyncio.get_running_loop()
    charger = BenchCharger(charge_point_id, host, port, tally)
    await loop.create_connection(lambda: charger, host, port)
    await charger.opened
    return charger
