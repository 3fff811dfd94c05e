"""Small problem builders for the optimiser tests: a site with one value per field unless given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from optimizer import ChargingProblem, VehicleRequest

HORIZON_START_UTC = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)


def vehicle(
    vehicle_id: str,
    *,
    available_h: Sequence[float],
    max_power_kw: float = 11.0,
    energy_needed_kwh: float = 10.0,
    priority: float = 1.0,
    efficiency: float = 1.0,
) -> VehicleRequest:
    return VehicleRequest(
        vehicle_id=vehicle_id,
        connector_key=f"CP-{vehicle_id}/1",
        max_power_kw=max_power_kw,
        energy_needed_kwh=energy_needed_kwh,
        available_h=tuple(available_h),
        priority=priority,
        efficiency=efficiency,
    )


def problem(
    *,
    slot_duration_h: Sequence[float],
    vehicles: Sequence[VehicleRequest] = (),
    grid_import_limit_kw: float | Sequence[float] = 100.0,
    base_load_kw: float | Sequence[float] = 0.0,
    pv_kw: float | Sequence[float] = 0.0,
    pv_firm_kw: float | Sequence[float] = 0.0,
    import_price_eur_per_kwh: float | Sequence[float] = 0.2,
    export_price_eur_per_kwh: float | Sequence[float] = 0.0,
    unmet_energy_penalty_eur_per_kwh: float = 2.0,
) -> ChargingProblem:
    """A problem on the given slots; a single number stands for the same value in every slot."""
    n = len(slot_duration_h)

    def per_slot(value: float | Sequence[float]) -> tuple[float, ...]:
        return (float(value),) * n if isinstance(value, int | float) else tuple(value)

    starts: list[datetime] = []
    elapsed_h = 0.0
    for duration_h in slot_duration_h:
        starts.append(HORIZON_START_UTC + timedelta(hours=elapsed_h))
        elapsed_h += duration_h
    return ChargingProblem(
        slot_starts_utc=tuple(starts),
        slot_duration_h=tuple(slot_duration_h),
        grid_import_limit_kw=per_slot(grid_import_limit_kw),
        base_load_kw=per_slot(base_load_kw),
        pv_kw=per_slot(pv_kw),
        pv_firm_kw=per_slot(pv_firm_kw),
        import_price_eur_per_kwh=per_slot(import_price_eur_per_kwh),
        export_price_eur_per_kwh=per_slot(export_price_eur_per_kwh),
        vehicles=tuple(vehicles),
        unmet_energy_penalty_eur_per_kwh=unmet_energy_penalty_eur_per_kwh,
    )
