"""The controller's end of the event path: every gateway's events, handled in order per charger.

A durable JetStream consumer hands the events over; each charger's events are handled one after the
other (a stop never overtakes its meter values), different chargers' at the same time. An event is
acknowledged only once handled, so a controller that dies mid-way gets it again after a restart; the
application's handling is idempotent (a start repeated gets the same transaction id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api
from nats.js.errors import NotFoundError

from fleet.bus.broker import event_stream
from fleet.bus.codec import (
    ANSWER_TYPES,
    EVENT_TYPES,
    AuthorizeRequest,
    Codec,
    CsrRequest,
    EventKind,
    FindTransactionRequest,
    GatewayAlive,
    SignedChain,
    TransactionCostRequest,
)
from fleet.bus.fetch_loop import fetch_until_cancelled
from fleet.bus.headers import CHARGE_POINT, DEADLINE, ERROR, GATEWAY, KIND, REPLY_ID
from fleet.bus.holders import ChargerHolders
from fleet.bus.subjects import Subjects
from fleet.observability.metrics import FleetMetrics
from ocpp_server.events import ChargerDisconnected
from ocpp_server.log_context import CHARGE_POINT_ID
from ocpp_server.ports import CertificateSigner, ChargerEventSink, ConnectionDecision

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 4096
"""Events handed over but not yet acknowledged: bounds the controller's memory under a backlog."""
FETCH_BATCH = 512
ACK_WAIT_S = 60.0
"""An event not acknowledged this long after delivery (its controller died) is delivered again."""
SWEEP_INTERVAL_S = 2.0


