"""The controller's side of the bus, in one piece: events in, commands out, the clock published."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from nats.aio.client import Client

from fleet.bus.broker import BusSettings, connect, state_bucket
from fleet.bus.clock import publish_clock
from fleet.bus.codec import Codec
from fleet.bus.controller_events import EventConsumer
from fleet.bus.holders import LOST_AFTER_S, ChargerHolders
from fleet.bus.remote_chargers import RemoteChargers
from fleet.clock import Clock
from fleet.observability.metrics import FleetMetrics
from ocpp_server.events import ChargerDisconnected
from ocpp_server.ports import CertificateSigner, ChargerEventSink

log = logging.getLogger(__name__)


class ControllerLink:
    def __init__(self, settings: BusSettings, *, call_timeout_s: float, metrics: FleetMetrics | None = None) -> None:
        self._metrics = metrics
        self.settings = settings
        self.client = Client()
        self.holders = ChargerHolders()
        self._codec = Codec()
        self.chargers = RemoteChargers(
            self.client, settings.subjects, self.holders, self._codec, call_timeout_s=call_timeout_s
        )
        self.consumer: EventConsumer | None = None

    def connected(self) -> bool:
        return self.client.is_connected

    async def run(
        self,
        sink: ChargerEventSink,
        signer: CertificateSigner,
        clock: Clock,
        speedup: float,
        stored_connected: Callable[[], Awaitable[list[str]]],
        ready: asyncio.Event,
        found: Callable[[str], None] = lambda _: None,
    ) -> None:
        """Handle the gateways' events until cancelled.

        ``stored_connected`` lists the chargers the database says are connected: those no gateway
        claims within ``LOST_AFTER_S`` of the start went away while no controller listened.
        ``found`` is told of chargers that gateways hold without the controller having seen them
        connect (they connected before it started).
        """
        await connect(self.settings, self.client)
        try:
            bucket = await state_bucket(self.client.jetstream(), self.settings.subjects)
            await publish_clock(bucket, self.settings.subjects.clock_key, clock, speedup)
            self.consumer = EventConsumer(
                self.client,
                self.settings.subjects,
                sink,
                signer,
                self.holders,
                self._codec,
                clock.now,
                found,
                self._metrics,
            )
            async with asyncio.TaskGroup() as group:
                group.create_task(self.consumer.run(ready))
                await ready.wait()
                await asyncio.sleep(LOST_AFTER_S)
                claimed = self.holders.connected_ids()
                for charge_point_id in await stored_connected():
                    if charge_point_id not in claimed:
                        log.info("%s: no gateway holds it any more", charge_point_id)
                        await sink.charger_disconnected(ChargerDisconnected(charge_point_id, clock.now()))
        finally:
            await self.client.close()
