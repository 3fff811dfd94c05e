"""The application's side of the OCPP edge: store every charger event durably, then react.

Each method returns only after the store has committed, so the edge acknowledges nothing that could
be lost. Events that change what the plan should be (plug-in, unplug, a charger back online) ask the
control loop for a new plan; they never solve anything themselves.
"""

from __future__ import annotations

import logging

from fleet.dispatch import electrical_of
from fleet.persistence.store import Store
from fleet.site_config import SiteConfig
from fleet.triggers import PlanTriggers
from fleet.yard import Yard
from ocpp_server.events import (
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ConnectorStatusChanged,
    MeterValuesReceived,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.ports import BootDecision, ConnectionDecision, IdTagStatus, TransactionDecision

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 300


class ChargerIngest:
    """Implements ocpp_server.ports.ChargerEventSink on top of the Store."""

    def __init__(
        self,
        site: SiteConfig,
        store: Store,
        triggers: PlanTriggers,
        yard: Yard | None = None,
    ) -> None:
        self._site = site
        self._store = store
        self._triggers = triggers
        self._yard = yard or Yard()
        # The protocol each charger connected with, so its disconnect is recorded against the same one.
        self._versions: dict[str, str] = {}

    def _boot_decision(self, charge_point_id: str) -> BootDecision | None:
        charger = self._site.charge_point(charge_point_id)
        if charger is None:
            return None
        electrical = electrical_of(charger)
        return BootDecision(
            accepted=True,
            heartbeat_interval_s=HEARTBEAT_INTERVAL_S,
            electrical={n: electrical for n in range(1, charger.connectors + 1)},
            failsafe_limit_kw=self._site.planning.failsafe_limit_kw,
        )

    async def charger_connected(self, event: ChargerConnected) -> ConnectionDecision:
        decision = self._boot_decision(event.charge_point_id)
        if decision is None:
            log.warning("refused unknown charge point %s", event.charge_point_id)
            return ConnectionDecision(accept=False, resume=None)
        known = {cp.id: cp for cp in await self._store.list_charge_points()}.get(event.charge_point_id)
        self._versions[event.charge_point_id] = event.ocpp_version.value
        await self._store.record_connection(event.charge_point_id, event.ocpp_version.value, True, event.at)
        booted_before = known is not None and known.booted_at is not None
        if booted_before:
            self._triggers.charger_reconnected(event.charge_point_id)
        return ConnectionDecision(accept=True, resume=decision if booted_before else None)

    async def charger_disconnected(self, event: ChargerDisconnected) -> None:
        version = self._versions.pop(event.charge_point_id, "1.6")
        await self._store.record_connection(event.charge_point_id, version, False, event.at)

    async def charger_booted(self, event: ChargerBooted) -> BootDecision:
        decision = self._boot_decision(event.charge_point_id)
        if decision is None:
            return BootDecision(False, HEARTBEAT_INTERVAL_S, {}, self._site.planning.failsafe_limit_kw)
        await self._store.record_boot(
            event.charge_point_id,
            event.vendor,
            event.model,
            event.serial_number,
            event.firmware_version,
            event.at,
        )
        return decision

    async def connector_status_changed(self, event: ConnectorStatusChanged) -> None:
        await self._store.record_connector_status(
            event.charge_point_id, event.connector_id, event.status, event.error_code, event.at
        )

    async def authorize(self, charge_point_id: str, id_tag: str) -> IdTagStatus:
        vehicle = await self._store.vehicle_by_id_tag(id_tag)
        return IdTagStatus.ACCEPTED if vehicle is not None else IdTagStatus.INVALID

    async def transaction_started(self, event: TransactionStarted) -> TransactionDecision:
        vehicle = await self._store.vehicle_by_id_tag(event.id_tag)
        transaction_id = await self._store.start_transaction(
            event.charge_point_id,
            event.connector_id,
            event.id_tag,
            vehicle.id if vehicle else None,
            event.meter_start_kwh,
            event.started_at,
        )
        if vehicle is not None:
            self._yard.leave(vehicle.id)
        self._triggers.request_replan(f"plug-in on {event.charge_point_id}/{event.connector_id}")
        status = IdTagStatus.ACCEPTED if vehicle is not None else IdTagStatus.INVALID
        return TransactionDecision(transaction_id=transaction_id, id_tag_status=status)

    async def transaction_stopped(self, event: TransactionStopped) -> IdTagStatus | None:
        known = await self._store.stop_transaction(
            event.transaction_id, event.meter_stop_kwh, event.stopped_at, event.reason, event.samples
        )
        if not known:
            log.warning(
                "StopTransaction for unknown transaction %s from %s",
                event.transaction_id,
                event.charge_point_id,
            )
        self._triggers.request_replan(f"unplug on {event.charge_point_id}")
        if event.id_tag is None:
            return None
        return IdTagStatus.ACCEPTED if await self._store.vehicle_by_id_tag(event.id_tag) else IdTagStatus.INVALID

    async def meter_values_received(self, event: MeterValuesReceived) -> None:
        await self._store.add_meter_samples(
            event.charge_point_id, event.connector_id, event.transaction_id, event.samples
        )
