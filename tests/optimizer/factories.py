"""Small problem builders for the optimiser tests: a site with one value per field unless given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from optimizer import ChargingProblem, FreeConnector, PhasorLimit, VehicleRequest, WaitingVehicle

HORIZON_START_UTC = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)


def vehicle(
    vehicle_id: str,
    *,
    available_h: Sequence[float],
    max_power_kw: float = 11.0,
    energy_needed_kwh: float = 10.0,
    priority: float = 1.0,
    efficiency: float = 1.0,
    connector_key: str | None = None,
    min_power_kw: float = 0.0,
    power_step_kw: float = 0.0,
    battery_kwh: float | None = None,
    initial_soc: float | None = None,
    taper: Sequence[tuple[float, float]] = (),
    expected: bool = False,
) -> VehicleRequest:
    return VehicleRequest(
        vehicle_id=vehicle_id,
        connector_key=connector_key if connector_key is not None else f"CP-{vehicle_id}/1",
        max_power_kw=max_power_kw,
        energy_needed_kwh=energy_needed_kwh,
        available_h=tuple(available_h),
        priority=priority,
        efficiency=efficiency,
        min_power_kw=min_power_kw,
        power_step_kw=power_step_kw,
        battery_kwh=battery_kwh,
        initial_soc=initial_soc,
        taper=tuple(taper),
        expected=expected,
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
    phasor_limits: Sequence[PhasorLimit] = (),
    export_limit_kw: float | Sequence[float] | None = None,
    capacity_charge_eur_per_kw: float = 0.0,
    peak_import_so_far_kw: float = 0.0,
    peak_margin_kw: float | Sequence[float] | None = None,
    fairness_weight_eur: float = 0.0,
    power_change_weight_eur_per_kw: float = 0.0,
    completion_weight_kwh: float = 0.0,
    waiting_vehicles: Sequence[WaitingVehicle] = (),
    free_connectors: Sequence[FreeConnector] = (),
) -> ChargingProblem:
    """A problem on the given slots; a single number stands for the same value in every slot."""
    n = len(slot_duration_h)

    def per_slot(value: float | Sequence[float]) -> tuple[float, ...]:
        return (float(value),) * n if isinstance(value, int | float) else tuple(value)

    return ChargingProblem(
        slot_starts_utc=slot_starts(slot_duration_h),
        slot_duration_h=tuple(slot_duration_h),
        grid_import_limit_kw=per_slot(grid_import_limit_kw),
        base_load_kw=per_slot(base_load_kw),
        pv_kw=per_slot(pv_kw),
        pv_firm_kw=per_slot(pv_firm_kw),
        import_price_eur_per_kwh=per_slot(import_price_eur_per_kwh),
        export_price_eur_per_kwh=per_slot(export_price_eur_per_kwh),
        vehicles=tuple(vehicles),
        unmet_energy_penalty_eur_per_kwh=unmet_energy_penalty_eur_per_kwh,
        phasor_limits=tuple(phasor_limits),
        export_limit_kw=() if export_limit_kw is None else per_slot(export_limit_kw),
        capacity_charge_eur_per_kw=capacity_charge_eur_per_kw,
        peak_import_so_far_kw=peak_import_so_far_kw,
        peak_margin_kw=() if peak_margin_kw is None else per_slot(peak_margin_kw),
        fairness_weight_eur=fairness_weight_eur,
        power_change_weight_eur_per_kw=power_change_weight_eur_per_kw,
        completion_weight_kwh=completion_weight_kwh,
        waiting_vehicles=tuple(waiting_vehicles),
        free_connectors=tuple(free_connectors),
    )


def slot_starts(slot_duration_h: Sequence[float]) -> tuple[datetime, ...]:
    """Start of each slot, the first at HORIZON_START_UTC."""
    starts: list[datetime] = []
    elapsed_h = 0.0
    for duration_h in slot_duration_h:
        starts.append(HORIZON_START_UTC + timedelta(hours=elapsed_h))
        elapsed_h += duration_h
    return tuple(starts)
