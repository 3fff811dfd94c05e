"""``vettabbia gateway``: holds chargers' websockets; the controller is reached over the bus.

A gateway keeps no state of its own beyond its open connections: events go to the broker, commands
come from it, and the time comes from the controller's clock. Any number of them can run behind a
TCP load balancer; a charger whose gateway dies reconnects through the balancer to another one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import uvicorn

from fleet.bus.broker import BusSettings, connect, event_stream, state_bucket
from fleet.bus.clock import FollowedClock, follow_clock
from fleet.bus.codec import Codec
from fleet.bus.gateway_commands import GatewayCommands
from fleet.bus.gateway_link import GatewayLink
from fleet.bus.gateway_sink import BusEventSink
from fleet.chargers import LocalChargers
from fleet.gateway_http import create_gateway_app
from fleet.http_serving import HTTP_GRACEFUL_SHUTDOWN_S, SHUTDOWN_STEP_S, QuietServer
from fleet.observability.metrics import FleetMetrics
from ocpp_server.central_system import CentralSystem
from ocpp_server.tls import TlsSettings, server_ssl_context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    gateway_id: str
    bus: BusSettings
    ocpp_host: str = "127.0.0.1"
    ocpp_port: int = 9000
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    ocpp_tls: TlsSettings | None = None
    ocpp_call_timeout_s: float = 30.0
    metrics: bool = True


class GatewayNode:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.metrics = FleetMetrics() if settings.metrics else None
        self.clock = FollowedClock()
        self.central: CentralSystem | None = None
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._tls_context = None if settings.ocpp_tls is None else server_ssl_context(settings.ocpp_tls)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        settings = self.settings
        client = await connect(settings.bus)
        try:
            js = client.jetstream()
            await event_stream(js, settings.bus.subjects)
            bucket = await state_bucket(js, settings.bus.subjects)
            codec = Codec()
            link = GatewayLink(client, settings.bus, settings.gateway_id, codec, self.metrics)
            await link.start()
            sink = BusEventSink(link)
            central = CentralSystem(
                sink,
                self.clock.now,
                call_timeout_s=settings.ocpp_call_timeout_s,
                certificates=sink,
                metrics=None if self.metrics is None else self.metrics.edge,
            )
            self.central = central
            commands = GatewayCommands(
                client, settings.bus.subjects, settings.gateway_id, LocalChargers(central), codec
            )
            http = QuietServer(
                uvicorn.Config(
                    create_gateway_app(
                        lambda: client.is_connected, lambda: central.listening_port() is not None, self.metrics
                    ),
                    host=settings.http_host,
                    port=settings.http_port,
                    log_level="warning",
                    lifespan="off",
                    timeout_graceful_shutdown=HTTP_GRACEFUL_SHUTDOWN_S,
                )
            )
            async with asyncio.TaskGroup() as group:
                background = [group.create_task(follow_clock(bucket, settings.bus.subjects.clock_key, self.clock))]
                background.append(group.create_task(commands.run()))
                listening = asyncio.Event()
                background.append(
                    group.create_task(central.serve(settings.ocpp_host, settings.ocpp_port, ready=listening))
                )
                await listening.wait()
                if self._tls_context is not None and settings.ocpp_tls is not None:
                    tls_listening = asyncio.Event()
                    background.append(
                        group.create_task(
                            central.serve(
                                settings.ocpp_host, settings.ocpp_tls.port, ready=tls_listening, tls=self._tls_context
                            )
                        )
                    )
                    await tls_listening.wait()
                http_task = group.create_task(http.serve())
                while not http.started:
                    if http_task.done():
                        raise RuntimeError(f"HTTP server could not start on {settings.http_host}:{settings.http_port}")
                    await asyncio.sleep(0.02)
                log.info(
                    "gateway %s: OCPP on ws://%s:%d/{chargePointId}, bus %s",
                    settings.gateway_id,
                    settings.ocpp_host,
                    central.listening_port(),
                    settings.bus.url,
                )
                self.ready.set()
                stop_task = group.create_task(self._stop.wait())
                await asyncio.wait([stop_task, http_task, *background], return_when=asyncio.FIRST_COMPLETED)
                log.info("gateway %s: stopping", settings.gateway_id)
                link.close()
                for task in reversed(background):
                    task.cancel()
                    await asyncio.wait([task], timeout=SHUTDOWN_STEP_S)
                http.should_exit = True
                stop_task.cancel()
        finally:
            await client.close()
