"""From planned currents to pilots an EVSE accepts, within the network's true limits.

The plan is continuous and within an inscribed polygon of each phasor limit. Pilots must be one of
an EVSE's allowed values (AeroVironment: 0 or 6..32 A; ClipperCreek: 0, 8, 16, 24, 32 A), so the
plan is rounded down, checked against the exact limits (and lowered further in the rare case a
phasor sum grew when one of its terms shrank), and what rounding left unused is then handed out
again, one EVSE at a time in priority order, each raised as far as the exact limits allow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchmarks.acn.network import NetworkModel

PILOT_NOISE_A = 1e-6
"""Planned current this close [A] above an allowed pilot counts as that pilot (solver noise)."""

CONTINUOUS_STEP_A = 0.01
"""Resolution [A] of the search for the highest feasible pilot of a continuous EVSE."""

FloatArray = npt.NDArray[np.float64]
Feasible = Callable[[FloatArray], bool]
"""Whether a vector of pilots [A] (one per station, network order) is within every limit."""


@dataclass(frozen=True, slots=True)
class Pilots:
    """Pilots for one period and how they were obtained."""

    pilots_a: FloatArray
    """One pilot per station, network order [A]."""
    repairs: int
    """Single-step reductions needed after rounding down to make the pilots feasible."""
    raised: int
    """Stations raised above their rounded-down plan by the reallocation."""


def floor_pilot_a(model: NetworkModel, station: int, rate_a: float) -> float:
    """Highest pilot the station accepts that is not above ``rate_a`` [A] (0 at least)."""
    allowed = model.allowed_pilots_a[station]
    top_a = min(rate_a + PILOT_NOISE_A, model.max_pilot_a[station])
    if allowed is None:
        return max(0.0, min(rate_a, model.max_pilot_a[station]))
    below = [a for a in allowed if a <= top_a]
    return below[-1] if below else 0.0


def ceil_pilot_a(model: NetworkModel, station: int, rate_a: float) -> float:
    """Lowest pilot the station accepts that is at least ``rate_a`` [A], or its maximum pilot."""
    allowed = model.allowed_pilots_a[station]
    if allowed is None:
        return max(0.0, min(rate_a, model.max_pilot_a[station]))
    above = [a for a in allowed if a >= rate_a - PILOT_NOISE_A]
    return above[0] if above else model.max_pilot_a[station]


def round_to_feasible_pilots(
    model: NetworkModel,
    planned_a: FloatArray,
    upper_a: FloatArray,
    priority_order: Sequence[int],
    feasible: Feasible,
    *,
    round_up_first: bool = False,
) -> Pilots:
    """Round a planned current vector to allowed, feasible pilots, then reallocate the remainder.

    Parameters
    ----------
    model
        The network (allowed pilots per station).
    planned_a
        Planned current per station [A] (0 where no session).
    upper_a
        Highest useful pilot per station [A]: the pilot that finishes the session in this period,
        or the EVSE maximum; 0 where no session.
    priority_order
        Stations in the order they may take unused capacity.
    feasible
        The network's exact feasibility test.
    round_up_first
        Before the reallocation, raise each station to the lowest allowed pilot at or above its plan
        (within ``upper_a``), largest rounding loss first, wherever the exact limits allow: the
        remainder then goes where the plan put it, instead of all to the first stations in
        ``priority_order``.

    Returns
    -------
    Pilots
        Allowed pilots, never above ``upper_a``, and feasible whenever all-zero pilots are.
    """
    n = len(model.station_ids)
    if planned_a.shape != (n,) or upper_a.shape != (n,):
        raise ValueError(f"planned_a, upper_a: need shape ({n},), got {planned_a.shape} and {upper_a.shape}")
    pilots = np.array(
        [floor_pilot_a(model, j, min(float(planned_a[j]), float(upper_a[j]))) for j in range(n)], dtype=np.float64
    )
    repairs = 0
    while not feasible(pilots) and pilots.any():
        # the largest pilot carries the most current into every limit it is part of
        j = int(np.argmax(pilots))
        pilots[j] = _step_down_a(model, j, float(pilots[j]))
        repairs += 1
    rounded = pilots.copy()
    if round_up_first:
        _round_up_where_feasible(model, np.minimum(planned_a, upper_a), upper_a, pilots, feasible)
    for j in priority_order:
        pilots[j] = _highest_feasible_a(model, j, pilots, float(upper_a[j]), feasible)
    raised = int(np.count_nonzero(pilots > rounded))
    return Pilots(pilots_a=pilots, repairs=repairs, raised=raised)


def _round_up_where_feasible(
    model: NetworkModel, target_a: FloatArray, upper_a: FloatArray, pilots: FloatArray, feasible: Feasible
) -> None:
    """Raise ``pilots`` in place to the allowed pilot at or above ``target_a``, largest shortfall first."""
    shortfall_a = target_a - pilots
    for j in sorted(range(len(pilots)), key=lambda j: (-float(shortfall_a[j]), j)):
        if shortfall_a[j] <= PILOT_NOISE_A:
            break
        up_a = ceil_pilot_a(model, j, float(target_a[j]))
        if up_a > upper_a[j] + PILOT_NOISE_A:
            up_a = floor_pilot_a(model, j, float(upper_a[j]))
        if up_a <= pilots[j] + PILOT_NOISE_A:
            continue
        trial = pilots.copy()
        trial[j] = up_a
        if feasible(trial):
            pilots[j] = up_a


def _step_down_a(model: NetworkModel, station: int, pilot_a: float) -> float:
    allowed = model.allowed_pilots_a[station]
    if allowed is None:
        return max(0.0, pilot_a - CONTINUOUS_STEP_A)
    below = [a for a in allowed if a < pilot_a - PILOT_NOISE_A]
    return below[-1] if below else 0.0


def _highest_feasible_a(
    model: NetworkModel, station: int, pilots: FloatArray, upper_a: float, feasible: Feasible
) -> float:
    """Highest pilot in ``[pilots[station], upper_a]`` keeping the others fixed and the vector feasible."""
    current_a = float(pilots[station])
    trial = pilots.copy()
    allowed = model.allowed_pilots_a[station]
    if allowed is None:
        low_a, high_a = current_a, min(upper_a, model.max_pilot_a[station])
        trial[station] = high_a
        if high_a <= low_a or feasible(trial):
            return max(low_a, high_a)
        while high_a - low_a > CONTINUOUS_STEP_A:
            trial[station] = (low_a + high_a) / 2
            if feasible(trial):
                low_a = float(trial[station])
            else:
                high_a = float(trial[station])
        return low_a
    candidates = [a for a in allowed if current_a + PILOT_NOISE_A < a <= upper_a + PILOT_NOISE_A]
    # most steps are either all-or-nothing; bisect over the candidates otherwise
    low, high = -1, len(candidates)
    while high - low > 1:
        middle = (low + high) // 2 if high < len(candidates) else len(candidates) - 1
        trial[station] = candidates[middle]
        if feasible(trial):
            low = middle
        else:
            high = middle
    return candidates[low] if low >= 0 else current_a
