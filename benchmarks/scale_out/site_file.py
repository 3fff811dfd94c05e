"""A generated site file for N chargers and the vehicles that plug in during the benchmark.

Every charger is a 22 kW three-phase AC point with one connector; every vehicle a car with an 11 kW
AC limit. The grid limit covers every idle connector at the fail-safe (the site file's own rule) and
the base load, plus room for only part of what the plugged vehicles could draw: the optimiser has
to share the grid among them, while the problem stays a few hundred vehicles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FAILSAFE_KW = 4.2
"""Just above 6 A on three phases at 230 V (4.14 kW): the fail-safe still lets a vehicle charge."""
BASE_LOAD_MIN_KW = 40.0
BASE_LOAD_MAX_KW = 120.0
GRID_MARGIN_KW = 20.0
VEHICLE_MAX_AC_KW = 11.0
CONTENTION_SHARE = 0.3
"""Room above the fail-safe allowance, as a share of what all the benchmark's vehicles could draw."""


@dataclass(frozen=True, slots=True)
class BenchSite:
    charge_point_ids: tuple[str, ...]
    id_tags: tuple[str, ...]
    """One per vehicle, in the order plug-ins use them."""
    grid_import_limit_kw: float

    def write(self, path: Path) -> None:
        path.write_text(yaml.safe_dump(self.as_data(), sort_keys=False), encoding="utf-8")

    def as_data(self) -> dict[str, Any]:
        return {
            "site": {
                "id": "scale-out-bench",
                "name": f"Scale-out benchmark, {len(self.charge_point_ids)} chargers",
                "location": {"latitude_deg": 45.445, "longitude_deg": 9.205, "timezone": "Europe/Rome"},
                "grid": {"import_limit_kw": self.grid_import_limit_kw},
                "base_load": {"min_kw": BASE_LOAD_MIN_KW, "max_kw": BASE_LOAD_MAX_KW},
                "tariff": {"f1_eur_per_kwh": 0.182, "f2_eur_per_kwh": 0.165, "f3_eur_per_kwh": 0.138},
            },
            "planning": {"failsafe_limit_kw": FAILSAFE_KW, "grid_margin_kw": GRID_MARGIN_KW},
            "charge_points": [
                {
                    "id": charge_point_id,
                    "kind": "AC",
                    "max_power_kw": 22,
                    "rate_unit": "A",
                    "phases": 3,
                    "min_current_a": 6,
                    "vendor": "Vettabbia-Bench",
                    "model": "AC22",
                }
                for charge_point_id in self.charge_point_ids
            ],
            "vehicles": [
                {
                    "id": f"BV-{n:05d}",
                    "fleet": "bench",
                    "vehicle_class": "car",
                    "id_tag": id_tag,
                    "battery_kwh": 60,
                    "max_ac_kw": VEHICLE_MAX_AC_KW,
                    "max_dc_kw": 50,
                }
                for n, id_tag in enumerate(self.id_tags, start=1)
            ],
        }


def bench_site(chargers: int, vehicles: int) -> BenchSite:
    charge_point_ids = tuple(f"SO-{n:05d}" for n in range(1, chargers + 1))
    id_tags = tuple(f"TAG-{n:05d}" for n in range(1, vehicles + 1))
    limit_kw = (
        chargers * FAILSAFE_KW + BASE_LOAD_MAX_KW + GRID_MARGIN_KW + CONTENTION_SHARE * vehicles * VEHICLE_MAX_AC_KW
    )
    return BenchSite(charge_point_ids, id_tags, round(limit_kw, 1))
