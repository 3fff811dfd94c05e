"""The id-tag store and the local lists, on SQLite and PostgreSQL: tags compare case-insensitively."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleet.persistence import InvalidValueError, Store, VehicleClass, VehicleRecord
from fleet.persistence.id_tag_records import IdTagRecord, LocalListEntry
from ocpp_server.ports import IdTagInfo, IdTagStatus
from tests.fleet.persistence.conftest import T0

ACCEPTED = IdTagInfo(IdTagStatus.ACCEPTED)
BLOCKED = IdTagInfo(IdTagStatus.BLOCKED)


def _van(vehicle_id: str, id_tag: str, extra: tuple[str, ...] = ()) -> VehicleRecord:
    return VehicleRecord(
        id=vehicle_id,
        fleet="e-logistics",
        vehicle_class=VehicleClass.VAN,
        name="eDucato",
        id_tag=id_tag,
        battery_kwh=79.0,
        max_ac_kw=11.0,
        max_dc_kw=50.0,
        extra_id_tags=extra,
    )


async def test_a_tag_is_found_in_any_letter_case_and_keeps_its_spelling(store: Store) -> None:
    expires_at = T0 + timedelta(days=30)
    record = IdTagRecord("04A1b2", IdTagInfo(IdTagStatus.ACCEPTED, expires_at, "FLEET-1"), fleet="car-sharing")

    assert await store.id_tags.add_id_tag(record)

    assert await store.id_tags.get_id_tag("04a1B2") == record
    assert await store.id_tags.get_id_tag("04A1b3") is None


async def test_the_same_tag_in_another_letter_case_is_not_added_twice(store: Store) -> None:
    assert await store.id_tags.add_id_tag(IdTagRecord("card-7", ACCEPTED))

    assert not await store.id_tags.add_id_tag(IdTagRecord("CARD-7", BLOCKED))
    assert await store.id_tags.get_id_tag("card-7") == IdTagRecord("card-7", ACCEPTED)


async def test_listing_filters_by_status_and_pages_in_key_order(store: Store) -> None:
    for id_tag, info in [("b", BLOCKED), ("A", ACCEPTED), ("c", ACCEPTED), ("D", BLOCKED)]:
        await store.id_tags.add_id_tag(IdTagRecord(id_tag, info))

    everything = [r.id_tag for r in await store.id_tags.list_id_tags()]
    blocked = [r.id_tag for r in await store.id_tags.list_id_tags(status=IdTagStatus.BLOCKED)]
    second_page = [r.id_tag for r in await store.id_tags.list_id_tags(limit=2, offset=2)]

    assert everything == ["A", "b", "c", "D"]
    assert blocked == ["b", "D"]
    assert second_page == ["c", "D"]


async def test_replace_and_delete_work_in_any_letter_case(store: Store) -> None:
    await store.id_tags.add_id_tag(IdTagRecord("Tag-1", ACCEPTED))

    assert await store.id_tags.replace_id_tag(IdTagRecord("TAG-1", BLOCKED, description="lost"))
    assert await store.id_tags.get_id_tag("tag-1") == IdTagRecord("TAG-1", BLOCKED, description="lost")
    assert await store.id_tags.delete_id_tag("tag-1")
    assert not await store.id_tags.delete_id_tag("tag-1")
    assert not await store.id_tags.replace_id_tag(IdTagRecord("Tag-1", ACCEPTED))


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (IdTagRecord("x" * 21, ACCEPTED), "id_tag"),
        (IdTagRecord("ok", IdTagInfo(IdTagStatus.CONCURRENT_TX)), "info.status"),
        (IdTagRecord("ok", IdTagInfo(IdTagStatus.ACCEPTED, parent_id_tag="p" * 21)), "info.parent_id_tag"),
    ],
)
async def test_what_ocpp_cannot_carry_is_refused(store: Store, record: IdTagRecord, field: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        await store.id_tags.add_id_tag(record)
    assert refused.value.field == field


async def test_lookup_finds_the_vehicle_holding_a_first_or_further_card_in_any_case(store: Store) -> None:
    await store.upsert_vehicles([_van("VAN-01", "RFID-VAN-01"), _van("VAN-02", "RFID-VAN-02")])
    await store.fleet.save_vehicle(_van("VAN-03", "RFID-VAN-03", extra=("Spare-03",)))

    first = await store.id_tags.lookup("rfid-van-02")
    further = await store.id_tags.lookup("SPARE-03")
    nobody = await store.id_tags.lookup("RFID-VAN-04")

    assert (first.vehicle_id, first.entry) == ("VAN-02", None)
    assert further.vehicle_id == "VAN-03"
    assert nobody.vehicle_id is None


async def test_lookup_prefers_the_vehicle_holding_the_tag_exactly_as_written(store: Store) -> None:
    await store.upsert_vehicles([_van("VAN-01", "abc"), _van("VAN-02", "ABC")])

    assert (await store.id_tags.lookup("ABC")).vehicle_id == "VAN-02"
    assert (await store.id_tags.lookup("abc")).vehicle_id == "VAN-01"


async def test_lookup_lists_the_tags_open_transactions_with_their_connectors_status(store: Store) -> None:
    stopped = await store.start_transaction("CP-1", 1, "Card-9", None, 0.0, T0)
    await store.stop_transaction(stopped, 5.0, T0 + timedelta(hours=1), "Local", [])
    open_id = await store.start_transaction("CP-2", 2, "CARD-9", None, 0.0, T0 + timedelta(hours=2))
    await store.record_connector_status("CP-2", 2, "Charging", "NoError", T0 + timedelta(hours=2, minutes=1))
    await store.start_transaction("CP-3", 1, "card-10", None, 0.0, T0)

    lookup = await store.id_tags.lookup("card-9")

    assert [(t.transaction_id, t.charge_point_id, t.connector_id) for t in lookup.open_transactions] == [
        (open_id, "CP-2", 2)
    ]
    assert lookup.open_transactions[0].connector_status == "Charging"


async def test_a_charger_without_a_list_holds_version_zero(store: Store) -> None:
    listed = await store.id_tags.local_list("CP-1")

    assert (listed.version, listed.entries, listed.updated_at) == (0, (), None)


async def test_saving_a_list_replaces_the_entries_and_the_version(store: Store) -> None:
    expires_at = T0 + timedelta(days=1)
    first = [LocalListEntry("b", ACCEPTED), LocalListEntry("A", IdTagInfo(IdTagStatus.ACCEPTED, expires_at, "G"))]
    await store.id_tags.save_local_list("CP-1", 1, first, T0)
    await store.id_tags.save_local_list("CP-2", 4, [LocalListEntry("z", BLOCKED)], T0)

    await store.id_tags.save_local_list("CP-1", 2, [LocalListEntry("c", BLOCKED)], T0 + timedelta(hours=1))
    before = await store.id_tags.local_list("CP-1")
    await store.id_tags.save_local_list("CP-1", 3, first, T0 + timedelta(hours=2))
    after = await store.id_tags.local_list("CP-1")

    assert (before.version, before.entries) == (2, (LocalListEntry("c", BLOCKED),))
    assert after.version == 3
    assert after.entries == (first[1], first[0])
    assert after.updated_at == T0 + timedelta(hours=2)
    assert (await store.id_tags.local_list("CP-2")).entries == (LocalListEntry("z", BLOCKED),)


async def test_a_list_with_a_tag_twice_in_any_letter_case_is_refused(store: Store) -> None:
    twice = [LocalListEntry("Card", ACCEPTED), LocalListEntry("CARD", BLOCKED)]

    with pytest.raises(InvalidValueError, match="more than once"):
        await store.id_tags.save_local_list("CP-1", 1, twice, T0)
    assert (await store.id_tags.local_list("CP-1")).version == 0
