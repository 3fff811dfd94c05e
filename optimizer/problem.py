"""The optimiser's input: a charging problem on a grid of time slots.

Everything is plain numbers on the slot grid, so that the model is a pure function of this object.
Slot ``t`` runs from ``slot_starts_utc[t]`` for ``slot_duration_h[t]`` hours; the first slot may be
shorter than the others (it runs from *now* to the next slot boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt


class ProblemError(ValueError):
    """A ChargingProblem whose fields are inconsistent (wrong lengths, negative powers...)."""


COMPLETION_FLOOR_KWH = 0.1
"""Needs below this count as this much for ``ChargingProblem.completion_weight_kwh`` [kWh]: a need of
a few Wh would otherwise weigh without bound."""


@dataclass(frozen=True, slots=True)
class VehicleRequest:
    """One vehicle that may be charged: plugged in, or expected to plug in (``expected``).

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
        Weight of this vehicle's unmet energy in the objective (vans > cars; an expected vehicle
        usually gets a lower one, since it may not come).
    efficiency
        Battery energy per grid energy [-]: the charger's and the battery's losses together.
    min_power_kw
        Lowest non-zero power the charger can hold [kW] (e.g. 6 A x 230 V x 3 = 4.14 kW); only
        :func:`optimizer.repair.dispatchable` uses it, the LP treats power as continuous.
    power_step_kw
        Setpoints are multiples of this [kW] (e.g. 1 A x 230 V x 3 = 0.69 kW); 0 for any power.
        Only :func:`optimizer.repair.dispatchable` uses it.
    battery_kwh
        Usable battery capacity [kWh], when known.
    initial_soc
        State of charge now [-], between 0 and 1, when known. With ``battery_kwh`` it bounds the
        energy the battery can take and gives the state of charge at departure.
    taper
        ``(soc, max_power_kw)`` breakpoints of the grid-side power the vehicle accepts as it fills
        up: a concave piecewise-linear curve, ``soc`` strictly increasing in [0, 1]. Beyond the
        first and last breakpoints the end segments are extended. Needs ``battery_kwh`` and
        ``initial_soc``; empty for no taper (``max_power_kw`` alone). Plans apply falling segments
        at the state of charge at the end of each slot (:func:`optimizer.model_terms.add_taper`).
    expected
        True for a vehicle that has not arrived yet (``available_h`` is zero before its expected
        arrival): it is planned, so capacity is kept for it, and its plan is marked so that
        dispatch skips it.
    """

    vehicle_id: str
    connector_key: str
    max_power_kw: float
    energy_needed_kwh: float
    available_h: tuple[float, ...]
    priority: float = 1.0
    efficiency: float = 0.92
    min_power_kw: float = 0.0
    power_step_kw: float = 0.0
    battery_kwh: float | None = None
    initial_soc: float | None = None
    taper: tuple[tuple[float, float], ...] = ()
    expected: bool = False


@dataclass(frozen=True, slots=True)
class WaitingVehicle:
    """A vehicle on site but not plugged in, that could take a free connector.

    Parameters
    ----------
    vehicle_id
        Fleet identifier.
    vehicle_class
        Fleet class, e.g. ``"car"`` or ``"van"`` (reported with the recommendation).
    energy_needed_kwh
        Energy wanted in the battery by departure [kWh].
    departure_utc
        When it leaves (timezone-aware).
    priority
        Weight of its energy, as for :class:`VehicleRequest`.
    max_ac_power_kw, max_dc_power_kw
        Highest power the vehicle takes on an AC / DC connector [kW]; ``None`` when unknown (the
        connector's maximum then applies).
    efficiency
        Battery energy per grid energy [-].
    """

    vehicle_id: str
    vehicle_class: str
    energy_needed_kwh: float
    departure_utc: datetime
    priority: float = 1.0
    max_ac_power_kw: float | None = None
    max_dc_power_kw: float | None = None
    efficiency: float = 0.92


@dataclass(frozen=True, slots=True)
class FreeConnector:
    """A connector with nothing plugged in, where a waiting vehicle could go.

    Parameters
    ----------
    connector_key
        ``"{charge_point_id}/{connector_id}"``, as in phasor limits.
    max_power_kw
        The connector's highest power [kW].
    kind
        ``"AC"`` or ``"DC"``: which of a waiting vehicle's maxima applies.
    """

    connector_key: str
    max_power_kw: float
    kind: Literal["AC", "DC"] = "AC"


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
    Phasor limits are hard as well; energy targets are soft.

    Fields after ``phasor_limits`` are optional, and their defaults add nothing to the model:

    export_limit_kw
        Highest export per slot [kW]; empty for unlimited. With a limit the site is taken to be
        able to curtail PV, which it then does when export is not allowed or does not pay, the
        capacity charge counted: exporting at a loss may keep ``peak_margin_kw`` under the peak.
    capacity_charge_eur_per_kw
        Price of each kW by which the month's peak import (slot average) rises above
        ``peak_import_so_far_kw`` [EUR/kW].
    peak_margin_kw
        Per slot, how far the import may turn out above its forecast [kW] (e.g. expected PV above
        its P10, base load above its forecast); empty for 0. The capacity charge is priced on the
        expected import plus this margin: the month's peak is measured, forecast errors included,
        and a plan that rides exactly at the peak so far would raise it with every error upwards.
        A negative margin leaves the slot room above the peak: a first slot that ends a billing
        quarter hour whose earlier minutes ran below the peak may make up for them.
    peak_import_so_far_kw
        The month's peak import before this horizon [kW].
    fairness_weight_eur
        Cost of the largest avoidable unmet share among vehicles of equal priority [EUR per unit
        share]: spreads a shortfall over vehicles instead of leaving one empty.
    power_change_weight_eur_per_kw
        Cost of each kW by which a vehicle's power changes between consecutive slots of its stay
        [EUR/kW]: fewer, smaller changes of charging profiles.
    completion_weight_kwh
        Raises each vehicle's unmet-energy cost to ``penalty x priority x (1 + completion_weight_kwh /
        need)``, the need in kWh taken as at least ``COMPLETION_FLOOR_KWH`` [kWh]: among plans of
        about the same cost, a shortfall goes first to the vehicles nearest their target, so fewer
        of them leave short (:meth:`unmet_cost_eur_per_kwh`).
    waiting_vehicles, free_connectors
        Vehicles that are not plugged in and connectors that are free; the schedule recommends
        which vehicle to plug in where (:mod:`optimizer.recommend`), outside the LP.
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
    export_limit_kw: tuple[float, ...] = ()
    capacity_charge_eur_per_kw: float = 0.0
    peak_import_so_far_kw: float = 0.0
    peak_margin_kw: tuple[float, ...] = ()
    fairness_weight_eur: float = 0.0
    power_change_weight_eur_per_kw: float = 0.0
    completion_weight_kwh: float = 0.0
    waiting_vehicles: tuple[WaitingVehicle, ...] = ()
    free_connectors: tuple[FreeConnector, ...] = ()
    _available_h: npt.NDArray[np.float64] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def n_slots(self) -> int:
        return len(self.slot_duration_h)

    def available_h_matrix(self) -> npt.NDArray[np.float64]:
        """Every vehicle's ``available_h`` as one read-only array, vehicles by slots [h].

        Built on first use and kept: validation, the index, the LP's coefficients and the
        schedule's accounts all read it, and converting thousands of tuples costs more than the
        rest of those steps at a large site.
        """
        if self._available_h is None:
            hours = np.array([v.available_h for v in self.vehicles], dtype=np.float64).reshape(
                len(self.vehicles), -1 if self.vehicles else self.n_slots
            )
            hours.flags.writeable = False
            object.__setattr__(self, "_available_h", hours)
        assert self._available_h is not None
        return self._available_h

    def unmet_cost_eur_per_kwh(self, vehicle: VehicleRequest | WaitingVehicle) -> float:
        """What each kWh ``vehicle`` misses at departure costs [EUR/kWh]: the penalty times its priority,
        raised by ``completion_weight_kwh`` over its need (for a waiting vehicle, what it would cost
        once plugged in)."""
        completion = 1.0 + self.completion_weight_kwh / max(vehicle.energy_needed_kwh, COMPLETION_FLOOR_KWH)
        return self.unmet_energy_penalty_eur_per_kwh * vehicle.priority * completion

    def peak_margins_kw(self) -> tuple[float, ...]:
        """``peak_margin_kw``, or 0 in every slot without it [kW]."""
        return self.peak_margin_kw or (0.0,) * self.n_slots

    def validate(self) -> None:
        """Raise ProblemError naming the first inconsistent field."""
        n = self.n_slots
        if n == 0:
            raise ProblemError("slot_duration_h: the horizon has no slots")
        per_slot: dict[str, tuple[object, ...]] = {
            "slot_starts_utc": self.slot_starts_utc,
            "grid_import_limit_kw": self.grid_import_limit_kw,
            "base_load_kw": self.base_load_kw,
            "pv_kw": self.pv_kw,
            "pv_firm_kw": self.pv_firm_kw,
            "import_price_eur_per_kwh": self.import_price_eur_per_kwh,
            "export_price_eur_per_kwh": self.export_price_eur_per_kwh,
        }
        if self.export_limit_kw:
            per_slot["export_limit_kw"] = self.export_limit_kw
        if self.peak_margin_kw:
            per_slot["peak_margin_kw"] = self.peak_margin_kw
        for name, values in per_slot.items():
            if len(values) != n:
                raise ProblemError(f"{name}: {len(values)} values for {n} slots")
        if any(d <= 0 for d in self.slot_duration_h):
            raise ProblemError("slot_duration_h: every slot must last more than 0 h")
        powers = ("grid_import_limit_kw", "base_load_kw", "pv_kw", "pv_firm_kw", "export_limit_kw")
        for name in powers:
            if any(v < 0 for v in per_slot.get(name, ())):  # type: ignore[operator]
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
            if not 0 < v.efficiency <= 1:
                raise ProblemError(f"{where}.efficiency: must be in (0, 1]")
            if v.priority <= 0:
                raise ProblemError(f"{where}.priority: must be positive")
        if self.vehicles:
            # one array for every vehicle and slot: a site of thousands of vehicles is checked at once
            hours = self.available_h_matrix()
            outside = (hours < 0) | (hours > np.asarray(self.slot_duration_h, dtype=np.float64) + 1e-9)
            if outside.any():
                first = self.vehicles[int(np.argmax(outside.any(axis=1)))]
                raise ProblemError(
                    f"vehicles[{first.vehicle_id}].available_h: must lie between 0 and the slot duration"
                )
