"""A plain OCPP 1.6 charge point, written with the `ocpp` library, that records every profile it gets.

Independent of the project's simulator on purpose: the end-to-end test checks the central system
against a charger it did not write.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.exceptions import ConnectionClosedOK

from benchmarks.scale_out.received_profile import ReceivedProfile, camel_keys

__all__ = ["ReceivedProfile", "RecordingChargePoint", "camel_keys", "slot_times"]


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
