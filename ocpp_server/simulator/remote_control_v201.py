"""How a simulated OCPP 2.0.1 charge point answers the central system's requests.

:class:`RemoteControlV201` translates 2.0.1 requests into the same operations the 1.6 charger
performs (:class:`~ocpp_server.simulator.remote_control.RemoteControl` and the connector), so that
both versions obey profiles, start, stop, reset and unlock alike; what exists only in 2.0.1 (the
device model, reports in several parts, the vehicle's chosen schedule) is built here and queued
in the outbox, to be sent after the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ocpp.v201 import call

from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.clock import SimClock
from ocpp_server.simulator.connector import Connector
from ocpp_server.simulator.device_model import DeviceModel
from ocpp_server.simulator.messages_v201 import EVSE_ID, TransactionEvents, meter_value, status_notification
from ocpp_server.simulator.outbox import (
    BootOut,
    HeartbeatOut,
    IdleNotificationOut,
    LocalTransaction,
    Outbox,
    OutMessage,
    ReportOut,
    StatusOut,
    is_transaction_message,
)
from ocpp_server.simulator.profile_store import CONNECTOR_ID, UnusableProfileError
from ocpp_server.simulator.profiles import ChargingProfile
from ocpp_server.simulator.profiles_v201 import purpose_from_201, store_form, wire_form
from ocpp_server.simulator.remote_control import RemoteControl
from ocpp_server.simulator.timestamps import format_ocpp_datetime

REPORT_ENTRIES_PER_MESSAGE = 8
"""Device model entries per NotifyReport part: several small messages rather than one large one."""
EV_SCHEDULE_HORIZON_S = 86_400
"""How far ahead a vehicle plans its charging schedule when it has no departure time [s]."""

_TRIGGERS: dict[str, Callable[[], OutMessage]] = {
    "BootNotification": lambda: BootOut(),
    "Heartbeat": lambda: HeartbeatOut(),
    "LogStatusNotification": lambda: IdleNotificationOut("DiagnosticsStatusNotification"),
    "FirmwareStatusNotification": lambda: IdleNotificationOut("FirmwareStatusNotification"),
}
_TRIGGERABLE = {*_TRIGGERS, "MeterValues", "StatusNotification", "TransactionEvent"}


def _transaction_of(message: OutMessage) -> str | None:
    transaction = getattr(message, "transaction", None)
    return transaction.local_id if isinstance(transaction, LocalTransaction) else None


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


class RemoteControlV201:
    """The 2.0.1 requests a central system can make of one simulated charge point.

    Parameters
    ----------
    spec, clock, connector, outbox
        The charge point's parts.
    control
        The version-neutral operations (profiles, availability, reset, local list).
    device_model
        The charger's variables.
    events
        Numbers the transaction events; told which transactions were started remotely.
    departure
        When the plugged-in vehicle leaves, if its driver said.
    """

    def __init__(
        self,
        spec: SimChargerSpec,
        clock: SimClock,
        connector: Connector,
        outbox: Outbox,
        control: RemoteControl,
        device_model: DeviceModel,
        events: TransactionEvents,
        departure: Callable[[], datetime | None],
    ) -> None:
        self._spec = spec
        self._clock = clock
        self._connector = connector
        self._outbox = outbox
        self._control = control
        self._device_model = device_model
        self._events = events
        self._departure = departure
        self._log = logging.getLogger(__name__)

    def _running_id(self) -> str | None:
        transaction = self._connector.transaction
        return None if transaction is None else transaction.local_id

    # --- smart charging --------------------------------------------------------------------

    def set_charging_profile(self, evse_id: int, profile: Mapping[str, Any]) -> str:
        try:
            form = store_form(profile, self._running_id())
        except UnusableProfileError as exc:
            self._log.info("%s: SetChargingProfile rejected: %s", self._spec.charge_point_id, exc)
            return "Rejected"
        status = self._control.set_charging_profile(evse_id, form)
        if status == "Accepted" and form["charging_profile_purpose"] == "TxProfile" and self._spec.speaks_iso15118:
            self._outbox.put(ReportOut(self._ev_schedule()))
        return status

    def _ev_schedule(self) -> call.NotifyEVChargingSchedule:
        """The schedule the vehicle chooses: what the charger offers, capped by its own maximum power."""
        now = self._clock.now()
        duration_s = EV_SCHEDULE_HORIZON_S
        departure = self._departure()
        if departure is not None and departure > now:
            duration_s = max(1, min(duration_s, int((departure - now).total_seconds())))
        battery = self._connector.battery
        ev_max_kw = self._spec.max_power_kw if battery is None else battery.spec.rated_power_kw(self._spec.kind)
        periods: list[dict[str, float]] = []
        for offset_s, limit_kw in self._connector.composite(CONNECTOR_ID, duration_s, now):
            limit_w = round(min(limit_kw, ev_max_kw) * 1000, 1)
            if not periods or periods[-1]["limit"] != limit_w:
                periods.append({"startPeriod": offset_s, "limit": limit_w})
        return call.NotifyEVChargingSchedule(
            time_base=format_ocpp_datetime(now),
            charging_schedule={
                "id": 1,
                "duration": duration_s,
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": periods[: self._spec.max_schedule_periods],
            },
            evse_id=EVSE_ID,
        )

    def clear_charging_profile(self, profile_id: int | None, criteria: Mapping[str, Any] | None) -> str:
        criteria = criteria or {}
        purpose_201 = criteria.get("charging_profile_purpose")
        purpose = None if purpose_201 is None else purpose_from_201(str(purpose_201))
        if purpose_201 is not None and purpose is None:
            return "Unknown"
        return self._control.clear_charging_profile(
            profile_id, criteria.get("evse_id"), purpose, criteria.get("stack_level")
        )

    def _matching_profiles(self, evse_id: int | None, criteria: Mapping[str, Any]) -> list[ChargingProfile]:
        ids = criteria.get("charging_profile_id")
        purpose_201 = criteria.get("charging_profile_purpose")
        purpose = None if purpose_201 is None else purpose_from_201(str(purpose_201))
        stack_level = criteria.get("stack_level")
        sources = criteria.get("charging_limit_source")
        if sources is not None and "CSO" not in sources:
            return []
        return [
            p
            for p in self._connector.profiles
            if (evse_id is None or p.connector_id == evse_id)
            and (not ids or p.profile_id in ids)
            and (purpose_201 is None or p.purpose == purpose)
            and (stack_level is None or p.stack_level == stack_level)
        ]

    def accepts_get_charging_profiles(self, evse_id: int | None, criteria: Mapping[str, Any]) -> str:
        return "Accepted" if self._matching_profiles(evse_id, criteria) else "NoProfiles"

    def report_charging_profiles(self, request_id: int, evse_id: int | None, criteria: Mapping[str, Any]) -> None:
        """Queue one ReportChargingProfiles per EVSE that has matching profiles (tbc on all but the last)."""
        by_evse: dict[int, list[ChargingProfile]] = {}
        for profile in self._matching_profiles(evse_id, criteria):
            by_evse.setdefault(profile.connector_id, []).append(profile)
        running_id = self._running_id()
        for index, (evse, profiles) in enumerate(sorted(by_evse.items())):
            self._outbox.put(
                ReportOut(
                    call.ReportChargingProfiles(
                        request_id=request_id,
                        charging_limit_source="CSO",
                        charging_profile=[wire_form(p, running_id) for p in profiles],
                        evse_id=evse,
                        tbc=True if index < len(by_evse) - 1 else None,
                    )
                )
            )

    def composite_schedule(self, duration_s: int, evse_id: int, rate_unit: str | None) -> dict[str, Any] | None:
        """The ``schedule`` of a GetCompositeSchedule answer (camelCase), or None to reject."""
        answer = self._control.composite_schedule(evse_id, duration_s, rate_unit)
        if answer is None:
            return None
        schedule = answer["charging_schedule"]
        return {
            "evseId": evse_id,
            "duration": schedule["duration"],
            "scheduleStart": answer["schedule_start"],
            "chargingRateUnit": schedule["charging_rate_unit"],
            "chargingSchedulePeriod": [
                {"startPeriod": p["start_period"], "limit": p["limit"]} for p in schedule["charging_schedule_period"]
            ],
        }

    # --- device model ----------------------------------------------------------------------

    def get_variables(self, requests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self._device_model.get(r) for r in requests]

    def set_variables(self, requests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self._device_model.set(r) for r in requests]

    def accepts_base_report(self, report_base: str) -> str:
        return "Accepted" if self._device_model.report(report_base) else "EmptyResultSet"

    def base_report(self, request_id: int, report_base: str) -> None:
        """Queue the NotifyReport parts of a base report, in order (seqNo from 0, tbc on all but the last)."""
        entries = self._device_model.report(report_base)
        if not entries:
            return
        parts = _chunks(entries, REPORT_ENTRIES_PER_MESSAGE)
        generated_at = format_ocpp_datetime(self._clock.now())
        for seq_no, part in enumerate(parts):
            self._outbox.put(
                ReportOut(
                    call.NotifyReport(
                        request_id=request_id,
                        generated_at=generated_at,
                        seq_no=seq_no,
                        report_data=list(part),
                        tbc=True if seq_no < len(parts) - 1 else None,
                    )
                )
            )

    # --- transactions ----------------------------------------------------------------------

    def accepts_remote_start(self, evse_id: int | None) -> bool:
        return self._control.accepts_remote_start(evse_id)

    def remote_start(
        self,
        id_token: Mapping[str, Any],
        remote_start_id: int,
        evse_id: int | None,
        charging_profile: Mapping[str, Any] | None,
    ) -> None:
        if not self.accepts_remote_start(evse_id):
            return
        self._connector.start_transaction(str(id_token["id_token"]), self._clock.now())
        transaction = self._connector.transaction
        if transaction is None:
            return
        self._events.remember_remote_start(transaction, remote_start_id, str(id_token.get("type", "Central")))
        if charging_profile is not None:
            self.set_charging_profile(EVSE_ID, charging_profile)

    def transaction_status(self, transaction_id: str | None) -> tuple[bool | None, bool]:
        """GetTransactionStatus: whether the transaction is ongoing (None when none is named) and
        whether transaction messages (of it, when named) wait in the queue."""
        queued = [
            m
            for m in self._outbox.pending()
            if is_transaction_message(m) and (transaction_id is None or _transaction_of(m) == transaction_id)
        ]
        ongoing = None if transaction_id is None else transaction_id == self._running_id()
        return ongoing, bool(queued)

    def accepts_remote_stop(self, transaction_id: str) -> bool:
        return transaction_id == self._running_id()

    def remote_stop(self, transaction_id: str) -> None:
        if self.accepts_remote_stop(transaction_id):
            self._connector.stop_transaction("Remote", self._clock.now())

    def reset(self, reset_type: str) -> None:
        """Immediate stops the transaction as an immediate reset does; OnIdle as a reboot does."""
        self._control.reset("Hard" if reset_type == "Immediate" else "Soft")

    def unlock(self, evse_id: int, connector_id: int) -> str:
        if (evse_id, connector_id) != (EVSE_ID, CONNECTOR_ID):
            return "UnknownConnector"
        if self._connector.transaction is not None:
            return "OngoingAuthorizedTransaction"
        return "Unlocked"

    def change_availability(self, operational_status: str, evse: Mapping[str, Any] | None) -> str:
        evse_id = 0 if evse is None else int(evse.get("id", 0))
        if evse is not None and evse.get("connector_id") not in (None, CONNECTOR_ID):
            return "Rejected"
        return self._control.change_availability(evse_id, operational_status)

    # --- triggers --------------------------------------------------------------------------

    def accepts_trigger(self, requested_message: str, evse: Mapping[str, Any] | None) -> str:
        if evse is not None and evse.get("id") not in (0, EVSE_ID):
            return "Rejected"
        if requested_message not in _TRIGGERABLE:
            return "NotImplemented"
        if requested_message == "TransactionEvent" and self._connector.transaction is None:
            return "Rejected"
        return "Accepted"

    def trigger(self, requested_message: str, evse: Mapping[str, Any] | None) -> None:
        if self.accepts_trigger(requested_message, evse) != "Accepted":
            return
        now = self._clock.now()
        make = _TRIGGERS.get(requested_message)
        if make is not None:
            self._outbox.put(make())
        elif requested_message == "StatusNotification":
            # Sent as it is: the link reports only changes of the status it derives from the model.
            status = StatusOut(CONNECTOR_ID, self._connector.status, now)
            self._outbox.put(ReportOut(status_notification(status)))
        elif requested_message == "TransactionEvent":
            self._outbox.put(self._connector.triggered_meter_values(now))
        else:
            readings = self._connector.triggered_meter_values(now).readings
            self._outbox.put(
                ReportOut(call.MeterValues(evse_id=EVSE_ID, meter_value=[meter_value(r) for r in readings]))
            )

    # --- local authorisation list ----------------------------------------------------------

    def send_local_list(self, version_number: int, update_type: str, entries: Sequence[Mapping[str, Any]]) -> str:
        items: list[Mapping[str, Any]] = [
            {"id_tag": e["id_token"]["id_token"], "id_tag_info": e.get("id_token_info")}
            for e in entries
            if isinstance(e.get("id_token"), Mapping)
        ]
        status = self._control.send_local_list(version_number, update_type, items)
        return status if status in ("Accepted", "VersionMismatch") else "Failed"

    def local_list_version(self) -> int:
        return self._control.local_list_version()
