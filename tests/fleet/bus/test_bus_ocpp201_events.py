"""A vehicle's ISO 15118 needs and a limit set by others travel from a gateway to the controller's
application over the real broker: the needs as a question (Accepted or Rejected comes back), the
limit as a stored event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleet.bus.broker import BusSettings, connect, event_stream
from fleet.bus.codec import Codec
from fleet.bus.gateway_link import GatewayLink
from fleet.bus.gateway_sink import BusEventSink
from ocpp_server.events import EvChargingNeeds, ExternalChargingLimit
from tests.fleet.bus.deployment import start_controller
from tests.ocpp_server.support import RecordingSink, until

AT = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
NEEDS = EvChargingNeeds("CP1", 1, "DC", AT, departure_at=AT + timedelta(hours=2), energy_amount_kwh=40.0)
LIMIT = ExternalChargingLimit("CP1", 0, "SO", 7.4, True, AT)


async def test_needs_are_answered_and_limits_delivered_through_the_broker(bus: BusSettings) -> None:
    sink = RecordingSink()
    controller = await start_controller(bus, sink)
    client = await connect(bus)
    try:
        await event_stream(client.jetstream(), bus.subjects)
        link = GatewayLink(client, bus, "gw-a", Codec())
        await link.start()
        gateway_sink = BusEventSink(link)

        accepted = await gateway_sink.ev_charging_needs(NEEDS)
        sink.ev_needs_accepted = False
        rejected = await gateway_sink.ev_charging_needs(NEEDS)
        await gateway_sink.external_limit_changed(LIMIT)
        await until("the limit", lambda: sink.of_type(ExternalChargingLimit), timeout_s=10)
    finally:
        await client.close()
        await controller.stop()

    assert (accepted, rejected) == (True, False)
    assert sink.of_type(EvChargingNeeds) == [NEEDS, NEEDS]
    assert sink.of_type(ExternalChargingLimit) == [LIMIT]
