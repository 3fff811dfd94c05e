"""An OCPP 1.6J charger for fault tests and benchmarks: stays connected whatever happens, and keeps
what it was told.

It boots once, starts one transaction and sends a MeterValues with a rising energy register every
``meter_interval_s`` (``METER_INTERVAL_S`` by default); when its socket drops it reconnects (through
the balancer, to whichever gateway takes it) and goes on where it was, sending again what was not
acknowledged, as an OCPP charger must for transaction messages. It keeps every reading and
transaction message the central system acknowledged with a CALLRESULT, every transaction id it was
given, when each of its connections opened, and the charging profiles it holds, so that a test can
check the central system lost nothing and limited the charger throughout.

Written on the ``ocpp`` library rather than the project's simulator: the central system is checked
against a charger it did not write.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Subprotocol

from benchmarks.scale_out.received_profile import ReceivedProfile, camel_keys

METER_INTERVAL_S: Final = 0.5
RECONNECT_S: Final = 0.3
RETRY_S: Final = 1.0
"""Pause before sending again a message the central system answered with a CALLERROR."""
CALL_TIMEOUT_S: Final = 20.0
"""Above the gateway's 10 s wait for the controller: a slow answer is not taken for a lost one."""
OPEN_TIMEOUT_S: Final = 20.0
READING_STEP_S: Final = 10
"""Simulated seconds between two readings: whole seconds, however the database stores instants."""
ENERGY_STEP_WH: Final = 25
METER_START_WH: Final = 10_000
CONFIGURATION: Final = {
    "SupportedFeatureProfiles": "Core,SmartCharging",
    "ChargeProfileMaxStackLevel": "5",
    "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
    "ChargingScheduleMaxPeriods": "48",
    "MaxChargingProfilesInstalled": "10",
    "NumberOfConnectors": "1",
}