class EventConsumer:
    def __init__(
        self,
        client: Client,
        subjects: Subjects,
        sink: ChargerEventSink,
        signer: CertificateSigner,
        holders: ChargerHolders,
        codec: Codec,
        now: Callable[[], datetime],
        found: Callable[[str], None] = lambda _: None,
        metrics: FleetMetrics | None = None,
    ) -> None:
        """``found`` is told of each charger a gateway's word shows connected that the controller did
        not know of (it restarted meanwhile): its profiles may be out of date."""
        self._client = client
        self._subjects = subjects
        self._sink = sink
        self._signer = signer
        self._holders = holders
        self._codec = codec
        self._now = now
        self._found = found
        self._metrics = metrics
        self._queues: dict[str, asyncio.Queue[Msg]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self.handled = 0

    async def run(self, ready: asyncio.Event | None = None) -> None:
        js = self._client.jetstream()
        await event_stream(js, self._subjects)
        # A controller that died left events fetched but not acknowledged: the old consumer would
        # deliver them again only after the ack wait, behind newer ones. A new consumer on the work
        # queue (which keeps nothing acknowledged) starts from the oldest event still there, so every
        # charger's events are handled in their order, at once.
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(self._subjects.event_stream, self._subjects.controller_consumer)
        subscription = await js.pull_subscribe(
            self._subjects.events,
            durable=self._subjects.controller_consumer,
            stream=self._subjects.event_stream,
            config=api.ConsumerConfig(ack_wait=ACK_WAIT_S, max_ack_pending=MAX_IN_FLIGHT),
        )
        alive = await self._client.subscribe(self._subjects.alive_all, cb=self._on_alive)
        sweeper = asyncio.create_task(self._sweep_lost_gateways())
        if ready is not None:
            ready.set()
        try:
            await fetch_until_cancelled(lambda: subscription.fetch(FETCH_BATCH, timeout=1.0), self._enqueue)
        finally:
            sweeper.cancel()
            await alive.unsubscribe()
            for worker in list(self._workers):
                worker.cancel()

    def _enqueue(self, message: Msg) -> None:
        charge_point_id = (message.headers or {}).get(CHARGE_POINT, "")
        queue = self._queues.get(charge_point_id)
        if queue is None:
            queue = asyncio.Queue()
            self._queues[charge_point_id] = queue
            worker = asyncio.create_task(self._drain(charge_point_id, queue))
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        queue.put_nowait(message)

    async def _drain(self, charge_point_id: str, queue: asyncio.Queue[Msg]) -> None:
        # As on a gateway: every line logged while handling this charger's events names it.
        CHARGE_POINT_ID.set(charge_point_id or None)
        while not queue.empty():
            message = queue.get_nowait()
            await self._handle(message)
            self.handled += 1
        # Nothing awaits between the check above and this: no event can slip in unhandled.
        del self._queues[charge_point_id]

    async def _handle(self, message: Msg) -> None:
        headers = message.headers or {}
        reply_id = headers.get(REPLY_ID)
        try:
            kind = EventKind(headers.get(KIND, ""))
            deadline = float(headers.get(DEADLINE, "inf"))
            if reply_id is not None and time.time() > deadline:
                # The charger was told of an error long ago and asks again: do not act twice.
                log.info("bus: skipped a %s nobody waits for any more", kind.value)
            else:
                started_s = time.perf_counter()
                event = self._codec.decode(EVENT_TYPES[kind], message.data)
                answer = await self._apply(kind, headers.get(GATEWAY, ""), event)
                if self._metrics is not None:
                    self._metrics.bus_event_handled(kind.value, time.perf_counter() - started_s, failed=False)
                if reply_id is not None:
                    await self._reply(headers, self._codec.encode(ANSWER_TYPES[kind], answer), {})
        except Exception as error:
            log.exception("bus: handling an event failed")
            if self._metrics is not None:
                self._metrics.bus_event_handled(headers.get(KIND, "unknown"), 0.0, failed=True)
            if reply_id is not None:
                await self._reply(headers, b"", {ERROR: repr(error)[:500]})
        try:
            await message.ack()
        except Exception as error:  # delivered again later; handling it twice is harmless
            log.warning("bus: acknowledging an event failed: %r", error)

    async def _reply(self, headers: dict[str, str], data: bytes, extra: dict[str, str]) -> None:
        gateway_id = headers.get(GATEWAY, "")
        await self._client.publish(
            self._subjects.replies(gateway_id), data, headers={REPLY_ID: headers[REPLY_ID], **extra}
        )

    async def _apply(self, kind: EventKind, gateway_id: str, event: Any) -> Any:
        sink = self._sink
        match kind:
            case EventKind.CHARGER_CONNECTED:
                decision: ConnectionDecision = await sink.charger_connected(event)
                if decision.accept:
                    self._holders.connected(event.charge_point_id, gateway_id)
                return decision
            case EventKind.CHARGER_DISCONNECTED:
                if self._holders.disconnected(event.charge_point_id, gateway_id):
                    await sink.charger_disconnected(event)
                else:
                    log.info("bus: %s moved on from gateway %s", event.charge_point_id, gateway_id)
                return None
            case EventKind.CHARGER_BOOTED:
                return await sink.charger_booted(event)
            case EventKind.CONNECTOR_STATUS_CHANGED:
                return await sink.connector_status_changed(event)
            case EventKind.AUTHORIZE:
                request: AuthorizeRequest = event
                return await sink.authorize(request.charge_point_id, request.id_tag)
            case EventKind.TRANSACTION_STARTED:
                return await sink.transaction_started(event)
            case EventKind.TRANSACTION_STOPPED:
                return await sink.transaction_stopped(event)
            case EventKind.METER_VALUES_RECEIVED:
                return await sink.meter_values_received(event)
            case EventKind.CHARGER_REPORTED:
                return await sink.charger_reported(event)
            case EventKind.CAPABILITIES_REPORTED:
                return await sink.capabilities_reported(event)
            case EventKind.EV_CHARGING_NEEDS:
                return await sink.ev_charging_needs(event)
            case EventKind.EXTERNAL_LIMIT_CHANGED:
                return await sink.external_limit_changed(event)
            case EventKind.FIND_TRANSACTION:
                find: FindTransactionRequest = event
                return await sink.find_transaction(find.charge_point_id, find.charger_transaction_id)
            case EventKind.TRANSACTION_COST:
                cost: TransactionCostRequest = event
                return await sink.transaction_cost_eur(cost.transaction_id)
            case EventKind.REVIEW_CSR:
                csr: CsrRequest = event
                return await self._signer.review_csr(csr.charge_point_id, csr.csr_pem)
            case EventKind.SIGN_CSR:
                csr = event
                return SignedChain(await self._signer.sign_csr(csr.charge_point_id, csr.csr_pem))
        raise ValueError(f"unknown event kind {kind}")

    async def _on_alive(self, message: Msg) -> None:
        try:
            for charge_point_id in self._holders.heard(self._codec.decode(GatewayAlive, message.data)):
                self._found(charge_point_id)
        except Exception:
            log.exception("bus: a gateway's word could not be read")

    async def _sweep_lost_gateways(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            for gateway_id, charge_point_ids in self._holders.lost().items():
                log.warning("bus: gateway %s is gone, with %d chargers", gateway_id, len(charge_point_ids))
                for charge_point_id in charge_point_ids:
                    try:
                        await self._sink.charger_disconnected(ChargerDisconnected(charge_point_id, self._now()))
                    except Exception:
                        log.exception("bus: recording %s as disconnected failed", charge_point_id)
