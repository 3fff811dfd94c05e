"""The optimiser's input: a charging problem on a grid of time slots.

Everything is plain numbers on the slot grid, so that the model is a pure function of this object.
Slot ``t`` runs from ``slot_starts_utc[t]`` for ``slot_duration_h[t]`` hours; the first slot may be
shorter than the others (it runs from *now* to the next slot boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class ProblemError(ValueError):
    """A ChargingProblem whose fields are inconsistent (wrong lengths, negative powers...)."""


@dataclass(frozen=True, slots=True)
class VehicleRequest:
    """One plugged-in vehicle that may be charged.

    Parameters
    ----------
    vehicle_id
        Fleet identifier of the vehicle (or of the transaction when the vehicle is unknown).
    connector_key
        Where it is plugged in, ``"{charge_point_id}/{connector_id}"``.
    max_power_kw
        Highest charging power [kW] at the grid side: the lower of the charger's and the vehicle's.
    energy_needed_kwh
        Energy still wanted in the battery by departure [kWh].
    available_h
        Per slot, the hours the vehicle is plugged in [h] (0 after departure, a fraction of the slot
        in the slot it leaves).
    priority
        Weight of this vehicle's unmet energy in the objective (vans > cars).
    efficiency
        Battery energy per grid energy [-].
    """

    vehicle_id: str
    connector_key: str
    max_power_kw: float
    energy_needed_kwh: float
    available_h: tuple[float, ...]
    priority: float = 1.0
    efficiency: float = 0.92


@dataclass(frozen=True, slots=True)
class PhasorLimit:
    """A limit on a weighted sum of connector powers, possibly a phasor sum (three-phase networks).

    In every slot: ``| sum_k coefficient_k * charge_power_kw[vehicle on connector_k, t] | <= limit``,
    where coefficients are complex. With real, non-negative coefficients this is an ordinary linear
    group limit (a cabinet, a feeder, one phase of a three-phase supply) and is modelled exactly. With
    complex coefficients (line currents of a delta/wye network, e.g. the Caltech ACN model) the
    magnitude is a second-order cone, which a linear program cannot hold: it is replaced by the
    inscribed regular polygon with ``facets`` sides, so the plan is always within the true limit and
    gives up at most ``1 - cos(pi / facets)`` of it.

    Parameters
    ----------
    name
        Identifies the limit in reports, e.g. ``"transformer phase A"``.
    coefficients
        ``(connector_key, coefficient)`` pairs; connectors with no vehicle are ignored.
    limit
        In the unit the coefficients convert kW into (kW for a power group; A when the coefficients
        are A per kW).
    facets
        Sides of the inscribed polygon for complex coefficients (at least 4).
    """

    name: str
    coefficients: tuple[tuple[str, complex], ...]
    limit: float
    facets: int = 16


@dataclass(frozen=True, slots=True)
class ChargingProblem:
    """The site over the horizon, and the vehicles to charge.

    The grid constraint is hard: ``sum(EV power) + base_load_kw - pv_firm_kw <= grid_import_limit_kw``
    in every slot, where ``pv_firm_kw`` is the PV output the plan may count on (a pessimistic
    forecast; zero trusts no PV at all). Expected PV (``pv_kw``) only lowers the energy bill.
    """

    slot_starts_utc: tuple[datetime, ...]
    slot_duration_h: tuple[float, ...]
    grid_import_limit_kw: tuple[float, ...]
    base_load_kw: tuple[float, ...]
    pv_kw: tuple[float, ...]
    pv_firm_kw: tuple[float, ...]
    import_price_eur_per_kwh: tuple[float, ...]
    export_price_eur_per_kwh: tuple[float, ...]
    vehicles: tuple[VehicleRequest, ...] = field(default_factory=tuple)
    unmet_energy_penalty_eur_per_kwh: float = 2.0
    phasor_limits: tuple[PhasorLimit, ...] = ()

    @property
    def n_slots(self) -> int:
        return len(self.slot_duration_h)

    def validate(self) -> None:
        """Raise ProblemError naming the first inconsistent field."""
        n = self.n_slots
        if n == 0:
            raise ProblemError("slot_duration_h: the horizon has no slots")
        per_slot = {
            "slot_starts_utc": self.slot_starts_utc,
            "grid_import_limit_kw": self.grid_import_limit_kw,
            "base_load_kw": self.base_load_kw,
            "pv_kw": self.pv_kw,
            "pv_firm_kw": self.pv_firm_kw,
            "import_price_eur_per_kwh": self.import_price_eur_per_kwh,
            "export_price_eur_per_kwh": self.export_price_eur_per_kwh,
        }
        for name, values in per_slot.items():
            if len(values) != n:
                raise ProblemError(f"{name}: {len(values)} values for {n} slots")
        if any(d <= 0 for d in self.slot_duration_h):
            raise ProblemError("slot_duration_h: every slot must last more than 0 h")
        for name in ("grid_import_limit_kw", "base_load_kw", "pv_kw", "pv_firm_kw"):
            if any(v < 0 for v in per_slot[name]):  # type: ignore[operator]
                raise ProblemError(f"{name}: negative power")
        seen: set[str] = set()
        for v in self.vehicles:
            where = f"vehicles[{v.vehicle_id}]"
            if v.vehicle_id in seen:
                raise ProblemError(f"{where}: duplicate vehicle_id")
            seen.add(v.vehicle_id)
            if len(v.available_h) != n:
                raise ProblemError(f"{where}.available_h: {len(v.available_h)} values for {n} slots")
            if v.max_power_kw < 0 or v.energy_needed_kwh < 0:
                raise ProblemError(f"{where}: negative max_power_kw or energy_needed_kwh")
            if any(a < 0 or a > d + 1e-9 for a, d in zip(v.available_h, self.slot_duration_h, strict=True)):
                raise ProblemError(f"{where}.available_h: must lie between 0 and the slot duration")
            if not 0 < v.efficiency <= 1:
                raise ProblemError(f"{where}.efficiency: must be in (0, 1]")
            if v.priority <= 0:
                raise ProblemError(f"{where}.priority: must be positive")
