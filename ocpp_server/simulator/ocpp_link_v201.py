"""The OCPP 2.0.1 side of a simulated charge point, on the ``ocpp`` library's ``v201`` client role.

:class:`OcppLinkV201` answers the central system's requests by translating them into calls on a
:class:`~ocpp_server.simulator.remote_control_v201.RemoteControlV201`, as ``OcppLink`` does for
1.6. Requests whose effect is to send messages of its own (remote start and stop, reset, trigger,
reports) are decided in the ``on`` handler and carried out in a synchronous ``after`` hook, which
the library runs once the answer has been sent; nothing here awaits an outbound call, which would
block the read loop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ocpp.v201 import ChargePoint as LibraryChargePoint
from ocpp.v201 import call_result
from ocpp.v201.enums import Action
from websockets.asyncio.client import ClientConnection

from ocpp_server.simulator.ocpp_link import FrameLogger, _after, _on
from ocpp_server.simulator.remote_control_v201 import RemoteControlV201


class OcppLinkV201(LibraryChargePoint):  # type: ignore[misc]
    """One websocket session of a simulated OCPP 2.0.1 charge point."""

    def __init__(
        self,
        charge_point_id: str,
        connection: ClientConnection,
        control: RemoteControlV201,
        *,
        response_timeout_s: float,
        logger: logging.Logger,
    ) -> None:
        super().__init__(charge_point_id, connection, response_timeout=response_timeout_s, logger=FrameLogger(logger))
        self._control = control

    # --- smart charging --------------------------------------------------------------------

    @_on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: Mapping[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        return call_result.SetChargingProfile(status=self._control.set_charging_profile(evse_id, charging_profile))

    @_on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> call_result.ClearChargingProfile:
        status = self._control.clear_charging_profile(charging_profile_id, charging_profile_criteria)
        return call_result.ClearChargingProfile(status=status)

    @_on(Action.get_charging_profiles)
    def on_get_charging_profiles(
        self, request_id: int, charging_profile: Mapping[str, Any], evse_id: int | None = None, **_: Any
    ) -> call_result.GetChargingProfiles:
        status = self._control.accepts_get_charging_profiles(evse_id, charging_profile)
        return call_result.GetChargingProfiles(status=status)

    @_after(Action.get_charging_profiles)
    def after_get_charging_profiles(
        self, request_id: int, charging_profile: Mapping[str, Any], evse_id: int | None = None, **_: Any
    ) -> None:
        self._control.report_charging_profiles(request_id, evse_id, charging_profile)

    @_on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        schedule = self._control.composite_schedule(duration, evse_id, charging_rate_unit)
        if schedule is None:
            return call_result.GetCompositeSchedule(status="Rejected")
        return call_result.GetCompositeSchedule(status="Accepted", schedule=schedule)

    # --- device model ----------------------------------------------------------------------

    @_on(Action.get_variables)
    def on_get_variables(self, get_variable_data: Sequence[Mapping[str, Any]], **_: Any) -> call_result.GetVariables:
        return call_result.GetVariables(get_variable_result=self._control.get_variables(get_variable_data))

    @_on(Action.set_variables)
    def on_set_variables(self, set_variable_data: Sequence[Mapping[str, Any]], **_: Any) -> call_result.SetVariables:
        return call_result.SetVariables(set_variable_result=self._control.set_variables(set_variable_data))

    @_on(Action.get_base_report)
    def on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> call_result.GetBaseReport:
        return call_result.GetBaseReport(status=self._control.accepts_base_report(report_base))

    @_after(Action.get_base_report)
    def after_get_base_report(self, request_id: int, report_base: str, **_: Any) -> None:
        self._control.base_report(request_id, report_base)

    # --- transactions ----------------------------------------------------------------------

    @_on(Action.request_start_transaction)
    def on_request_start_transaction(
        self, id_token: Mapping[str, Any], remote_start_id: int, evse_id: int | None = None, **_: Any
    ) -> call_result.RequestStartTransaction:
        accepted = self._control.accepts_remote_start(evse_id)
        return call_result.RequestStartTransaction(status="Accepted" if accepted else "Rejected")

    @_after(Action.request_start_transaction)
    def after_request_start_transaction(
        self,
        id_token: Mapping[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        charging_profile: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        self._control.remote_start(id_token, remote_start_id, evse_id, charging_profile)

    @_on(Action.get_transaction_status)
    def on_get_transaction_status(
        self, transaction_id: str | None = None, **_: Any
    ) -> call_result.GetTransactionStatus:
        ongoing, queued = self._control.transaction_status(transaction_id)
        return call_result.GetTransactionStatus(messages_in_queue=queued, ongoing_indicator=ongoing)

    @_on(Action.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id: str, **_: Any) -> call_result.RequestStopTransaction:
        accepted = self._control.accepts_remote_stop(transaction_id)
        return call_result.RequestStopTransaction(status="Accepted" if accepted else "Rejected")

    @_after(Action.request_stop_transaction)
    def after_request_stop_transaction(self, transaction_id: str, **_: Any) -> None:
        self._control.remote_stop(transaction_id)

    # --- the charger -----------------------------------------------------------------------

    @_on(Action.reset)
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> call_result.Reset:
        # Resetting a single EVSE is optional in 2.0.1; this charger resets as a whole.
        return call_result.Reset(status="Rejected" if evse_id is not None else "Accepted")

    @_after(Action.reset)
    def after_reset(self, type: str, evse_id: int | None = None, **_: Any) -> None:
        if evse_id is None:
            self._control.reset(type)

    @_on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, evse: Mapping[str, Any] | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        return call_result.TriggerMessage(status=self._control.accepts_trigger(requested_message, evse))

    @_after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, evse: Mapping[str, Any] | None = None, **_: Any) -> None:
        self._control.trigger(requested_message, evse)

    @_on(Action.unlock_connector)
    def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        return call_result.UnlockConnector(status=self._control.unlock(evse_id, connector_id))

    @_on(Action.change_availability)
    def on_change_availability(
        self, operational_status: str, evse: Mapping[str, Any] | None = None, **_: Any
    ) -> call_result.ChangeAvailability:
        return call_result.ChangeAvailability(status=self._control.change_availability(operational_status, evse))

    @_on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status="UnknownVendorId")

    @_on(Action.send_local_list)
    def on_send_local_list(
        self,
        version_number: int,
        update_type: str,
        local_authorization_list: Sequence[Mapping[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.SendLocalList:
        status = self._control.send_local_list(version_number, update_type, local_authorization_list or [])
        return call_result.SendLocalList(status=status)

    @_on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(version_number=self._control.local_list_version())
