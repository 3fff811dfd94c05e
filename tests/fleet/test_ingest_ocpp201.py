"""The application's side of OCPP 2.0.1 events, on a real store: starts known by the charger's own
transaction id, a vehicle's ISO 15118 needs, limits set on chargers by others; each asks for a plan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from fleet.ingest import ChargerIngest
from fleet.persistence import Store, VehicleClass, VehicleRecord
from fleet.site_config import load_site
from fleet.triggers import PlanTriggers
from ocpp_server.events import EvChargingNeeds, ExternalChargingLimit, TransactionStarted, TransactionStopped
from ocpp_server.ports import IdTagStatus, KnownTransaction

SITE = load_site()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHARGER = "MI-AC-01"
VAN = VehicleRecord("VAN-01", "e-logistics", VehicleClass.VAN, "", "RFID-VAN-01", 79.0, 11.0, 50.0)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.from_url(database_url)
    await opened.migrate()
    await opened.upsert_vehicles([VAN])
    yield opened
    await opened.close()


@pytest.fixture
def triggers() -> PlanTriggers:
    return PlanTriggers()


@pytest.fixture
def ingest(store: Store, triggers: PlanTriggers) -> ChargerIngest:
    return ChargerIngest(SITE, store, triggers)


def started(
    id_tag: str, at: datetime, meter_kwh: float, charger_transaction_id: str | None = "tx-1"
) -> TransactionStarted:
    return TransactionStarted(CHARGER, 1, id_tag, meter_kwh, at, charger_transaction_id=charger_transaction_id)


async def test_updated_before_started_then_the_token_make_one_transaction(
    ingest: ChargerIngest, store: Store, triggers: PlanTriggers
) -> None:
    # Offline history in the order it came: an Updated without a token, the Started, the token.
    updated = await ingest.transaction_started(started("", T0 + timedelta(minutes=15), 13.0))
    first = await ingest.transaction_started(started("", T0, 10.0))
    with_token = await ingest.transaction_started(started("RFID-VAN-01", T0 + timedelta(minutes=16), 13.1))

    assert updated.transaction_id == first.transaction_id == with_token.transaction_id
    assert updated.id_tag_info.status is IdTagStatus.ACCEPTED
    assert with_token.id_tag_info.status is IdTagStatus.ACCEPTED
    [stored] = await store.active_transactions()
    assert (stored.started_at, stored.meter_start_kwh, stored.id_tag, stored.vehicle_id) == (
        T0,
        10.0,
        "RFID-VAN-01",
        "VAN-01",
    )
    assert triggers.take().reasons == (f"plug-in on {CHARGER}/1",)


async def test_a_16_start_still_opens_one_transaction_per_content(ingest: ChargerIngest, store: Store) -> None:
    first = await ingest.transaction_started(started("RFID-VAN-01", T0, 10.0, charger_transaction_id=None))
    retried = await ingest.transaction_started(started("RFID-VAN-01", T0, 10.0, charger_transaction_id=None))

    assert retried.transaction_id == first.transaction_id
    [stored] = await store.active_transactions()
    assert (stored.vehicle_id, stored.charger_transaction_id) == ("VAN-01", None)


def needs(connector_id: int = 1) -> EvChargingNeeds:
    return EvChargingNeeds(
        CHARGER,
        connector_id,
        "AC_three_phase",
        T0 + timedelta(minutes=1),
        departure_at=T0 + timedelta(hours=3),
        energy_amount_kwh=30.0,
        max_power_kw=7.4,
    )


async def test_vehicle_needs_are_kept_on_the_open_transaction_and_ask_for_a_plan(
    ingest: ChargerIngest, store: Store, triggers: PlanTriggers
) -> None:
    decision = await ingest.transaction_started(started("RFID-VAN-01", T0, 10.0))
    triggers.take()

    assert await ingest.ev_charging_needs(needs())

    stored = await store.get_transaction(decision.transaction_id)
    assert stored is not None
    assert stored.ev_needs is not None
    assert (stored.ev_needs.energy_amount_kwh, stored.ev_needs.max_power_kw) == (30.0, 7.4)
    assert triggers.take().reasons == (f"vehicle needs on {CHARGER}/1",)


async def test_vehicle_needs_without_an_open_transaction_are_rejected(
    ingest: ChargerIngest, store: Store, triggers: PlanTriggers
) -> None:
    await ingest.transaction_started(started("RFID-VAN-01", T0, 10.0))
    triggers.take()

    assert not await ingest.ev_charging_needs(needs(connector_id=2))

    assert triggers.take().reasons == ()
    assert [t.ev_needs for t in await store.active_transactions()] == [None]


def limit(limit_kw: float | None, minutes: int) -> ExternalChargingLimit:
    return ExternalChargingLimit(CHARGER, 0, "SO", limit_kw, True, T0 + timedelta(minutes=minutes))


async def test_a_limit_set_by_others_is_kept_until_cleared_and_each_change_asks_for_a_plan(
    ingest: ChargerIngest, store: Store, triggers: PlanTriggers
) -> None:
    await ingest.external_limit_changed(limit(5.0, minutes=1))
    [standing] = await store.charger_inputs.external_limits()
    assert (standing.connector_id, standing.source, standing.limit_kw, standing.grid_critical) == (0, "SO", 5.0, True)
    assert triggers.take().reasons == (f"SO limit of 5 kW on {CHARGER}/0",)

    await ingest.external_limit_changed(limit(None, minutes=2))
    assert await store.charger_inputs.external_limits() == []
    assert triggers.take().reasons == (f"SO limit on {CHARGER}/0 cleared",)

    # Clearing what is not there changes nothing, so no plan is asked for.
    await ingest.external_limit_changed(limit(None, minutes=3))
    assert triggers.take().reasons == ()


async def test_a_transaction_cost_is_its_energy_at_the_band_price(ingest: ChargerIngest) -> None:
    # Monday 10:00-11:00 in Milan is band F1 (0.182 EUR/kWh in the site file): 10 kWh cost 1.82 EUR.
    decision = await ingest.transaction_started(started("RFID-VAN-01", T0, 10.0))
    await ingest.transaction_stopped(
        TransactionStopped(CHARGER, decision.transaction_id, 20.0, T0 + timedelta(hours=1), "EVDisconnected", None)
    )

    cost_eur = await ingest.transaction_cost_eur(decision.transaction_id)

    assert cost_eur == pytest.approx(1.82)
    assert await ingest.transaction_cost_eur(decision.transaction_id + 1) is None


async def test_a_201_transaction_is_found_by_the_chargers_own_id(ingest: ChargerIngest) -> None:
    decision = await ingest.transaction_started(started("", T0, 10.0, charger_transaction_id="tx-7"))

    found = await ingest.find_transaction(CHARGER, "tx-7")

    assert found == KnownTransaction(decision.transaction_id, 1, "", 10.0)
    assert await ingest.find_transaction(CHARGER, "tx-8") is None
    assert await ingest.find_transaction("MI-AC-02", "tx-7") is None
