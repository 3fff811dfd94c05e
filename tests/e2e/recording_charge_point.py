"""A plain OCPP 1.6 charge point, written with the `ocpp` library, that records every profile it gets.

Independent of the project's simulator on purpose: the end-to-end test checks the central system
against a charger it did not write.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.exceptions import ConnectionClosedOK


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def camel_keys(value: Any) -> Any:
    """The wire's camelCase, whichever case the library handed us."""
    if isinstance(value, dict):
        return {(_camel(k) if "_" in k else k): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


@dataclass(frozen=True)
class ReceivedProfile:
    connector_id: int
    profile: dict[str, Any]

    @property
    def purpose(self) -> str:
        return str(self.profile["chargingProfilePurpose"])

    @property
    def schedule(self) -> dict[str, Any]:
        schedule: dict[str, Any] = self.profile["chargingSchedule"]
        return schedule

    def limit_kw_at(self, at: datetime, voltage_v: float = 230.0, relative_to: datetime | None = None) -> float | None:
        """The profile's limit at ``at`` in kW, None outside its schedule.

        A Relative profile counts from ``relative_to`` (the transaction's start); without one, an
        open-ended Relative profile holds whenever it is asked.
        """
        start = self.schedule.get("startSchedule")
        if self.profile.get("chargingProfileKind") == "Relative" or start is None:
            offset_s = (at - relative_to).total_seconds() if relative_to is not None else float("inf")
        else:
            offset_s = (at - datetime.fromisoformat(re.sub("Z$", "+00:00", start))).total_seconds()
        duration_s = self.schedule.get("duration")
        if offset_s < 0 or (duration_s is not None and offset_s >= duration_s):
            return None
        current: dict[str, Any] | None = None
        for period in self.schedule["chargingSchedulePeriod"]:
            if period["startPeriod"] <= offset_s:
                current = period
        if current is None:
            return None
        if self.schedule["chargingRateUnit"] == "W":
            return float(current["limit"]) / 1000.0
        return float(current["limit"]) * voltage_v * int(current.get("numberPhases", 3)) / 1000.0


class RecordingChargePoint(ChargePoint):  # type: ignore[misc]
    """Boots, plugs a vehicle in when told, and keeps every SetChargingProfile it receives."""

    def __init__(self, charge_point_id: str, connection: Any) -> None:
        super().__init__(charge_point_id, connection)
        self.received: list[ReceivedProfile] = []
        self.transaction_id: int | None = None

    @on("SetChargingProfile")  # type: ignore[untyped-decorator]
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any]) -> Any:
        self.received.append(ReceivedProfile(connector_id, camel_keys(cs_charging_profiles)))
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")  # type: ignore[untyped-decorator]
    def on_clear_charging_profile(self, **_: Any) -> Any:
        return call_result.ClearChargingProfile(status="Accepted")

    async def serve_until_closed(self) -> None:
        """The library's read loop, ending quietly when the test closes the socket."""
        with contextlib.suppress(ConnectionClosedOK):
            await self.start()

    def latest(self, purpose: str) -> ReceivedProfile | None:
        return next((p for p in reversed(self.received) if p.purpose == purpose), None)

    async def boot(self) -> str:
        response = await self.call(call.BootNotification(charge_point_model="TestCP", charge_point_vendor="Test"))
        await self.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
        return str(response.status)

    async def plug_in(self, id_tag: str, meter_start_wh: int = 0) -> int:
        now = datetime.now(UTC)
        await self.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"))
        response = await self.call(
            call.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=meter_start_wh, timestamp=now.isoformat())
        )
        self.transaction_id = int(response.transaction_id)
        await self.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
        return self.transaction_id

    async def meter(self, energy_wh: float, power_w: float, soc_percent: float, at: datetime | None = None) -> None:
        stamp = (at or datetime.now(UTC)).isoformat()
        await self.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=self.transaction_id,
                meter_value=[
                    {
                        "timestamp": stamp,
                        "sampledValue": [
                            {"value": f"{energy_wh:.0f}", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                            {"value": f"{power_w:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
                            {"value": f"{soc_percent:.0f}", "measurand": "SoC", "unit": "Percent"},
                        ],
                    }
                ],
            )
        )


def slot_times(start: datetime, hours: float, slot_min: int = 15) -> list[datetime]:
    return [start + timedelta(minutes=slot_min * k) for k in range(int(hours * 60 / slot_min))]
