"""A site whose chargers speak a mix of OCPP 1.6J and 2.0.1, without naming each one."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence

from ocpp_server.simulator.charger_spec import SimChargerSpec


def mix_ocpp_versions(
    chargers: Sequence[SimChargerSpec], ocpp201_share: float, *, fixed: Collection[str] = ()
) -> list[SimChargerSpec]:
    """Turn a share of the chargers into OCPP 2.0.1 ones, spread evenly through the list.

    Parameters
    ----------
    chargers
        The site's chargers, in the order of the site file.
    ocpp201_share
        Share of the chargers not in ``fixed`` that speak 2.0.1 [-], in [0, 1]; the others keep
        their version. ``floor(n * share)`` of the n candidates are chosen, every ``1/share``-th
        one, so that DC and AC chargers listed in blocks both get their part.
    fixed
        Ids of chargers whose version was chosen one by one; they keep it.

    Returns
    -------
    list of SimChargerSpec
        The chargers in the same order.
    """
    if not 0 <= ocpp201_share <= 1:
        raise ValueError(f"ocpp201_share must be in [0, 1], got {ocpp201_share}")
    mixed = []
    candidate = 0
    for spec in chargers:
        if spec.charge_point_id in fixed:
            mixed.append(spec)
            continue
        # The small tolerance keeps 3 x 0.1 from counting as less than 0.3.
        chosen = math.floor((candidate + 1) * ocpp201_share + 1e-9) > math.floor(candidate * ocpp201_share + 1e-9)
        candidate += 1
        mixed.append(dataclasses.replace(spec, ocpp_version="2.0.1") if chosen else spec)
    return mixed
