"""Gateway nodes and a controller's bus link in the test's process, on the real NATS server.

The gateways are the real ``GatewayNode`` (OCPP over real websockets, the bus, their HTTP side);
the controller is the real ``ControllerLink`` handing events to the test's ``RecordingSink``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fleet.bus.broker import BusSettings
from fleet.bus.controller_link import ControllerLink
from fleet.clock import SystemClock
from fleet.gateway_node import GatewayNode, GatewaySettings
from ocpp_server.ports import CsrReview
from tests.ocpp_server.support import RecordingSink


class RefusingSigner:
    """A site without a CA: every certificate signing request is refused."""

    async def review_csr(self, charge_point_id: str, csr_pem: str) -> CsrReview:
        return CsrReview(accepted=False, reason="no CA configured")

    async def sign_csr(self, charge_point_id: str, csr_pem: str) -> str:
        raise RuntimeError("no CA configured")


@dataclass
class Gateway:
    node: GatewayNode
    task: asyncio.Task[None]

    @property
    def url(self) -> str:
        central = self.node.central
        assert central is not None
        return f"ws://127.0.0.1:{central.listening_port()}"

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@dataclass
class Controller:
    link: ControllerLink
    sink: RecordingSink
    task: asyncio.Task[None]
    stored_connected: list[str] = field(default_factory=list)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def start_gateway(bus: BusSettings, gateway_id: str) -> Gateway:
    node = GatewayNode(
        GatewaySettings(gateway_id=gateway_id, bus=bus, ocpp_port=0, http_port=0, ocpp_call_timeout_s=3.0)
    )
    task = asyncio.create_task(node.run())
    waiting = asyncio.create_task(node.ready.wait())
    await asyncio.wait([task, waiting], timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if not node.ready.is_set():
        waiting.cancel()
        if task.done():
            task.result()
        raise TimeoutError(f"gateway {gateway_id} did not start")
    return Gateway(node, task)


async def start_controller(
    bus: BusSettings, sink: RecordingSink, *, stored_connected: list[str] | None = None
) -> Controller:
    link = ControllerLink(bus, call_timeout_s=3.0)
    ready = asyncio.Event()
    listed = list(stored_connected or [])

    async def stored() -> list[str]:
        return listed

    task = asyncio.create_task(link.run(sink, RefusingSigner(), SystemClock(), 1.0, stored, ready))
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait([task, waiting], timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        waiting.cancel()
        if task.done():
            task.result()
        raise TimeoutError("the controller's link did not start")
    return Controller(link, sink, task, listed)


@contextlib.asynccontextmanager
async def deployment(
    bus: BusSettings, sink: RecordingSink, gateway_ids: tuple[str, ...] = ("gw-a",)
) -> AsyncIterator[tuple[Controller, dict[str, Gateway]]]:
    controller = await start_controller(bus, sink)
    gateways: dict[str, Gateway] = {}
    try:
        for gateway_id in gateway_ids:
            gateways[gateway_id] = await start_gateway(bus, gateway_id)
        yield controller, gateways
    finally:
        for gateway in gateways.values():
            await gateway.stop()
        await controller.stop()
