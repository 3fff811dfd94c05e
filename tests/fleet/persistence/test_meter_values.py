"""Meter values: stored once, kept even without a known transaction, feeding the latest readings."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet.persistence import Store
from ocpp_server.events import Measurand, MeterSample

from .conftest import T0

ENERGY = Measurand.ENERGY_IMPORT_KWH
POWER = Measurand.POWER_IMPORT_KW
SOC = Measurand.SOC_PERCENT
CURRENT = Measurand.CURRENT_IMPORT_A


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


async def test_a_repeated_sample_is_stored_once(store: Store) -> None:
    transaction_id = await store.start_transaction("AC-01", 1, "TAG-0001", None, 100.0, T0)
    first = [MeterSample(ENERGY, 100.5, minutes(1)), MeterSample(POWER, 11.0, minutes(1))]
    resent = [MeterSample(ENERGY, 100.5, minutes(1)), MeterSample(ENERGY, 101.0, minutes(2))]

    assert await store.add_meter_samples("AC-01", 1, transaction_id, first) == 2
    assert await store.add_meter_samples("AC-01", 1, transaction_id, resent) == 1
    assert await store.add_meter_samples("AC-01", 1, transaction_id, first + first) == 0

    series = await store.meter_series(transaction_id, ENERGY)
    assert series == [(minutes(1), 100.5), (minutes(2), 101.0)]


async def test_samples_of_an_unknown_transaction_are_kept_without_it(store: Store) -> None:
    samples = [MeterSample(ENERGY, 55.0, minutes(1))]

    assert await store.add_meter_samples("AC-02", 1, 4242, samples) == 1
    # Stored: sending it again adds nothing.
    assert await store.add_meter_samples("AC-02", 1, None, samples) == 0
    assert await store.get_transaction(4242) is None


async def test_the_latest_readings_are_the_newest_whole_connector_samples(store: Store) -> None:
    transaction_id = await store.start_transaction("DC-01", 1, "TAG-1001", None, 500.0, T0)
    await store.add_meter_samples(
        "DC-01",
        1,
        transaction_id,
        [
            MeterSample(ENERGY, 510.0, minutes(10)),
            MeterSample(POWER, 48.0, minutes(10)),
            MeterSample(SOC, 40.0, minutes(10)),
            MeterSample(POWER, 16.0, minutes(12), phase="L1"),
        ],
    )
    # A batch the charger had queued arrives late: older readings must not win.
    await store.add_meter_samples(
        "DC-01", 1, transaction_id, [MeterSample(ENERGY, 505.0, minutes(5)), MeterSample(SOC, 35.0, minutes(5))]
    )
    await store.add_meter_samples("DC-01", 1, transaction_id, [MeterSample(SOC, 41.0, minutes(11))])

    transaction = await store.get_transaction(transaction_id)

    assert transaction is not None
    assert transaction.last_energy_register_kwh == 510.0
    assert transaction.last_power_kw == 48.0
    assert transaction.last_soc_percent == 41.0
    assert transaction.last_sample_at == minutes(12)
    assert transaction.energy_kwh == 10.0
    assert await store.meter_series(transaction_id, POWER, phase="L1") == [(minutes(12), 16.0)]


async def test_samples_sent_with_the_stop_are_stored(store: Store) -> None:
    transaction_id = await store.start_transaction("AC-03", 2, "TAG-0003", None, 10.0, T0)

    stopped = await store.stop_transaction(
        transaction_id, 17.0, minutes(60), "EVDisconnected", [MeterSample(ENERGY, 17.0, minutes(60))]
    )

    transaction = await store.get_transaction(transaction_id)
    assert stopped
    assert transaction is not None
    assert transaction.last_energy_register_kwh == 17.0
    assert await store.meter_series(transaction_id, ENERGY) == [(minutes(60), 17.0)]


_samples = st.lists(
    st.builds(
        MeterSample,
        measurand=st.sampled_from([ENERGY, POWER, CURRENT]),
        value=st.floats(min_value=0, max_value=1e6, allow_nan=False),
        measured_at=st.integers(min_value=0, max_value=5).map(minutes),
        phase=st.sampled_from([None, "L1", "L2"]),
    ),
    max_size=12,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=_samples, second=_samples)
async def test_every_distinct_sample_is_stored_exactly_once(
    store: Store, first: list[MeterSample], second: list[MeterSample]
) -> None:
    # A charge point of its own keeps the examples independent within one database.
    charge_point_id = f"CP-{uuid.uuid4().hex}"
    transaction_id = await store.start_transaction(charge_point_id, 1, "TAG", None, 0.0, T0)

    def keys(samples: list[MeterSample]) -> set[tuple[Measurand, str | None, datetime]]:
        return {(s.measurand, s.phase, s.measured_at) for s in samples}

    stored_first = await store.add_meter_samples(charge_point_id, 1, transaction_id, first)
    stored_second = await store.add_meter_samples(charge_point_id, 1, transaction_id, second)

    assert stored_first == len(keys(first))
    assert stored_second == len(keys(second) - keys(first))
    assert await store.add_meter_samples(charge_point_id, 1, transaction_id, first + second) == 0
    first_energy = {
        s.measured_at: s.value for s in reversed(first + second) if (s.measurand, s.phase) == (ENERGY, None)
    }
    series = await store.meter_series(transaction_id, ENERGY)
    assert series == sorted(first_energy.items())
