"""OCPP 2.0.1 handlers for the messages a charging station sends: translate, one sink call, respond.

The rest of the system cannot tell a 2.0.1 charger from a 1.6 one: every handler turns the 2.0.1
message into the same domain events (``events``) a 1.6 charger produces.

* One EVSE is one connector to the application: ``evseId`` is the ``connector_id`` of every event.
* Connector states are told in 1.6's words: StatusNotification's Available / Occupied / Reserved /
  Unavailable / Faulted, refined by TransactionEvent's chargingState (Charging, SuspendedEV, ...),
  become Available, Preparing, Charging, SuspendedEV, SuspendedEVSE, Finishing, Reserved,
  Unavailable, Faulted.
* A TransactionEvent opens the transaction in the application the first time this connection sees
  its ``transactionId`` (Started, or a later event that came first after the charger was offline),
  carries its meter values, and closes it with Ended. The application makes a repeated start of the
  same charger transaction return the same transaction, so replays and reconnects are harmless.
* A vehicle's ISO 15118 needs (NotifyEVChargingNeeds) and limits set by others (NotifyChargingLimit,
  ClearedChargingLimit) go to the application, which plans with them.

While the station's boot is Pending or Rejected, its requests are screened as for 1.6
(``refusal_for``): a Pending station may send no request but BootNotification unless the central
system triggered it (use case B02); what it sends anyway is answered with SecurityError.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ocpp.exceptions import OccurrenceConstraintViolationError, OCPPError
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from ocpp_server.commands import CommandResult
from ocpp_server.ev_needs_v201 import NOMINAL_VOLTAGE_V, ev_charging_needs
from ocpp_server.events import (
    ChargerBooted,
    ConnectorStatusChanged,
    ExternalChargingLimit,
    MeterSample,
    MeterValuesReceived,
    NoticeKind,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.handlers_v16 import Registration, plausible_power_kw, registration_refusal
from ocpp_server.json_codec import JsonCodec
from ocpp_server.message_trace import MessageTrace
from ocpp_server.meter_parsing import parse_meter_values
from ocpp_server.meter_values_v201 import as_v16_meter_values, energy_register_kwh
from ocpp_server.metrics import EdgeMetrics
from ocpp_server.outbound_v16 import OutboundCalls
from ocpp_server.ports import BootDecision, CertificateSigner, ChargerEventSink, IdTagInfo
from ocpp_server.profile_channel_v201 import ProfileChannelV201
from ocpp_server.rpc_v16 import Spawn, WebSocket, on_action
from ocpp_server.schemas import PayloadSchemas
from ocpp_server.station_reports_v201 import StationReportsV201
from ocpp_server.timestamps import format_utc_timestamp, parse_utc_timestamp
from ocpp_server.transactions_v201 import ChargerTransaction, ChargerTransactions

LOGGER = logging.getLogger(__name__)

TRIGGERABLE_ACTIONS = frozenset(
    {
        Action.boot_notification.value,
        Action.firmware_status_notification.value,
        Action.heartbeat.value,
        Action.log_status_notification.value,
        Action.meter_values.value,
        Action.status_notification.value,
    }
)
"""The requests a Pending station may send when triggered (TriggerMessage, F06) and that carry no
site business; a triggered TransactionEvent waits until the station is accepted."""

CONNECTOR_STATUS_AS_V16 = {
    "Available": "Available",
    "Occupied": "Preparing",
    "Reserved": "Reserved",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}
"""2.0.1 ConnectorStatusEnumType -> the 1.6 ChargePointStatus the application knows."""

CHARGING_STATE_AS_V16 = {
    "Charging": "Charging",
    "EVConnected": "SuspendedEV",
    "SuspendedEV": "SuspendedEV",
    "SuspendedEVSE": "SuspendedEVSE",
    "Idle": "Preparing",
}
"""2.0.1 ChargingStateEnumType -> 1.6 ChargePointStatus. EVConnected is a vehicle plugged in that
draws nothing yet, which 1.6 calls SuspendedEV once a transaction runs."""

NO_ERROR = "NoError"

ID_TOKEN_TYPE_CENTRAL = "Central"


class ChargePointV201(StationReportsV201):
    """The central system's side of one OCPP 2.0.1 charging station connection."""

    def __init__(
        self,
        charge_point_id: str,
        connection: WebSocket,
        *,
        sink: ChargerEventSink,
        now: Callable[[], datetime],
        outbound: OutboundCalls,
        spawn: Spawn,
        boot: BootDecision | None,
        pending: bool = False,
        max_plausible_power_kw: float,
        schemas: PayloadSchemas,
        json_codec: JsonCodec,
        certificates: CertificateSigner | None = None,
        capabilities_timeout_s: float = 10.0,
        trace: MessageTrace | None = None,
        metrics: EdgeMetrics | None = None,
    ) -> None:
        super().__init__(
            charge_point_id,
            connection,
            spawn=spawn,
            call_timeout_s=outbound.timeout_s,
            schemas=schemas,
            json_codec=json_codec,
            trace=trace,
            metrics=metrics,
        )
        self._sink = sink
        self._now = now
        self._outbound = outbound
        self._boot = boot
        self._registration = Registration.PENDING if pending else Registration.UNSETTLED
        self._max_plausible_power_kw = max_plausible_power_kw
        self._certificates = certificates
        self.transactions = ChargerTransactions()
        """The charger's transactions as this connection saw them (their ids, sequence numbers)."""
        self.profiles = ProfileChannelV201(
            self,
            outbound,
            sink,
            self.utc_now,
            self.transactions,
            read_timeout_s=capabilities_timeout_s,
        )
        """Reported device model and every charging profile sent to this charger."""

    def refusal_for(self, action: str) -> OCPPError | None:
        """Screen requests of a station whose boot is Pending or Rejected (see the module's text)."""
        return registration_refusal(self._registration, action, TRIGGERABLE_ACTIONS, "the charging station")

    async def install_failsafe(self, decision: BootDecision) -> CommandResult:
        """Send the fail-safe TxDefaultProfile for ``decision``, checked against the device model."""
        return await self.profiles.install_failsafe(decision)

    # B Provisioning

    @on_action(Action.boot_notification)
    async def on_boot_notification(
        self, charging_station: dict[str, Any], reason: str, **_: Any
    ) -> call_result.BootNotification:
        now = self.utc_now()
        decision = await self._sink.charger_booted(
            ChargerBooted(
                charge_point_id=self.charge_point_id,
                vendor=charging_station["vendor_name"],
                model=charging_station["model"],
                serial_number=charging_station.get("serial_number"),
                firmware_version=charging_station.get("firmware_version"),
                at=now,
            )
        )
        if decision.accepted:
            self._boot = decision
            self._registration = Registration.ACCEPTED
            self.profiles.expect_set_up()
            self.after_reply("device model and fail-safe profile", lambda: self.profiles.set_up(decision))
            status = "Accepted"
        elif decision.pending:
            self._registration = Registration.PENDING
            status = "Pending"
        else:
            self._registration = Registration.REJECTED
            status = "Rejected"
        LOGGER.info("%s: boot (%s) %s", self.id, reason, status)
        return call_result.BootNotification(
            current_time=format_utc_timestamp(now), interval=decision.heartbeat_interval_s, status=status
        )

    @on_action(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=format_utc_timestamp(self.utc_now()))

    @on_action(Action.status_notification)
    async def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.StatusNotification:
        await self._status(
            evse_id, CONNECTOR_STATUS_AS_V16.get(str(connector_status), str(connector_status)), timestamp
        )
        return call_result.StatusNotification()

    @on_action(Action.notify_report)
    async def on_notify_report(
        self,
        request_id: int,
        generated_at: str,
        seq_no: int,
        tbc: bool = False,
        report_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.NotifyReport:
        await self.profiles.report_part(
            {
                "request_id": request_id,
                "generated_at": generated_at,
                "seq_no": seq_no,
                "tbc": tbc,
                "report_data": report_data,
            }
        )
        return call_result.NotifyReport()

    # C, D Authorization

    @on_action(Action.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **_: Any) -> call_result.Authorize:
        info = await self._sink.authorize(self.charge_point_id, id_token["id_token"])
        return call_result.Authorize(id_token_info=wire_id_token_info(info))

    # E Transactions

    @on_action(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        meter_value: list[dict[str, Any]] | None = None,
        offline: bool = False,
        reservation_id: int | None = None,
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.TransactionEvent:
        at = parse_utc_timestamp(timestamp, "timestamp")
        charger_transaction_id = str(transaction_info["transaction_id"])
        meter_values = meter_value or []
        token = None if id_token is None else str(id_token["id_token"])
        transaction, start_info = await self._transaction(
            charger_transaction_id,
            evse,
            token,
            at=at,
            meter_values=meter_values,
            reservation_id=reservation_id,
        )
        self.transactions.saw(transaction, seq_no)
        if offline:
            LOGGER.info("%s: TransactionEvent %s #%d of %s sent offline", self.id, event_type, seq_no, at.isoformat())
        register_kwh = energy_register_kwh(meter_values)
        if register_kwh is not None:
            transaction.last_register_kwh = register_kwh
        samples = self._samples(meter_values, connector_id=transaction.connector_id)
        if str(event_type) == "Ended":
            info = await self._end(transaction, transaction_info, token, at=at, samples=samples)
            self._check_sequence(charger_transaction_id, transaction, seq_no)
        else:
            if samples:
                await self._sink.meter_values_received(
                    MeterValuesReceived(
                        self.charge_point_id, transaction.connector_id, transaction.transaction_id, samples
                    )
                )
            charging_state = transaction_info.get("charging_state")
            if charging_state is not None and str(charging_state) in CHARGING_STATE_AS_V16:
                await self._status(transaction.connector_id, CHARGING_STATE_AS_V16[str(charging_state)], timestamp)
            info = start_info if start_info is not None or token is None else await self._authorize(token)
        # I02 / I03: the running cost with each metered update, the final cost with the end.
        total_cost = await self._cost(transaction) if samples or str(event_type) == "Ended" else None
        return call_result.TransactionEvent(
            total_cost=total_cost, id_token_info=None if info is None else wire_id_token_info(info)
        )

    async def _cost(self, transaction: ChargerTransaction) -> float | None:
        try:
            cost_eur = await self._sink.transaction_cost_eur(transaction.transaction_id)
        except Exception:
            # The event itself is stored: a cost that cannot be worked out now is left out, not an error.
            LOGGER.exception("%s: cost of transaction %d not known", self.id, transaction.transaction_id)
            return None
        return None if cost_eur is None else round(cost_eur, 2)

    async def _transaction(
        self,
        charger_transaction_id: str,
        evse: Mapping[str, Any] | None,
        token: str | None,
        *,
        at: datetime,
        meter_values: Sequence[Mapping[str, Any]],
        reservation_id: int | None,
    ) -> tuple[ChargerTransaction, IdTagInfo | None]:
        """The transaction the event belongs to, opened in the application when new here (or when its
        id token arrives late), and the id token's answer from that start, if one was made."""
        known = self.transactions.get(charger_transaction_id)
        if known is None and evse is None:
            # Only a transaction's first event names its EVSE: after a reconnect, or a restart of the
            # central system, the station's next events are placed by what the application holds.
            held = await self._sink.find_transaction(self.charge_point_id, charger_transaction_id)
            if held is not None:
                known = ChargerTransaction(
                    held.transaction_id,
                    held.connector_id,
                    id_tag_known=held.id_tag != "",
                    last_register_kwh=held.meter_kwh,
                )
                self.transactions.add(charger_transaction_id, known)
        if known is not None and (known.id_tag_known or token is None):
            return known, None
        if known is not None:
            connector_id = known.connector_id
        elif evse is not None:
            connector_id = int(evse["id"])
        else:
            # The transaction's first event names its EVSE; one sent offline out of order
            # may come before it, so only a transaction that can be placed nowhere is refused.
            raise OccurrenceConstraintViolationError(
                description="evse is required in the first TransactionEvent of a transaction",
                details={"cause": f"transaction {charger_transaction_id} is not known and the event names no EVSE"},
            )
        meter_start_kwh = energy_register_kwh(meter_values)
        if meter_start_kwh is None:
            meter_start_kwh = 0.0 if known is None or known.last_register_kwh is None else known.last_register_kwh
        decision = await self._sink.transaction_started(
            TransactionStarted(
                charge_point_id=self.charge_point_id,
                connector_id=connector_id,
                id_tag=token or "",
                meter_start_kwh=meter_start_kwh,
                started_at=at,
                reservation_id=reservation_id,
                charger_transaction_id=charger_transaction_id,
            )
        )
        transaction = known or ChargerTransaction(decision.transaction_id, connector_id, id_tag_known=False)
        transaction.id_tag_known = token is not None
        self.transactions.add(charger_transaction_id, transaction)
        return transaction, decision.id_tag_info if token is not None else None

    async def _end(
        self,
        transaction: ChargerTransaction,
        transaction_info: Mapping[str, Any],
        token: str | None,
        *,
        at: datetime,
        samples: tuple[MeterSample, ...],
    ) -> IdTagInfo | None:
        transaction.ended = True
        meter_stop_kwh = transaction.last_register_kwh
        if meter_stop_kwh is None:
            # An Ended without a reading (the end's meter value is optional): the last reading the
            # application holds stands, where a zero would read as the meter going backwards.
            held = await self._sink.find_transaction(self.charge_point_id, str(transaction_info["transaction_id"]))
            meter_stop_kwh = 0.0 if held is None else held.meter_kwh
        reason = transaction_info.get("stopped_reason")
        info = await self._sink.transaction_stopped(
            TransactionStopped(
                charge_point_id=self.charge_point_id,
                transaction_id=transaction.transaction_id,
                meter_stop_kwh=meter_stop_kwh,
                stopped_at=at,
                reason=None if reason is None else str(reason),
                id_tag=token,
                samples=samples,
            )
        )
        await self._status(transaction.connector_id, "Finishing", format_utc_timestamp(at))
        return info

    def _check_sequence(self, charger_transaction_id: str, transaction: ChargerTransaction, ended_seq_no: int) -> None:
        missing = self.transactions.missing_seq_nos(transaction, ended_seq_no)
        if not missing:
            return
        LOGGER.warning(
            "%s: transaction %s ended with events %s missing; asking the station",
            self.id,
            charger_transaction_id,
            missing,
        )
        self.after_reply(
            "GetTransactionStatus", lambda: self.profiles.ask_transaction_status(charger_transaction_id, missing)
        )

    async def _authorize(self, token: str) -> IdTagInfo:
        return await self._sink.authorize(self.charge_point_id, token)

    # J Meter values

    @on_action(Action.meter_values)
    async def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> call_result.MeterValues:
        samples = self._samples(meter_value, connector_id=evse_id)
        if samples:
            await self._sink.meter_values_received(MeterValuesReceived(self.charge_point_id, evse_id, None, samples))
        return call_result.MeterValues()

    # K Smart charging

    @on_action(Action.notify_ev_charging_needs)
    async def on_notify_ev_charging_needs(
        self, charging_needs: dict[str, Any], evse_id: int, **_: Any
    ) -> call_result.NotifyEVChargingNeeds:
        electrical = None if self._boot is None else self._boot.electrical.get(evse_id)
        needs = ev_charging_needs(
            self.charge_point_id,
            evse_id,
            charging_needs,
            at=self.utc_now(),
            voltage_v=electrical.voltage_v if electrical is not None else NOMINAL_VOLTAGE_V,
        )
        accepted = await self._sink.ev_charging_needs(needs)
        LOGGER.info(
            "%s: EV on EVSE %d needs %s kWh by %s: %s",
            self.id,
            evse_id,
            needs.energy_amount_kwh,
            None if needs.departure_at is None else needs.departure_at.isoformat(),
            "accepted" if accepted else "rejected, no transaction",
        )
        return call_result.NotifyEVChargingNeeds(status="Accepted" if accepted else "Rejected")

    @on_action(Action.notify_ev_charging_schedule)
    async def on_notify_ev_charging_schedule(
        self, time_base: str, charging_schedule: dict[str, Any], evse_id: int, **_: Any
    ) -> call_result.NotifyEVChargingSchedule:
        comparison = self.profiles.compare_ev_schedule(
            evse_id, parse_utc_timestamp(time_base, "timeBase"), charging_schedule
        )
        await self._report(NoticeKind.EV_CHARGING_SCHEDULE, comparison.status, detail=comparison.detail)
        return call_result.NotifyEVChargingSchedule(status="Accepted")

    @on_action(Action.notify_charging_limit)
    async def on_notify_charging_limit(
        self,
        charging_limit: dict[str, Any],
        charging_schedule: list[dict[str, Any]] | None = None,
        evse_id: int | None = None,
        **_: Any,
    ) -> call_result.NotifyChargingLimit:
        connector_id = 0 if evse_id is None else evse_id
        limit_kw = self.profiles.lowest_limit_kw(connector_id, charging_schedule or [])
        await self._sink.external_limit_changed(
            ExternalChargingLimit(
                charge_point_id=self.charge_point_id,
                connector_id=connector_id,
                source=str(charging_limit["charging_limit_source"]),
                limit_kw=limit_kw,
                grid_critical=bool(charging_limit.get("is_grid_critical", False)),
                at=self.utc_now(),
            )
        )
        return call_result.NotifyChargingLimit()

    @on_action(Action.cleared_charging_limit)
    async def on_cleared_charging_limit(
        self, charging_limit_source: str, evse_id: int | None = None, **_: Any
    ) -> call_result.ClearedChargingLimit:
        await self._sink.external_limit_changed(
            ExternalChargingLimit(
                charge_point_id=self.charge_point_id,
                connector_id=0 if evse_id is None else evse_id,
                source=str(charging_limit_source),
                limit_kw=None,
                grid_critical=False,
                at=self.utc_now(),
            )
        )
        return call_result.ClearedChargingLimit()

    @on_action(Action.report_charging_profiles)
    async def on_report_charging_profiles(
        self, request_id: int, charging_limit_source: str, evse_id: int, charging_profile: list[Any], **_: Any
    ) -> call_result.ReportChargingProfiles:
        LOGGER.info(
            "%s: GetChargingProfiles %d: %d profile(s) of %s on EVSE %d",
            self.id,
            request_id,
            len(charging_profile),
            charging_limit_source,
            evse_id,
        )
        return call_result.ReportChargingProfiles()

    # helpers

    async def _status(self, connector_id: int, status: str, timestamp: str) -> None:
        await self._sink.connector_status_changed(
            ConnectorStatusChanged(
                charge_point_id=self.charge_point_id,
                connector_id=connector_id,
                status=status,
                error_code=NO_ERROR if status != "Faulted" else "OtherError",
                at=parse_utc_timestamp(timestamp, "timestamp"),
            )
        )

    def _samples(self, meter_values: Sequence[Mapping[str, Any]], *, connector_id: int) -> tuple[MeterSample, ...]:
        parsed = parse_meter_values(
            as_v16_meter_values(meter_values), now=self.utc_now(), max_power_kw=self._power_bound_kw(connector_id)
        )
        for reason in parsed.dropped:
            LOGGER.warning("%s: meter sample dropped: %s", self.id, reason)
        return parsed.samples

    def _power_bound_kw(self, connector_id: int) -> float:
        return plausible_power_kw(self._boot, connector_id, self._max_plausible_power_kw)


def wire_id_token_info(info: IdTagInfo) -> dict[str, Any]:
    """``info`` as OCPP 2.0.1's IdTokenInfoType (snake_case; the router turns keys to camelCase).

    The 1.6 parent id tag becomes the group id token, so group behaviours (a tag of the same group
    stopping a transaction, C09) work alike on both versions.
    """
    wire: dict[str, Any] = {"status": info.status.value}
    if info.expires_at is not None:
        wire["cache_expiry_date_time"] = format_utc_timestamp(info.expires_at)
    if info.parent_id_tag is not None:
        wire["group_id_token"] = {"id_token": info.parent_id_tag, "type": ID_TOKEN_TYPE_CENTRAL}
    return wire
