"""Accounts, tokens, the audit log, idempotent answers, single vehicles, bulk bookings, grid limits."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from fleet.persistence import IdTagConflictError, Store, UnknownVehicleError, VehicleClass, VehicleRecord
from fleet.persistence.access_records import AccessTokenRecord, AccountKind, AccountRecord, IdempotentAnswer
from fleet.persistence.errors import InvalidValueError

from .conftest import T0

CAR = VehicleRecord("car-01", "sharing", VehicleClass.CAR, "Fiat 500e #1", "TAG-0001", 42.0, 11.0, 85.0)
ACCOUNT = AccountRecord("ada", AccountKind.USER, "admin", None, "$argon2id$...", T0)


async def test_an_account_name_is_taken_once(store: Store) -> None:
    assert await store.access.add_account(ACCOUNT) is True
    assert await store.access.add_account(dataclasses.replace(ACCOUNT, role="operator")) is False
    assert await store.access.get_account("ada") == ACCOUNT


async def test_a_fleet_manager_account_needs_a_fleet(store: Store) -> None:
    with pytest.raises(IntegrityError):
        await store.access.add_account(dataclasses.replace(ACCOUNT, name="fm", role="fleet_manager"))


async def test_tokens_are_revoked_once_and_go_with_their_account(store: Store) -> None:
    await store.access.add_account(ACCOUNT)
    token = AccessTokenRecord("t1", "ada", T0, T0 + timedelta(hours=1), None)
    await store.access.add_token(token)
    assert await store.access.revoke_token("t1", T0 + timedelta(minutes=5)) is True
    assert await store.access.revoke_token("t1", T0 + timedelta(minutes=9)) is True
    revoked = await store.access.get_token("t1")
    assert revoked is not None
    assert revoked.revoked_at == T0 + timedelta(minutes=5)
    assert await store.access.revoke_token("nope", T0) is False
    assert await store.access.delete_account("ada") is True
    assert await store.access.get_token("t1") is None


async def test_the_audit_log_is_read_newest_first_and_filtered(store: Store) -> None:
    for minute, actor in enumerate(("ada", "otto", "ada")):
        await store.access.add_audit(T0 + timedelta(minutes=minute), actor, "admin", "PUT", "/x", 200, {"n": minute})
    entries = await store.access.list_audit()
    assert [e.payload for e in entries] == [{"n": 2}, {"n": 1}, {"n": 0}]
    assert [e.payload for e in await store.access.list_audit(actor="ada", since=T0 + timedelta(minutes=1))] == [
        {"n": 2}
    ]
    assert len(await store.access.list_audit(limit=1, offset=1)) == 1


async def test_the_first_idempotent_answer_wins(store: Store) -> None:
    first = IdempotentAnswer("h1", 201, "application/json", '{"a": 1}')
    await store.access.save_answer("ada", "k", first, T0)
    await store.access.save_answer("ada", "k", IdempotentAnswer("h2", 201, "application/json", "{}"), T0)
    assert await store.access.get_answer("ada", "k") == first
    assert await store.access.get_answer("otto", "k") is None


async def test_a_vehicle_is_saved_changed_and_deleted_with_its_bookings(store: Store) -> None:
    await store.fleet.save_vehicle(dataclasses.replace(CAR, iso15118_id="ITVETC00001"))
    await store.add_booking("car-01", T0 + timedelta(hours=2), 10.0, 1.0, T0)
    await store.fleet.save_vehicle(dataclasses.replace(CAR, battery_kwh=44.0, iso15118_id="ITVETC00001"))
    stored = await store.fleet.get_vehicle("car-01")
    assert stored is not None
    assert (stored.battery_kwh, stored.iso15118_id) == (44.0, "ITVETC00001")
    # The site file knows no ISO 15118 identity: loading it again keeps the stored one.
    await store.upsert_vehicles([CAR])
    assert (await store.list_vehicles())[0].iso15118_id == "ITVETC00001"
    assert await store.fleet.delete_vehicle("car-01") is True
    assert await store.current_bookings() == {}
    assert await store.fleet.delete_vehicle("car-01") is False


async def test_a_vehicle_cannot_take_another_ones_identity(store: Store) -> None:
    await store.fleet.save_vehicle(dataclasses.replace(CAR, iso15118_id="ITVETC00001"))
    with pytest.raises(IdTagConflictError, match="TAG-0001"):
        await store.fleet.save_vehicle(dataclasses.replace(CAR, id="car-02"))
    with pytest.raises(IdTagConflictError, match="ITVETC00001"):
        await store.fleet.save_vehicle(dataclasses.replace(CAR, id="car-02", id_tag="T2", iso15118_id="ITVETC00001"))


async def test_a_batch_of_bookings_is_stored_whole_or_not_at_all(store: Store) -> None:
    await store.fleet.save_vehicle(CAR)
    departure = T0 + timedelta(hours=3)
    with pytest.raises(UnknownVehicleError):
        await store.fleet.add_bookings(
            [("car-01", departure, 5.0, 1.0, None), ("ghost", departure, 5.0, 1.0, None)], T0
        )
    assert await store.current_bookings() == {}
    stored = await store.fleet.add_bookings(
        [("car-01", departure, 5.0, 1.0, None), ("car-01", departure, None, 2.0, 0.9)], T0
    )
    assert len(stored) == 2
    current = (await store.current_bookings())["car-01"]
    assert (current.energy_needed_kwh, current.target_soc, current.priority) == (None, 0.9, 2.0)
    with pytest.raises(InvalidValueError, match=r"bookings\[1\]\.energy_needed_kwh"):
        await store.fleet.add_bookings(
            [("car-01", departure, 5.0, 1.0, None), ("car-01", departure, 5.0, 1.0, 0.5)], T0
        )
    assert len(await store.fleet.add_bookings([], T0)) == 0


async def test_grid_limits_until_they_end(store: Store) -> None:
    first = await store.fleet.add_grid_limit(300.0, T0, T0 + timedelta(hours=1), "DSO", "otto", T0)
    await store.fleet.add_grid_limit(200.0, T0 + timedelta(hours=2), T0 + timedelta(hours=3), "", "otto", T0)
    assert [lim.limit_kw for lim in await store.fleet.grid_limits(T0)] == [300.0, 200.0]
    assert [lim.limit_kw for lim in await store.fleet.grid_limits(T0 + timedelta(hours=1))] == [200.0]
    assert await store.fleet.delete_grid_limit(first.id) is True
    assert await store.fleet.delete_grid_limit(first.id) is False