def wire_time(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Reading:
    transaction_id: int
    at: datetime
    energy_wh: int


@dataclass(frozen=True, slots=True)
class HeldProfile:
    received_at: float
    """``time.monotonic()`` when the SetChargingProfile came."""
    profile: ReceivedProfile


@dataclass
class Acknowledged:
    """What the central system acknowledged to the charger: only this must survive any fault."""

    transaction_ids: list[int] = field(default_factory=list)
    """Every id a StartTransaction was answered with, repeats included."""
    readings: list[Reading] = field(default_factory=list)
    stops: dict[int, int] = field(default_factory=dict)
    """Transaction id -> meter stop [Wh]."""


class _DroppedError(Exception):
    """The socket closed while a call waited for its answer."""


class StreamingCharger:
    """One charge point; ``run`` until cancelled.

    Parameters
    ----------
    charge_point_id
        Its id in the site file.
    id_tag
        The tag its transaction starts with (a vehicle's).
    url
        ``ws://host:port`` of the central system (the balancer); the id is appended.
    session_start
        When its transaction started: readings follow every ``READING_STEP_S`` from there.
    meter_interval_s
        Wall-clock pause between two MeterValues.
    reconnect_s
        Pause before connecting again after the socket dropped or could not open.
    """

    def __init__(
        self,
        charge_point_id: str,
        id_tag: str,
        url: str,
        session_start: datetime,
        meter_interval_s: float = METER_INTERVAL_S,
        reconnect_s: float = RECONNECT_S,
    ) -> None:
        self.charge_point_id = charge_point_id
        self.id_tag = id_tag
        self.url = f"{url}/{charge_point_id}"
        self.session_start = session_start
        self.meter_interval_s = meter_interval_s
        self.reconnect_s = reconnect_s
        self.acknowledged = Acknowledged()
        self.profiles: list[HeldProfile] = []
        """Every SetChargingProfile received, in order."""
        self.installed: dict[int, ReceivedProfile] = {}
        """The profiles held now, by id, as a charger keeps them (cleared ones gone)."""
        self.clears: list[tuple[float, dict[str, Any]]] = []
        self.connections = 0
        self.connected_at: list[float] = []
        """``time.monotonic()`` when each of its connections opened (the central system admitted it)."""
        self.booted = False
        self.transaction_id: int | None = None
        self.stopped = asyncio.Event()
        self._stop_wanted = False
        self._next_reading = 1

    @property
    def readings_acknowledged(self) -> int:
        return len(self.acknowledged.readings)

    def stop_transaction(self) -> None:
        """End the transaction soon (StopTransaction, sent until acknowledged); ``stopped`` tells when."""
        self._stop_wanted = True

    def profiles_since(self, monotonic_s: float, purpose: str) -> list[ReceivedProfile]:
        return [p.profile for p in self.profiles if p.received_at >= monotonic_s and p.profile.purpose == purpose]

    def limit_in_force_kw(self, at: datetime) -> float | None:
        """The limit the charger would apply at ``at``: its TxProfile for the running transaction,
        else its TxDefaultProfile; None when it holds neither (it would charge at full power)."""
        tx_profiles = [
            p
            for p in self.installed.values()
            if p.purpose == "TxProfile" and p.profile.get("transactionId") in (None, self.transaction_id)
        ]
        defaults = [p for p in self.installed.values() if p.purpose == "TxDefaultProfile"]
        for candidates in (tx_profiles, defaults):
            for held in sorted(candidates, key=lambda p: -int(p.profile["stackLevel"])):
                limit_kw = held.limit_kw_at(at, relative_to=self.session_start)
                if limit_kw is not None:
                    return limit_kw
        return None

    async def run(self) -> None:
        """Connect, and reconnect whenever the socket drops, until cancelled."""
        while True:
            try:
                async with connect(
                    self.url, subprotocols=[Subprotocol("ocpp1.6")], open_timeout=OPEN_TIMEOUT_S
                ) as websocket:
                    self.connections += 1
                    self.connected_at.append(time.monotonic())
                    await self._serve(websocket)
            except (OSError, TimeoutError, WebSocketException, _DroppedError):
                pass
            await asyncio.sleep(self.reconnect_s)

    async def _serve(self, websocket: ClientConnection) -> None:
        link = _Link(self, websocket)
        reader = asyncio.create_task(link.start())
        try:
            await self._work(link, reader)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _work(self, link: _Link, reader: asyncio.Task[None]) -> None:
        if not self.booted:
            answer = await self._call(
                link, reader, call.BootNotification(charge_point_model="AC22", charge_point_vendor="Faults")
            )
            if answer.status != "Accepted":
                raise _DroppedError(f"boot answered {answer.status}")
            self.booted = True
            await self._status(link, reader, "Available")
        if self.transaction_id is None and not self._stop_wanted:
            await self._status(link, reader, "Preparing")
            # The same StartTransaction every time it is sent: a repeat gets the same id back.
            answer = await self._call(
                link,
                reader,
                call.StartTransaction(
                    connector_id=1,
                    id_tag=self.id_tag,
                    meter_start=METER_START_WH,
                    timestamp=wire_time(self.session_start),
                ),
            )
            self.transaction_id = int(answer.transaction_id)
            self.acknowledged.transaction_ids.append(self.transaction_id)
            await self._status(link, reader, "Charging")
        while True:
            if self.transaction_id is not None and self._stop_wanted and not self.stopped.is_set():
                await self._stop(link, reader, self.transaction_id)
            elif self.transaction_id is not None and not self.stopped.is_set():
                await self._meter(link, reader, self.transaction_id)
                await asyncio.sleep(self.meter_interval_s)
            else:
                # Idle, still answering the central system's calls, until the socket drops.
                await asyncio.wait([reader], timeout=self.meter_interval_s)
                if reader.done():
                    raise _DroppedError("closed")

    def _reading(self, number: int) -> tuple[datetime, int]:
        return self.session_start + timedelta(seconds=READING_STEP_S * number), METER_START_WH + ENERGY_STEP_WH * number

    async def _meter(self, link: _Link, reader: asyncio.Task[None], transaction_id: int) -> None:
        at, energy_wh = self._reading(self._next_reading)
        sample = {
            "timestamp": wire_time(at),
            "sampledValue": [{"value": str(energy_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}],
        }
        await self._call(
            link, reader, call.MeterValues(connector_id=1, transaction_id=transaction_id, meter_value=[sample])
        )
        self.acknowledged.readings.append(Reading(transaction_id, at, energy_wh))
        self._next_reading += 1

    async def _stop(self, link: _Link, reader: asyncio.Task[None], transaction_id: int) -> None:
        at, energy_wh = self._reading(self._next_reading)
        await self._call(
            link,
            reader,
            call.StopTransaction(
                meter_stop=energy_wh, timestamp=wire_time(at), transaction_id=transaction_id, reason="EVDisconnected"
            ),
        )
        self.acknowledged.stops[transaction_id] = energy_wh
        self.stopped.set()
        await self._status(link, reader, "Available")

    async def _status(self, link: _Link, reader: asyncio.Task[None], status: str) -> None:
        await self._call(link, reader, call.StatusNotification(connector_id=1, error_code="NoError", status=status))

    async def _call(self, link: _Link, reader: asyncio.Task[None], payload: Any) -> Any:
        """The CALLRESULT; a CALLERROR is retried on the same socket, a dropped socket raises ``_DroppedError``."""
        while True:
            sent = asyncio.create_task(link.call(payload, suppress=False))
            await asyncio.wait([sent, reader], return_when=asyncio.FIRST_COMPLETED)
            if not sent.done():
                sent.cancel()
                await asyncio.gather(sent, return_exceptions=True)
                raise _DroppedError("closed while waiting for an answer")
            try:
                return sent.result()
            except OCPPError:
                await asyncio.sleep(RETRY_S)

    def _hold(self, profile: ReceivedProfile) -> None:
        body = profile.profile
        # A new profile replaces the one with its id, and the one of its purpose and stack level.
        for profile_id, held in list(self.installed.items()):
            same_slot = (held.purpose, held.profile["stackLevel"], held.connector_id) == (
                profile.purpose,
                body["stackLevel"],
                profile.connector_id,
            )
            if profile_id == body["chargingProfileId"] or same_slot:
                del self.installed[profile_id]
        self.installed[int(body["chargingProfileId"])] = profile
        self.profiles.append(HeldProfile(time.monotonic(), profile))

    def _clear(self, request: dict[str, Any]) -> str:
        self.clears.append((time.monotonic(), request))
        profile_id = request.get("id")
        purpose = request.get("chargingProfilePurpose")
        stack_level = request.get("stackLevel")
        cleared = [
            key
            for key, held in self.installed.items()
            if (profile_id is None or key == profile_id)
            and (purpose is None or held.purpose == purpose)
            and (stack_level is None or held.profile["stackLevel"] == stack_level)
        ]
        for key in cleared:
            del self.installed[key]
        return "Accepted" if cleared else "Unknown"


class _Link(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """One connection of a ``StreamingCharger``: answers the central system's calls for it."""

    def __init__(self, charger: StreamingCharger, websocket: ClientConnection) -> None:
        super().__init__(charger.charge_point_id, websocket, response_timeout=CALL_TIMEOUT_S)
        self._charger = charger

    @on("GetConfiguration")  # type: ignore[untyped-decorator]
    def on_get_configuration(self, key: list[str] | None = None) -> call_result.GetConfiguration:
        asked = key or list(CONFIGURATION)
        known = [{"key": k, "readonly": True, "value": CONFIGURATION[k]} for k in asked if k in CONFIGURATION]
        return call_result.GetConfiguration(
            configuration_key=known, unknown_key=[k for k in asked if k not in CONFIGURATION]
        )

    @on("SetChargingProfile")  # type: ignore[untyped-decorator]
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> call_result.SetChargingProfile:
        self._charger._hold(ReceivedProfile(connector_id, camel_keys(cs_charging_profiles)))
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")  # type: ignore[untyped-decorator]
    def on_clear_charging_profile(self, **request: Any) -> call_result.ClearChargingProfile:
        return call_result.ClearChargingProfile(status=self._charger._clear(camel_keys(request)))


@contextlib.asynccontextmanager
async def running(chargers: list[StreamingCharger]) -> AsyncIterator[list[asyncio.Task[None]]]:
    """The chargers' ``run`` tasks, cancelled on exit."""
    tasks = [asyncio.create_task(c.run(), name=c.charge_point_id) for c in chargers]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
