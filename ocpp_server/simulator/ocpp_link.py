"""The OCPP 1.6J side of a simulated charge point, on the ``ocpp`` library's client role.

:class:`OcppLink` answers the central system's requests by translating them into calls on a
:class:`ChargerControl` and back. Requests whose effect is to send messages of its own (remote
start and stop, reset, trigger, unlock) are decided in the ``on`` handler and carried out in a
synchronous ``after`` hook, which the library runs once the answer has been sent; nothing here
awaits an outbound call, which would block the read loop.

:func:`to_call` turns an outbox message into the library's request payload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from ocpp.routing import after as ocpp_after
from ocpp.routing import on as ocpp_on
from ocpp.v16 import ChargePoint as LibraryChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import ClientConnection

from ocpp_server.simulator.config import ConfigEntry
from ocpp_server.simulator.outbox import (
    BootOut,
    HeartbeatOut,
    IdleNotificationOut,
    MeterReading,
    MeterValuesOut,
    OutMessage,
    StartTransactionOut,
    StatusOut,
    StopTransactionOut,
)
from ocpp_server.simulator.timestamps import format_ocpp_datetime

_F = TypeVar("_F", bound=Callable[..., Any])


def _on(action: str) -> Callable[[_F], _F]:
    decorator: Callable[[_F], _F] = ocpp_on(action)
    return decorator


def _after(action: str) -> Callable[[_F], _F]:
    decorator: Callable[[_F], _F] = ocpp_after(action)
    return decorator


class UndeliverableError(Exception):
    """A queued message refers to a transaction whose StartTransaction never got through."""


class ChargerControl(Protocol):
    """What the link needs from the charge point it speaks for."""

    def set_charging_profile(self, connector_id: int, profile: Mapping[str, Any]) -> str: ...

    def clear_charging_profile(
        self, profile_id: int | None, connector_id: int | None, purpose: str | None, stack_level: int | None
    ) -> str: ...

    def composite_schedule(self, connector_id: int, duration_s: int, rate_unit: str | None) -> dict[str, Any] | None:
        """The GetCompositeSchedule answer fields, or None to reject."""
        ...

    def configuration(self, keys: list[str] | None) -> tuple[list[ConfigEntry], list[str]]: ...

    def change_configuration(self, key: str, value: str) -> str: ...

    def accepts_remote_start(self, connector_id: int | None) -> bool: ...

    def remote_start(
        self, id_tag: str, connector_id: int | None, charging_profile: Mapping[str, Any] | None
    ) -> None: ...

    def accepts_remote_stop(self, transaction_id: int) -> bool: ...

    def remote_stop(self, transaction_id: int) -> None: ...

    def reset(self, reset_type: str) -> None: ...

    def accepts_trigger(self, requested_message: str, connector_id: int | None) -> str: ...

    def trigger(self, requested_message: str, connector_id: int | None) -> None: ...

    def accepts_unlock(self, connector_id: int) -> str: ...

    def unlock(self, connector_id: int) -> None: ...

    def change_availability(self, connector_id: int, availability_type: str) -> str: ...

    def send_local_list(self, list_version: int, update_type: str, entries: list[Mapping[str, Any]]) -> str: ...

    def local_list_version(self) -> int: ...


class FrameLogger(logging.LoggerAdapter[logging.Logger]):
    """Passes the library's per-frame INFO lines down to DEBUG; warnings and errors stay."""

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


