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
            known = key in self.variables
            if known:
                self.variables[key] = item["attribute_value"]
            results.append(
                {
                    "attribute_status": "Accepted" if known else "UnknownVariable",
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
        return call_result.CertificateSigned(status="Accepted")

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
async def station(url: str, charge_point_id: str, *, central: CentralSystem | None = None) -> AsyncIterator[Station201]:
    """A connected 2.0.1 station serving its side until the block ends."""
    async with connect(f"{url}/{charge_point_id}", subprotocols=[Subprotocol("ocpp2.0.1")]) as ws:
        charge_point = Station201(charge_point_id, ws)
        task = asyncio.create_task(charge_point.start())
        try:
            if central is not None:
                await until("the connection", lambda: charge_point_id in central.connected_ids())
            yield charge_point
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
