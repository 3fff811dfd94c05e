"""A 2.0.1 charging station written with the ``ocpp`` library's client side, for edge tests.

It answers the central system's requests from settings the tests change (its variables, how it
answers profiles) and keeps what it received, so tests can check both sides of every exchange.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from tests.ocpp_server.support import until

SMART_STATION_VARIABLES = {
    ("SmartChargingCtrlr", "Enabled", None): "true",
    ("SmartChargingCtrlr", "RateUnit", None): "A,W",
    ("SmartChargingCtrlr", "PeriodsPerSchedule", None): "24",
    ("SmartChargingCtrlr", "ProfileStackLevel", None): "8",
    ("SmartChargingCtrlr", "Entries", "ChargingProfiles"): "16",
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"): "4",
    ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"): "4096",
    ("DeviceDataCtrlr", "ItemsPerMessage", "SetVariables"): "1",
    ("DeviceDataCtrlr", "BytesPerMessage", "SetVariables"): "4096",
    ("SampledDataCtrlr", "TxUpdatedInterval", None): "300",
    ("SampledDataCtrlr", "TxUpdatedMeasurands", None): "Energy.Active.Import.Register",
}
"""(component, variable, instance) -> value of a station that does smart charging."""


class Station201(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    __test__ = False

    def __init__(self, charge_point_id: str, connection: ClientConnection) -> None:
        super().__init__(charge_point_id, connection, response_timeout=5)
        self.variables: dict[tuple[str, str, str | None], str] = dict(SMART_STATION_VARIABLES)
        self.get_variable_requests: list[list[dict[str, Any]]] = []
        self.set_variable_requests: list[list[dict[str, Any]]] = []
        self.profiles: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        """Every SetChargingProfile request, snake_case, as the library hands it over."""
        self.profile_answer = "Accepted"
        self.cleared: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.transaction_status_requests: asyncio.Queue[str | None] = asyncio.Queue()
        self.messages_in_queue = False
        self.certificate_chains: asyncio.Queue[str] = asyncio.Queue()
        self.triggered: asyncio.Queue[str] = asyncio.Queue()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        """(action, payload) of every CALL received, as on the wire (camelCase)."""
        self.set_variable_answers: dict[tuple[str, str, str | None], str] = {}
        """attributeStatus to answer SetVariables of a variable with, whatever it holds."""
        self.local_list_version = 0
        self.local_list: dict[str, dict[str, Any]] = {}
        """idToken -> idTokenInfo (snake_case, as the library hands it over)."""
        self.local_list_answers: list[str] = []
        """SendLocalList statuses to answer in turn before Accepted ("Failed", "VersionMismatch")."""

    @on("GetVariables")  # type: ignore[untyped-decorator]
    async def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> call_result.GetVariables:
        self.get_variable_requests.append(get_variable_data)
        results = []
        for item in get_variable_data:
            key = (item["component"]["name"], item["variable"]["name"], item["variable"].get("instance"))
            value = self.variables.get(key)
            result = {"component": item["component"], "variable": item["variable"]}
            if value is None:
                result["attribute_status"] = "UnknownVariable"
            else:
                result.update(attribute_status="Accepted", attribute_value=value)
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    @on("SetVariables")  # type: ignore[untyped-decorator]
    async def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> call_result.SetVariables:
        self.set_variable_requests.append(set_variable_data)
        results = []
        for item in set_variable_data:
            key = (item["component"]["name"], item["variable"]["name"], item["variable"].get("instance"))
            status = self.set_variable_answers.get(key, "Accepted" if key in self.variables else "UnknownVariable")
            if status == "Accepted":
                self.variables[key] = item["attribute_value"]
            results.append(
                {
                    "attribute_status": status,
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        return call_result.SetVariables(set_variable_result=results)

    @on("SetChargingProfile")  # type: ignore[untyped-decorator]
    async def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        self.profiles.put_nowait({"evse_id": evse_id, "charging_profile": charging_profile})
        return call_result.SetChargingProfile(status=self.profile_answer)

    @on("ClearChargingProfile")  # type: ignore[untyped-decorator]
    async def on_clear_charging_profile(self, **criteria: Any) -> call_result.ClearChargingProfile:
        self.cleared.put_nowait(criteria)
        return call_result.ClearChargingProfile(status="Accepted")

    @on("GetTransactionStatus")  # type: ignore[untyped-decorator]
    async def on_get_transaction_status(
        self, transaction_id: str | None = None, **_: Any
    ) -> call_result.GetTransactionStatus:
        self.transaction_status_requests.put_nowait(transaction_id)
        return call_result.GetTransactionStatus(messages_in_queue=self.messages_in_queue, ongoing_indicator=False)

    @on("CertificateSigned")  # type: ignore[untyped-decorator]
    async def on_certificate_signed(self, certificate_chain: str, **_: Any) -> call_result.CertificateSigned:
        self.certificate_chains.put_nowait(certificate_chain)
        return call_result.CertificateSigned(status="Accepted")

    @on("TriggerMessage")  # type: ignore[untyped-decorator]
    async def on_trigger_message(self, requested_message: str, **_: Any) -> call_result.TriggerMessage:
        self.triggered.put_nowait(requested_message)
        return call_result.TriggerMessage(status="Accepted")

    @on("RequestStartTransaction")  # type: ignore[untyped-decorator]
    async def on_request_start(self, id_token: dict[str, Any], remote_start_id: int, **_: Any) -> Any:
        return call_result.RequestStartTransaction(status="Accepted")

    @on("RequestStopTransaction")  # type: ignore[untyped-decorator]
    async def on_request_stop(self, transaction_id: str, **_: Any) -> call_result.RequestStopTransaction:
        return call_result.RequestStopTransaction(status="Accepted")

    @on("Reset")  # type: ignore[untyped-decorator]
    async def on_reset(self, type: str, **_: Any) -> call_result.Reset:
        return call_result.Reset(status="Scheduled" if type == "OnIdle" else "Accepted")

    @on("UnlockConnector")  # type: ignore[untyped-decorator]
    async def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        return call_result.UnlockConnector(status="Unlocked")

    @on("ChangeAvailability")  # type: ignore[untyped-decorator]
    async def on_change_availability(self, operational_status: str, **_: Any) -> call_result.ChangeAvailability:
        return call_result.ChangeAvailability(status="Accepted")

    @on("ReserveNow")  # type: ignore[untyped-decorator]
    async def on_reserve_now(self, id: int, expiry_date_time: str, **_: Any) -> call_result.ReserveNow:
        return call_result.ReserveNow(status="Accepted")

    @on("CancelReservation")  # type: ignore[untyped-decorator]
    async def on_cancel_reservation(self, reservation_id: int, **_: Any) -> call_result.CancelReservation:
        return call_result.CancelReservation(status="Accepted")

    @on("ClearCache")  # type: ignore[untyped-decorator]
    async def on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        return call_result.ClearCache(status="Accepted")

    @on("UpdateFirmware")  # type: ignore[untyped-decorator]
    async def on_update_firmware(self, request_id: int, firmware: dict[str, Any], **_: Any) -> Any:
        return call_result.UpdateFirmware(status="Accepted")

    @on("GetLog")  # type: ignore[untyped-decorator]
    async def on_get_log(self, log: dict[str, Any], log_type: str, request_id: int, **_: Any) -> call_result.GetLog:
        return call_result.GetLog(status="Accepted", filename="diagnostics.zip")

    @on("DataTransfer")  # type: ignore[untyped-decorator]
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status="UnknownVendorId")

    @on("GetCompositeSchedule")  # type: ignore[untyped-decorator]
    async def on_get_composite_schedule(
        self, duration: int, evse_id: int, **_: Any
    ) -> call_result.GetCompositeSchedule:
        return call_result.GetCompositeSchedule(status="Rejected")

    @on("SendLocalList")  # type: ignore[untyped-decorator]
    async def on_send_local_list(
        self, version_number: int, update_type: str, local_authorization_list: list[dict[str, Any]] | None = None
    ) -> call_result.SendLocalList:
        answer = self.local_list_answers.pop(0) if self.local_list_answers else "Accepted"
        if answer != "Accepted":
            return call_result.SendLocalList(status=answer)
        if update_type == "Differential" and version_number <= self.local_list_version:
            return call_result.SendLocalList(status="VersionMismatch")
        if update_type == "Full":
            self.local_list = {}
        for item in local_authorization_list or []:
            token = item["id_token"]["id_token"]
            if item.get("id_token_info") is None:
                self.local_list.pop(token, None)
            else:
                self.local_list[token] = item["id_token_info"]
        self.local_list_version = version_number
        return call_result.SendLocalList(status="Accepted")

    @on("GetLocalListVersion")  # type: ignore[untyped-decorator]
    async def on_get_local_list_version(self, **_: Any) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(version_number=self.local_list_version)

    async def next_profile(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.profiles.get(), timeout=5)

    async def send_frame(self, action: str, payload: dict[str, Any], unique_id: str) -> list[Any]:
        """Send a CALL as written (camelCase) and return the raw answer frame, bypassing the library."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._raw_waiters[unique_id] = future
        await self._connection.send(json.dumps([2, unique_id, action, payload]))
        answer: list[Any] = await asyncio.wait_for(future, timeout=5)
        return answer

    async def route_message(self, raw_msg: str) -> None:
        message = json.loads(raw_msg)
        if isinstance(message, list) and len(message) == 4 and message[0] == 2:
            self.calls.append((message[2], message[3]))
        waiters = self._raw_waiters
        if isinstance(message, list) and len(message) > 1 and message[1] in waiters:
            waiters.pop(message[1]).set_result(message)
            return
        await super().route_message(raw_msg)

    @property
    def _raw_waiters(self) -> dict[str, asyncio.Future[Any]]:
        waiters: dict[str, asyncio.Future[Any]] | None = self.__dict__.get("_waiters")
        if waiters is None:
            waiters = {}
            self.__dict__["_waiters"] = waiters
        return waiters


@asynccontextmanager
async def station(
    url: str, charge_point_id: str, *, central: CentralSystem | None = None, **connect_options: Any
) -> AsyncIterator[Station201]:
    """A connected 2.0.1 station serving its side until the block ends (``connect_options``: websockets')."""
    async with connect(f"{url}/{charge_point_id}", subprotocols=[Subprotocol("ocpp2.0.1")], **connect_options) as ws:
        charge_point = Station201(charge_point_id, ws)
        task = asyncio.create_task(charge_point.start())
        try:
            if central is not None:
                await until("the connection", lambda: charge_point_id in central.connected_ids())
            yield charge_point
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
