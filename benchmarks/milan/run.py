"""Run one controller on one scenario, step by step, and keep what the plant recorded."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchmarks.milan.controllers import Controller, MpcController, PlanCall
from benchmarks.milan.plant import Plant
from benchmarks.milan.scenario import STEPS_PER_DAY, Scenario
from benchmarks.milan.stays import Departure, Stay

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class PlantRun:
    """Everything a controller's run left behind."""

    controller: str
    seed: int
    ev_power_kw: npt.NDArray[np.float64]
    """Average EV power of each step [kW]."""
    import_kw: npt.NDArray[np.float64]
    """Average net grid import of each step [kW]; negative when exporting."""
    waiting_count: npt.NDArray[np.int64]
    stays: tuple[Stay, ...]
    departures: tuple[Departure, ...]
    metered_kwh: float
    """Energy through the chargers' meters [kWh]."""
    stored_gain_kwh: float
    """Battery energy at the end minus at the start, plus what the trips drove out of them [kWh]."""
    trip_shortfalls_kwh: tuple[float, ...]
    calls: tuple[PlanCall, ...]
    wall_s: float


def run_plant(scenario: Scenario, controller: Controller, progress: Progress | None = None) -> PlantRun:
    """Step the plant through the scenario under ``controller``; report each simulated day to ``progress``."""
    started_s = time.perf_counter()
    plant = Plant(scenario)
    initial_kwh = sum(b.stored_kwh for b in plant.batteries.values())
    while not plant.finished:
        plugged_in = plant.begin_step()
        plant.apply(controller.limits_kw(plant, plugged_in))
        if progress is not None and plant.step % STEPS_PER_DAY == 0:
            progress(f"seed {scenario.seed} {controller.name}: day {plant.step // STEPS_PER_DAY}/{scenario.days}")
    plant.close()
    final_kwh = sum(b.stored_kwh for b in plant.batteries.values())
    calls = tuple(controller.calls) if isinstance(controller, MpcController) else ()
    return PlantRun(
        controller=controller.name,
        seed=scenario.seed,
        ev_power_kw=plant.ev_power_kw,
        import_kw=plant.import_kw,
        waiting_count=plant.waiting_count,
        stays=tuple(plant.stays),
        departures=tuple(plant.departures),
        metered_kwh=plant.metered_kwh,
        stored_gain_kwh=final_kwh - initial_kwh + plant.driven_kwh,
        trip_shortfalls_kwh=tuple(plant.trip_shortfalls_kwh),
        calls=calls,
        wall_s=time.perf_counter() - started_s,
    )
