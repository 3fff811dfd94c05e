"""The application's side of the OCPP edge: store every charger event durably, then react.

Each method returns only after the store has committed, so the edge acknowledges nothing that could
be lost. Events that change what the plan should be (plug-in, unplug, a charger back online, a
vehicle's ISO 15118 needs, a limit set on a charger by someone else) ask the control loop for a new
plan; they never solve anything themselves.

Transactions and meter values are always stored and answered, however odd (offline history comes
late, backdated, after its transaction's stop); what does not add up is written to the charger's log
as a flagged line for the operator rather than refused.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from fleet.charger_security import ChargerSecurity
from fleet.clock import Clock, SystemClock
from fleet.desired_profiles import ProfileSyncRequests
from fleet.dispatch import electrical_of
from fleet.forecast_inputs import ForecastInputs, forecast_inputs
from fleet.id_tags import id_tag_info, start_id_tag_info
from fleet.meter_writer import MeterWriter
from fleet.persistence.records import ExternalLimitRecord, MeterBatch, TransactionRecord
from fleet.persistence.store import Store
from fleet.session_cost import session_costs_eur
from fleet.site_config import SiteConfig
from fleet.triggers import PlanTriggers
from fleet.yard import Yard
from ocpp_server.events import (
    CapabilitiesReported,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerNotice,
    ConnectorStatusChanged,
    EvChargingNeeds,
    ExternalChargingLimit,
    MeterValuesReceived,
    NoticeKind,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.ports import (
    BootDecision,
    ConnectionDecision,
    IdTagInfo,
    IdTagStatus,
    KnownTransaction,
    TransactionDecision,
)
from ocpp_server.profiles import FAILSAFE_PROFILE_ID

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 300
PENDING_RETRY_S = 60
"""A Pending charger boots again after this long [s]: soon after the operator lists it."""
REJECTED_RETRY_S = 900
"""A Rejected charger stays silent this long [s] before it boots again."""

FLAGGED_STATUS_WORDS = ("Failed", "Invalid", "Revoked")
"""A reported status containing one of these (DownloadFailed, InvalidSignature, ...) is flagged."""


class Problem(StrEnum):
    """Kinds of the flagged lines written to a charger's log."""

    STOP_OF_UNKNOWN_TRANSACTION = "StopOfUnknownTransaction"
    STOP_BEFORE_START = "StopBeforeStart"
    METER_VALUES_OF_UNKNOWN_TRANSACTION = "MeterValuesOfUnknownTransaction"
    NEGATIVE_METER_READING = "NegativeMeterReading"
    METER_WENT_BACKWARDS = "MeterWentBackwards"