class OcppLink(LibraryChargePoint):  # type: ignore[misc]
    """One websocket session of a simulated charge point."""

    def __init__(
        self,
        charge_point_id: str,
        connection: ClientConnection,
        control: ChargerControl,
        *,
        response_timeout_s: float,
        logger: logging.Logger,
    ) -> None:
        super().__init__(charge_point_id, connection, response_timeout=response_timeout_s, logger=FrameLogger(logger))
        self._control = control

    @_on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: Mapping[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        status = self._control.set_charging_profile(connector_id, cs_charging_profiles)
        return call_result.SetChargingProfile(status=status)

    @_on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> call_result.ClearChargingProfile:
        status = self._control.clear_charging_profile(id, connector_id, charging_profile_purpose, stack_level)
        return call_result.ClearChargingProfile(status=status)

    @_on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        answer = self._control.composite_schedule(connector_id, duration, charging_rate_unit)
        if answer is None:
            return call_result.GetCompositeSchedule(status="Rejected")
        return call_result.GetCompositeSchedule(status="Accepted", **answer)

    @_on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> call_result.GetConfiguration:
        entries, unknown = self._control.configuration(key)
        return call_result.GetConfiguration(
            configuration_key=[{"key": e.key, "readonly": e.readonly, "value": e.value} for e in entries],
            unknown_key=unknown or None,
        )

    @_on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_: Any) -> call_result.ChangeConfiguration:
        return call_result.ChangeConfiguration(status=self._control.change_configuration(key, value))

    @_on(Action.remote_start_transaction)
    def on_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, **_: Any
    ) -> call_result.RemoteStartTransaction:
        accepted = self._control.accepts_remote_start(connector_id)
        return call_result.RemoteStartTransaction(status="Accepted" if accepted else "Rejected")

    @_after(Action.remote_start_transaction)
    def after_remote_start_transaction(
        self,
        id_tag: str,
        connector_id: int | None = None,
        charging_profile: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        self._control.remote_start(id_tag, connector_id, charging_profile)

    @_on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id: int, **_: Any) -> call_result.RemoteStopTransaction:
        accepted = self._control.accepts_remote_stop(transaction_id)
        return call_result.RemoteStopTransaction(status="Accepted" if accepted else "Rejected")

    @_after(Action.remote_stop_transaction)
    def after_remote_stop_transaction(self, transaction_id: int, **_: Any) -> None:
        self._control.remote_stop(transaction_id)

    @_on(Action.reset)
    def on_reset(self, type: str, **_: Any) -> call_result.Reset:
        return call_result.Reset(status="Accepted")

    @_after(Action.reset)
    def after_reset(self, type: str, **_: Any) -> None:
        self._control.reset(type)

    @_on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        return call_result.TriggerMessage(status=self._control.accepts_trigger(requested_message, connector_id))

    @_after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, connector_id: int | None = None, **_: Any) -> None:
        self._control.trigger(requested_message, connector_id)

    @_on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        return call_result.UnlockConnector(status=self._control.accepts_unlock(connector_id))

    @_after(Action.unlock_connector)
    def after_unlock_connector(self, connector_id: int, **_: Any) -> None:
        self._control.unlock(connector_id)

    @_on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str, **_: Any) -> call_result.ChangeAvailability:
        return call_result.ChangeAvailability(status=self._control.change_availability(connector_id, type))

    @_on(Action.send_local_list)
    def on_send_local_list(
        self,
        list_version: int,
        update_type: str,
        local_authorization_list: list[Mapping[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.SendLocalList:
        status = self._control.send_local_list(list_version, update_type, local_authorization_list or [])
        return call_result.SendLocalList(status=status)

    @_on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(list_version=self._control.local_list_version())


def _sampled_values(reading: MeterReading) -> list[dict[str, str]]:
    context = reading.context
    values = [
        {
            "value": f"{reading.energy_register_wh:.0f}",
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unit": "Wh",
        }
    ]
    if reading.power_w is not None:
        values.append(
            {
                "value": f"{reading.power_w:.1f}",
                "context": context,
                "measurand": "Power.Active.Import",
                "location": "Outlet",
                "unit": "W",
            }
        )
    if reading.current_a is not None:
        values.extend(
            {
                "value": f"{reading.current_a:.1f}",
                "context": context,
                "measurand": "Current.Import",
                "phase": f"L{phase}",
                "location": "Outlet",
                "unit": "A",
            }
            for phase in range(1, reading.phases + 1)
        )
    if reading.soc_percent is not None:
        values.append(
            {
                "value": f"{reading.soc_percent:.1f}",
                "context": context,
                "measurand": "SoC",
                "location": "EV",
                "unit": "Percent",
            }
        )
    return values


def meter_value(reading: MeterReading) -> dict[str, Any]:
    """An OCPP 1.6 MeterValue object (camelCase keys) for one reading."""
    return {"timestamp": format_ocpp_datetime(reading.timestamp), "sampledValue": _sampled_values(reading)}


def to_call(message: OutMessage, *, vendor: str, model: str) -> Any:
    """The ``ocpp.v16.call`` payload for an outbox message.

    Raises
    ------
    UndeliverableError
        For a transaction message whose transaction never got an id from the central system, or
        a message OCPP 1.6 has no request for.
    """
    if isinstance(message, StatusOut):
        return call.StatusNotification(
            connector_id=message.connector_id,
            error_code="NoError",
            status=message.status,
            timestamp=format_ocpp_datetime(message.timestamp),
        )
    if isinstance(message, HeartbeatOut):
        return call.Heartbeat()
    if isinstance(message, BootOut):
        return call.BootNotification(charge_point_model=model, charge_point_vendor=vendor)
    if isinstance(message, IdleNotificationOut):
        if message.action == "DiagnosticsStatusNotification":
            return call.DiagnosticsStatusNotification(status="Idle")
        return call.FirmwareStatusNotification(status="Idle")
    if isinstance(message, StartTransactionOut):
        tx = message.transaction
        return call.StartTransaction(
            connector_id=message.connector_id,
            id_tag=tx.id_tag,
            meter_start=tx.meter_start_wh,
            timestamp=format_ocpp_datetime(tx.started_at),
        )
    if isinstance(message, MeterValuesOut):
        transaction_id = None
        if message.transaction is not None:
            transaction_id = _transaction_id(message.transaction.transaction_id, message)
        return call.MeterValues(
            connector_id=message.connector_id,
            transaction_id=transaction_id,
            meter_value=[meter_value(r) for r in message.readings],
        )
    if not isinstance(message, StopTransactionOut):
        raise UndeliverableError(f"{type(message).__name__} has no OCPP 1.6 form")
    return call.StopTransaction(
        meter_stop=message.meter_stop_wh,
        timestamp=format_ocpp_datetime(message.timestamp),
        transaction_id=_transaction_id(message.transaction.transaction_id, message),
        reason=message.reason,
        id_tag=message.transaction.id_tag,
        transaction_data=[meter_value(r) for r in message.readings],
    )


def _transaction_id(transaction_id: int | None, message: OutMessage) -> int:
    if transaction_id is None:
        raise UndeliverableError(f"{type(message).__name__} for a transaction the central system never confirmed")
    return transaction_id
