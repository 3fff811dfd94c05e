"""Charging problems for the speed benchmark's tests: by hand, and drawn at random for Hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from optimizer import ChargingProblem, VehicleRequest

START = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


def core_lp_problem(
    durations_h: list[float],
    vehicles: list[VehicleRequest],
    *,
    limit_kw: list[float] | None = None,
    base_kw: list[float] | None = None,
    pv_kw: list[float] | None = None,
    firm_share: float = 0.0,
    price: list[float] | None = None,
    export_share: float = 0.3,
    penalty: float = 2.0,
) -> ChargingProblem:
    n = len(durations_h)
    starts = [START + timedelta(hours=sum(durations_h[:t])) for t in range(n)]
    pv = pv_kw or [0.0] * n
    prices = price or [0.2] * n
    return ChargingProblem(
        slot_starts_utc=tuple(starts),
        slot_duration_h=tuple(durations_h),
        grid_import_limit_kw=tuple(limit_kw or [100.0] * n),
        base_load_kw=tuple(base_kw or [0.0] * n),
        pv_kw=tuple(pv),
        pv_firm_kw=tuple(p * firm_share for p in pv),
        import_price_eur_per_kwh=tuple(prices),
        export_price_eur_per_kwh=tuple(p * export_share for p in prices),
        vehicles=tuple(vehicles),
        unmet_energy_penalty_eur_per_kwh=penalty,
    )


@st.composite
def problems(draw: st.DrawFn) -> ChargingProblem:
    n = draw(st.integers(1, 8))
    durations = [draw(st.sampled_from((0.25, 0.5, 1.0))) for _ in range(n)]
    durations[0] *= draw(st.sampled_from((1.0, 0.6, 0.05)))
    vehicles = []
    for i in range(draw(st.integers(0, 5))):
        first = draw(st.integers(0, n - 1))
        last = draw(st.integers(first, n - 1))
        available = [durations[t] if first <= t <= last else 0.0 for t in range(n)]
        available[first] *= draw(st.sampled_from((1.0, 0.5, 0.1)))
        vehicles.append(
            VehicleRequest(
                vehicle_id=f"v{i}",
                connector_key=f"CP{i}/1",
                max_power_kw=draw(st.sampled_from((0.0, 3.7, 11.0, 22.0, 50.0))),
                energy_needed_kwh=draw(st.floats(0.0, 60.0)),
                available_h=tuple(available),
                priority=draw(st.sampled_from((0.5, 1.0, 3.0))),
                efficiency=draw(st.floats(0.8, 1.0)),
            )
        )
    return core_lp_problem(
        durations,
        vehicles,
        limit_kw=[draw(st.floats(0.0, 80.0)) for _ in range(n)],
        base_kw=[draw(st.floats(0.0, 50.0)) for _ in range(n)],
        pv_kw=[draw(st.floats(0.0, 40.0)) for _ in range(n)],
        firm_share=draw(st.floats(0.0, 1.0)),
        price=[draw(st.floats(-0.05, 0.5)) for _ in range(n)],
        export_share=draw(st.floats(0.0, 1.0)),
        penalty=draw(st.floats(0.6, 5.0)),
    )