class ChargerIngest:
    """Implements ocpp_server.ports.ChargerEventSink on top of the Store."""

    def __init__(
        self,
        site: SiteConfig,
        store: Store,
        triggers: PlanTriggers,
        yard: Yard | None = None,
        security: ChargerSecurity | None = None,
        *,
        clock: Clock | None = None,
        profile_sync: ProfileSyncRequests | None = None,
    ) -> None:
        """``security`` checks listed chargers' credentials (security profiles); None admits them all."""
        self._site = site
        self._security = security
        self._store = store
        self._triggers = triggers
        self._yard = yard or Yard()
        # The site's clock: id tags expire in site time, simulated in the demo.
        self._clock: Clock = clock or SystemClock()
        # Told when a charger may have lost its charging profiles (boot, reconnect, a refused fail-safe).
        self._profile_sync = profile_sync
        # The protocol each charger connected with, so its disconnect is recorded against the same one.
        self._versions: dict[str, str] = {}
        self._meter_writer = MeterWriter(store)
        self._cost_inputs: ForecastInputs | None = None

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
            if not self._site.ocpp.auto_registration:
                log.warning("refused unknown charge point %s", event.charge_point_id)
                return ConnectionDecision(accept=False, resume=None)
            if self._security is not None:
                admission = await self._security.admit(event.charge_point_id, event.credentials, event.at)
                if admission.refusal is not None:
                    return ConnectionDecision(accept=False, refusal=admission.refusal, detail=admission.detail)
            log.warning("admitted unknown charge point %s as pending (auto-registration)", event.charge_point_id)
            self._versions[event.charge_point_id] = event.ocpp_version.value
            await self._store.record_connection(event.charge_point_id, event.ocpp_version.value, True, event.at)
            return ConnectionDecision(accept=True, pending=True)
        if self._security is not None:
            admission = await self._security.admit(event.charge_point_id, event.credentials, event.at)
            if admission.refusal is not None:
                return ConnectionDecision(accept=False, refusal=admission.refusal, detail=admission.detail)
        booted_before = await self._store.charge_point_booted_at(event.charge_point_id) is not None
        self._versions[event.charge_point_id] = event.ocpp_version.value
        await self._store.record_connection(event.charge_point_id, event.ocpp_version.value, True, event.at)
        if booted_before:
            self._triggers.charger_reconnected(event.charge_point_id)
            if self._profile_sync is not None:
                self._profile_sync.reinstall(event.charge_point_id)
        return ConnectionDecision(accept=True, resume=decision if booted_before else None)

    async def charger_disconnected(self, event: ChargerDisconnected) -> None:
        version = self._versions.pop(event.charge_point_id, "1.6")
        await self._store.record_connection(event.charge_point_id, version, False, event.at)

    async def charger_booted(self, event: ChargerBooted) -> BootDecision:
        decision = self._boot_decision(event.charge_point_id)
        if decision is None:
            return await self._unlisted_boot(event)
        await self._store.record_boot(
            event.charge_point_id,
            event.vendor,
            event.model,
            event.serial_number,
            event.firmware_version,
            event.at,
        )
        if self._profile_sync is not None:
            # A rebooted charger may have lost its TxProfiles; the edge reinstalls the fail-safe.
            self._profile_sync.reinstall(event.charge_point_id)
        return decision

    async def _unlisted_boot(self, event: ChargerBooted) -> BootDecision:
        """Pending with auto-registration (logged for the operator, who may list it), else Rejected."""
        failsafe_kw = self._site.planning.failsafe_limit_kw
        if not self._site.ocpp.auto_registration:
            return BootDecision(False, REJECTED_RETRY_S, {}, failsafe_kw)
        await self._store.add_charger_log(
            event.charge_point_id,
            event.at,
            NoticeKind.PENDING_REGISTRATION.value,
            "Pending",
            flagged=True,
            detail=f"vendor {event.vendor!r}, model {event.model!r}, serial {event.serial_number!r}, "
            f"firmware {event.firmware_version!r}: not in the site file",
        )
        return BootDecision(False, PENDING_RETRY_S, {}, failsafe_kw, pending=True)

    async def charger_reported(self, event: ChargerNotice) -> None:
        flagged = event.kind in (NoticeKind.SECURITY_EVENT, NoticeKind.CHARGING_PROFILE) or any(
            word in event.status for word in FLAGGED_STATUS_WORDS
        )
        if (
            event.kind is NoticeKind.CHARGING_PROFILE
            and event.request_id == FAILSAFE_PROFILE_ID
            and self._profile_sync is not None
        ):
            self._profile_sync.failsafe_failed(event.charge_point_id)
        await self._store.add_charger_log(
            event.charge_point_id,
            event.at,
            event.kind.value,
            event.status,
            flagged=flagged,
            request_id=event.request_id,
            detail=event.detail,
        )

    async def capabilities_reported(self, event: CapabilitiesReported) -> None:
        capabilities = event.capabilities
        await self._store.capabilities.save_reported(
            event.charge_point_id, capabilities.read_at, event.configuration, capabilities.unknown_keys
        )

    async def _flag(self, charge_point_id: str, at: datetime, problem: Problem, detail: str) -> None:
        # A message the charger repeats with a new message id is flagged again: the log shows it came twice.
        log.warning("%s: %s: %s", charge_point_id, problem.value, detail)
        await self._store.add_charger_log(charge_point_id, at, problem.value, "Flagged", flagged=True, detail=detail)

    async def connector_status_changed(self, event: ConnectorStatusChanged) -> None:
        await self._store.record_connector_status(
            event.charge_point_id, event.connector_id, event.status, event.error_code, event.at
        )

    async def authorize(self, charge_point_id: str, id_tag: str) -> IdTagInfo:
        """The tag's answer (see ``fleet.id_tags``); ConcurrentTx if it is charging at another charger."""
        lookup = await self._store.id_tags.lookup(id_tag)
        return start_id_tag_info(lookup, self._clock.now(), charge_point_id, connector_id=None)

    async def transaction_started(self, event: TransactionStarted) -> TransactionDecision:
        if event.meter_start_kwh < 0:
            await self._flag(
                event.charge_point_id,
                event.started_at,
                Problem.NEGATIVE_METER_READING,
                f"StartTransaction on connector {event.connector_id} with meter start "
                f"{event.meter_start_kwh * 1000:.0f} Wh (a charger without a meter?)",
            )
        vehicle_id: str | None = None
        if event.id_tag:
            # Looked up before the start is stored: the tag's other open transactions are what counts.
            lookup = await self._store.id_tags.lookup(event.id_tag)
            info = start_id_tag_info(lookup, self._clock.now(), event.charge_point_id, event.connector_id)
            vehicle_id = lookup.vehicle_id
        else:
            # A 2.0.1 transaction started without an id token (free charging, or the token comes
            # later): there is no tag to refuse, and the answer's status is not sent for it.
            info = IdTagInfo(IdTagStatus.ACCEPTED)
        transaction_id = await self._store.start_transaction(
            event.charge_point_id,
            event.connector_id,
            event.id_tag,
            vehicle_id,
            event.meter_start_kwh,
            event.started_at,
            event.reservation_id,
            event.charger_transaction_id,
        )
        if vehicle_id is not None:
            self._yard.leave(vehicle_id)
        self._triggers.request_replan(f"plug-in on {event.charge_point_id}/{event.connector_id}")
        return TransactionDecision(transaction_id=transaction_id, id_tag_info=info)

    async def transaction_stopped(self, event: TransactionStopped) -> IdTagInfo | None:
        known = await self._store.stop_transaction(
            event.transaction_id, event.meter_stop_kwh, event.stopped_at, event.reason, event.samples
        )
        if not known:
            await self._flag(
                event.charge_point_id,
                event.stopped_at,
                Problem.STOP_OF_UNKNOWN_TRANSACTION,
                f"StopTransaction for transaction {event.transaction_id}, which the central system never "
                f"started (meter stop {event.meter_stop_kwh} kWh, reason {event.reason}); answered, not stored",
            )
        else:
            stored = await self._store.get_transaction(event.transaction_id)
            if stored is not None:
                await self._check_stop(stored)
        self._triggers.request_replan(f"unplug on {event.charge_point_id}")
        if event.id_tag is None:
            return None
        return id_tag_info(await self._store.id_tags.lookup(event.id_tag), self._clock.now())

    async def _check_stop(self, stored: TransactionRecord) -> None:
        """Flag a stopped transaction whose times or readings do not add up."""
        if stored.stopped_at is None or stored.meter_stop_kwh is None:
            return
        if stored.stopped_at < stored.started_at:
            await self._flag(
                stored.charge_point_id,
                stored.stopped_at,
                Problem.STOP_BEFORE_START,
                f"transaction {stored.id} stopped at {stored.stopped_at.isoformat()}, "
                f"before its start at {stored.started_at.isoformat()}",
            )
        if stored.meter_stop_kwh < stored.meter_start_kwh:
            await self._flag(
                stored.charge_point_id,
                stored.stopped_at,
                Problem.METER_WENT_BACKWARDS,
                f"transaction {stored.id} stopped at meter {stored.meter_stop_kwh:.3f} kWh, "
                f"below its start at {stored.meter_start_kwh:.3f} kWh",
            )

    async def meter_values_received(self, event: MeterValuesReceived) -> None:
        outcome = await self._meter_writer.add(
            MeterBatch(event.charge_point_id, event.connector_id, event.transaction_id, tuple(event.samples))
        )
        if event.samples and not outcome.transaction_known:
            await self._flag(
                event.charge_point_id,
                min(sample.measured_at for sample in event.samples),
                Problem.METER_VALUES_OF_UNKNOWN_TRANSACTION,
                f"meter values for transaction {event.transaction_id} on connector {event.connector_id}, "
                "which the central system never started; kept without a transaction",
            )

    async def ev_charging_needs(self, event: EvChargingNeeds) -> bool:
        transaction_id = await self._store.charger_inputs.record_ev_needs(event)
        if transaction_id is None:
            log.info(
                "%s: vehicle needs on connector %d, where no transaction is open",
                event.charge_point_id,
                event.connector_id,
            )
            return False
        self._triggers.request_replan(f"vehicle needs on {event.charge_point_id}/{event.connector_id}")
        return True

    async def find_transaction(self, charge_point_id: str, charger_transaction_id: str) -> KnownTransaction | None:
        stored = await self._store.find_charger_transaction(charge_point_id, charger_transaction_id)
        if stored is None:
            return None
        meter_kwh = (
            stored.meter_start_kwh if stored.last_energy_register_kwh is None else stored.last_energy_register_kwh
        )
        return KnownTransaction(stored.id, stored.connector_id, stored.id_tag, meter_kwh)

    async def transaction_cost_eur(self, transaction_id: int) -> float | None:
        transaction = await self._store.get_transaction(transaction_id)
        if transaction is None:
            return None
        if self._cost_inputs is None:
            # Asked with every metered 2.0.1 event: the site's tariff is read once, not each time.
            self._cost_inputs = forecast_inputs(self._site)
        inputs = self._cost_inputs
        return session_costs_eur([transaction], inputs.tariff, inputs.location, self._clock.now())[0]

    async def external_limit_changed(self, event: ExternalChargingLimit) -> None:
        where = f"{event.charge_point_id}/{event.connector_id}"
        if event.limit_kw is None:
            changed = await self._store.charger_inputs.clear_external_limit(
                event.charge_point_id, event.connector_id, event.source, event.at
            )
            if changed:
                self._triggers.request_replan(f"{event.source} limit on {where} cleared")
            return
        limit = ExternalLimitRecord(
            event.charge_point_id, event.connector_id, event.source, event.limit_kw, event.grid_critical, event.at
        )
        if await self._store.charger_inputs.set_external_limit(limit):
            self._triggers.request_replan(f"{event.source} limit of {event.limit_kw:g} kW on {where}")
