"""A simulated OCPP charge point with one connector, over a real websocket.

Device behaviour (heartbeat, meter sampling, the charging physics, boot retry intervals) runs on
the simulated clock. Network behaviour (response timeouts, reconnect backoff) runs in real
seconds, because the network and the central system do.

Life of a charge point: connect to ``{base_url}/{charge_point_id}`` with the subprotocol of its
OCPP version (``ocpp1.6`` or ``ocpp2.0.1``, see ``dialect``); send BootNotification until Accepted
(retrying after the interval the central system gives when Pending or Rejected); report the
status of its connector; then send the queued messages in
order and a Heartbeat every HeartbeatInterval. When the connection drops the charger keeps
charging under its installed profiles, queues its transaction messages, reconnects with a
capped exponential backoff, reports its status again and delivers the queue; it sends
BootNotification again only after a Reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime
from typing import Any

from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.uri import parse_uri

from ocpp_server.simulator.battery import VehicleBattery
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.clock import SimClock
from ocpp_server.simulator.config import (
    HEARTBEAT_INTERVAL,
    TRANSACTION_MESSAGE_ATTEMPTS,
    TRANSACTION_MESSAGE_RETRY_INTERVAL,
    default_configuration,
)
from ocpp_server.simulator.connector import Connector
from ocpp_server.simulator.dialect import Dialect, Link
from ocpp_server.simulator.dialect_v16 import Ocpp16Dialect
from ocpp_server.simulator.dialect_v201 import Ocpp201Dialect
from ocpp_server.simulator.ocpp_link import UndeliverableError
from ocpp_server.simulator.outbox import (
    HeartbeatOut,
    Outbox,
    OutMessage,
    StartTransactionOut,
    is_transaction_message,
)
from ocpp_server.simulator.profiles import ChargingProfile
from ocpp_server.simulator.remote_control import RemoteControl

__all__ = ["SimChargerSpec", "SimulatedChargePoint"]

_IDLE_RETRY_S = 60
"""Simulated seconds to wait when the central system gives no usable interval."""


class _SessionEndedError(Exception):
    """The websocket session is over (an answer is missing, or the charger reboots)."""


_SESSION_ENDINGS = (_SessionEndedError, ConnectionClosed, OSError)


class SimulatedChargePoint:
    """A charge point that speaks OCPP 1.6J or 2.0.1 to a central system and charges simulated vehicles.

    Parameters
    ----------
    spec
        What the charger is.
    base_url
        Websocket URL of the central system, without the charge point id (``ws://host:port/ocpp``).
    clock
        Simulated time; every OCPP timestamp comes from it.
    meter_interval_s
        Initial MeterValueSampleInterval [simulated s].
    heartbeat_interval_s
        HeartbeatInterval until BootNotification.conf gives one [simulated s].
    step_s
        How often the charging power is recomputed [simulated s].
    response_timeout_s
        How long to wait for an answer before the connection is considered lost [real s].
    reconnect_initial_s, reconnect_max_s
        First and largest reconnect delay; it doubles per failed attempt, with +-20 % jitter [real s].
    ping_interval_s
        Websocket keepalive ping interval, None for none (OCPP has Heartbeat) [real s].
    validate_schemas
        Check outgoing messages and their answers against the OCPP JSON schemas.
    seed
        Seed of the reconnect jitter; the charge point id when None.
    """

    def __init__(
        self,
        spec: SimChargerSpec,
        base_url: str,
        clock: SimClock,
        *,
        meter_interval_s: int = 60,
        heartbeat_interval_s: int = 300,
        step_s: float = 10.0,
        response_timeout_s: float = 30.0,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        ping_interval_s: float | None = 20.0,
        validate_schemas: bool = True,
        seed: int | str | None = None,
    ) -> None:
        if not step_s > 0:
            raise ValueError(f"step_s must be > 0, got {step_s}")
        if not 0 < reconnect_initial_s <= reconnect_max_s:
            raise ValueError("reconnect delays must satisfy 0 < reconnect_initial_s <= reconnect_max_s")
        if not response_timeout_s > 0:
            raise ValueError(f"response_timeout_s must be > 0, got {response_timeout_s}")
        self._url = f"{base_url.rstrip('/')}/{spec.charge_point_id}"
        try:
            parse_uri(self._url)
        except InvalidURI as exc:
            raise ValueError(f"base_url is not a websocket URL: {base_url!r}") from exc
        self._spec = spec
        self._clock = clock
        self._config = default_configuration(
            spec, meter_interval_s=meter_interval_s, heartbeat_interval_s=heartbeat_interval_s
        )
        self._outbox = Outbox()
        speaks_201 = spec.ocpp_version == "2.0.1"
        self._connector = Connector(
            spec, self._config, self._outbox, clock.now(), report_transaction_updates=speaks_201
        )
        self._control = RemoteControl(spec, clock, self._config, self._connector, self._outbox, self._request_reboot)
        self._departure_utc: datetime | None = None
        self._dialect: Dialect
        if speaks_201:
            self._dialect = Ocpp201Dialect(
                spec, clock, self._config, self._connector, self._outbox, self._control, self._departure
            )
        else:
            self._dialect = Ocpp16Dialect(spec, clock, self._config, self._connector, self._control)
        self._step_s = step_s
        self._response_timeout_s = response_timeout_s
        self._reconnect_initial_s = reconnect_initial_s
        self._reconnect_max_s = reconnect_max_s
        self._ping_interval_s = ping_interval_s
        self._validate_schemas = validate_schemas
        self._rng = random.Random(spec.charge_point_id if seed is None else seed)
        self._log = logging.getLogger(__name__)
        self._connected = False
        self._booted = False
        self._resume_after_boot = False
        self._reboot_requested = asyncio.Event()
        self._network_up = asyncio.Event()
        self._network_up.set()
        self._network_cut = asyncio.Event()
        self._reconnect_now = False
        self._failed_attempts = 0

    # --- what the site and tests see -------------------------------------------------------

    @property
    def spec(self) -> SimChargerSpec:
        return self._spec

    @property
    def url(self) -> str:
        return self._url

    @property
    def connected(self) -> bool:
        """True while a websocket is open and the charger has been accepted."""
        return self._connected

    @property
    def status(self) -> str:
        """OCPP status of connector 1."""
        return self._connector.status

    @property
    def power_kw(self) -> float:
        return self._connector.power_kw

    @property
    def offered_kw(self) -> float:
        """The limit the charging profiles allow now [kW]."""
        return self._connector.offered_kw

    @property
    def energy_register_wh(self) -> float:
        return self._connector.energy_register_wh

    @property
    def transaction_id(self) -> int | None:
        transaction = self._connector.transaction
        return None if transaction is None else transaction.transaction_id

    @property
    def vehicle_id(self) -> str | None:
        battery = self._connector.battery
        return None if battery is None else battery.spec.vehicle_id

    @property
    def profiles(self) -> tuple[ChargingProfile, ...]:
        return self._connector.profiles

    @property
    def pending_messages(self) -> tuple[OutMessage, ...]:
        """Messages not yet delivered, in sending order."""
        return self._outbox.pending()

    def plug_in(self, battery: VehicleBattery, departure_utc: datetime | None = None) -> None:
        """Connect a vehicle; ConnectorBusyError if one is already connected.

        ``departure_utc`` is when the vehicle leaves next, if its driver set it (ISO 15118
        chargers pass it on in NotifyEVChargingNeeds).
        """
        self._connector.plug_in(battery, self._clock.now())
        self._departure_utc = departure_utc

    def unplug(self) -> None:
        """Disconnect the vehicle, if any; a running transaction stops with EVDisconnected."""
        self._connector.unplug(self._clock.now())
        self._departure_utc = None

    def _departure(self) -> datetime | None:
        return self._departure_utc

    def cut_network(self) -> None:
        """Take the charger off the network: it closes its socket and opens no new one until
        ``restore_network``. It keeps charging under its installed profiles and queues its messages,
        as a charger that lost its connection does."""
        self._network_up.clear()
        self._network_cut.set()

    def restore_network(self) -> None:
        """Let the charger reconnect (after its usual back-off)."""
        self._network_cut.clear()
        self._network_up.set()

    # --- running ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Charge and stay connected until cancelled; cancellation closes the websocket."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._charge())
            tasks.create_task(self._stay_connected())

    async def _charge(self) -> None:
        while True:
            now = self._clock.now()
            self._connector.update(now)
            await self._clock.sleep(self._connector.seconds_to_next_update(now, self._step_s))

    async def _stay_connected(self) -> None:
        delay_s = self._reconnect_initial_s
        while True:
            await self._network_up.wait()
            try:
                async with connect(
                    self._url,
                    subprotocols=[self._dialect.subprotocol],
                    proxy=None,
                    compression=None,
                    open_timeout=self._response_timeout_s,
                    ping_interval=self._ping_interval_s,
                    close_timeout=5,
                ) as websocket:
                    await self._session(websocket)
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                self._log.debug("%s: cannot connect: %s", self._spec.charge_point_id, exc)
            finally:
                was_online = self._connected
                self._connected = False
                self._outbox.set_online(False)
            if was_online:
                self._log.info("%s: connection lost, reconnecting", self._spec.charge_point_id)
                delay_s = self._reconnect_initial_s
            if self._reconnect_now:
                self._reconnect_now = False
                continue
            await asyncio.sleep(delay_s * self._rng.uniform(0.8, 1.2))
            delay_s = min(delay_s * 2, self._reconnect_max_s)

    async def _session(self, websocket: ClientConnection) -> None:
        """Serve one websocket until it ends."""
        if websocket.subprotocol != self._dialect.subprotocol:
            self._log.warning(
                "%s: central system did not agree to %s", self._spec.charge_point_id, self._dialect.subprotocol
            )
            return
        link = self._dialect.open_link(websocket, response_timeout_s=self._response_timeout_s, logger=self._log)
        # The session ends when either task finishes: the reader when the socket closes, the
        # worker when an answer is missing or a reset asks for a reboot. (A TaskGroup would end
        # it by cancelling this task, which Python 3.11 may leave marked as cancelling.)
        reader = asyncio.create_task(self._read(link))
        worker = asyncio.create_task(self._work(link))
        try:
            await asyncio.wait((reader, worker), return_when=asyncio.FIRST_COMPLETED)
        finally:
            reader.cancel()
            worker.cancel()
            outcomes = await asyncio.gather(reader, worker, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, Exception) and not isinstance(outcome, _SESSION_ENDINGS):
                raise outcome

    async def _read(self, link: Link) -> None:
        with contextlib.suppress(ConnectionClosed):
            await link.start()

    async def _work(self, link: Link) -> None:
        """Boot if needed, report the status, then send, beat and wait for a reboot request."""
        if not self._booted:
            await self._boot(link)
        now = self._clock.now()
        if self._resume_after_boot:
            self._resume_after_boot = False
            self._connector.resume_after_reboot(now)
        self._outbox.put_first(self._connector.status_reports(now))
        self._outbox.set_online(True)
        self._connected = True
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._send(link))
                tasks.create_task(self._beat())
                tasks.create_task(self._reboot_when_asked())
                tasks.create_task(self._end_when_network_cut())
        except* _SESSION_ENDINGS:
            pass

    async def _call(self, link: Link, payload: Any) -> Any:
        """Send a request; a missing answer ends the session. CALLERRORs raise OCPPError."""
        try:
            result = await link.call(payload, suppress=False, skip_schema_validation=not self._validate_schemas)
        except TimeoutError as exc:
            raise _SessionEndedError(f"no answer to {type(payload).__name__}") from exc
        # The library waits for answers with asyncio.wait_for, which on Python 3.11 drops a
        # cancellation that arrives together with the answer (CPython gh-86296). Honour it here,
        # or a cancelled charger would carry on.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        return result

    async def _boot(self, link: Link) -> None:
        boot = self._dialect.boot_call(after_reset=self._resume_after_boot)
        while True:
            try:
                result = await self._call(link, boot)
            except (OCPPError, UnknownCallErrorCodeError) as exc:
                self._log.warning("%s: BootNotification refused: %s", self._spec.charge_point_id, exc)
                await self._clock.sleep(_IDLE_RETRY_S)
                continue
            interval_s = int(result.interval)
            if result.status == "Accepted":
                if interval_s > 0:
                    self._config.set_int(HEARTBEAT_INTERVAL, interval_s)
                self._booted = True
                return
            await self._clock.sleep(interval_s if interval_s > 0 else _IDLE_RETRY_S)

    async def _send(self, link: Link) -> None:
        while True:
            message = await self._outbox.head()
            try:
                payload = self._dialect.to_call(message)
            except UndeliverableError as exc:
                self._log.warning("%s: dropped: %s", self._spec.charge_point_id, exc)
                self._outbox.remove_head()
                continue
            if payload is None:
                self._outbox.remove_head()
                continue
            try:
                result = await self._call(link, payload)
            except (OCPPError, UnknownCallErrorCodeError) as exc:
                await self._after_call_error(message, exc)
                continue
            self._failed_attempts = 0
            self._outbox.remove_head()
            self._dialect.delivered(message, result)

    async def _after_call_error(self, message: OutMessage, error: Exception) -> None:
        """Retry a refused transaction message TransactionMessageAttempts times, then drop it."""
        self._failed_attempts += 1
        attempts = self._config.int_value(TRANSACTION_MESSAGE_ATTEMPTS)
        if is_transaction_message(message) and self._failed_attempts < attempts:
            retry_s = self._config.int_value(TRANSACTION_MESSAGE_RETRY_INTERVAL) * self._failed_attempts
            await self._clock.sleep(retry_s)
            return
        self._log.warning(
            "%s: central system refused %s, dropped: %s", self._spec.charge_point_id, type(message).__name__, error
        )
        if isinstance(message, StartTransactionOut):
            message.transaction.abandon()
        self._failed_attempts = 0
        self._outbox.remove_head()

    async def _beat(self) -> None:
        while True:
            interval_s = self._config.int_value(HEARTBEAT_INTERVAL)
            await self._clock.sleep(interval_s if interval_s > 0 else _IDLE_RETRY_S)
            if interval_s > 0:
                self._outbox.put(HeartbeatOut())

    async def _end_when_network_cut(self) -> None:
        await self._network_cut.wait()
        raise _SessionEndedError("network cut")

    def _request_reboot(self) -> None:
        self._reboot_requested.set()

    async def _reboot_when_asked(self) -> None:
        await self._reboot_requested.wait()
        # Give the StopTransaction of the reset a chance to go out before the socket closes.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._response_timeout_s):
                await self._outbox.wait_empty()
        self._reboot_requested.clear()
        self._booted = False
        self._resume_after_boot = True
        self._reconnect_now = True
        raise _SessionEndedError("reboot")
