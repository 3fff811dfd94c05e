"""What chargers report that planning must take in (OCPP 2.0.1): a vehicle's own needs over ISO 15118
and limits set on a charger by someone else. Pure functions; ``fleet.planning`` applies them."""

from __future__ import annotations

import math
from collections.abc import Sequence

from fleet.persistence.records import EvNeedsRecord, ExternalLimitRecord, TransactionRecord

WHOLE_STATION = 0
"""The connector id of a limit on the charging station as a whole."""


def ev_energy_kwh(tx: TransactionRecord, needs: EvNeedsRecord, efficiency: float) -> float | None:
    """Battery energy [kWh] the vehicle still wants, None when it did not say.

    ``energy_amount_kwh - efficiency * (register_kwh - register_at_report_kwh)``, at least 0: what
    it asked for, less the battery's share of what the meter counted since it asked. ``efficiency``
    is battery energy per metered energy [-].
    """
    if needs.energy_amount_kwh is None:
        return None
    since_kwh = max(0.0, tx.register_kwh - needs.register_at_report_kwh)
    return max(0.0, needs.energy_amount_kwh - efficiency * since_kwh)


def connector_limit_kw(limits: Sequence[ExternalLimitRecord], charge_point_id: str, connector_id: int) -> float:
    """The lowest standing limit set on this connector itself [kW]; ``inf`` when there is none."""
    return min(
        (
            limit.limit_kw
            for limit in limits
            if limit.charge_point_id == charge_point_id and limit.connector_id == connector_id
        ),
        default=math.inf,
    )


def station_limit_kw(limits: Sequence[ExternalLimitRecord], charge_point_id: str) -> float:
    """The lowest standing limit set on the whole station [kW]; ``inf`` when there is none."""
    return connector_limit_kw(limits, charge_point_id, WHOLE_STATION)


def share_limit_kw(limit_kw: float, max_power_kw: Sequence[float]) -> list[float]:
    """Split a station's limit between its charging connectors [kW], each at most its own maximum.

    Max-min fair (water-filling): connectors are served from the smallest maximum up, each taking
    the lower of its maximum and an equal share of what is left, so the shares sum to at most
    ``limit_kw`` and none is left unused while another connector could take it. A station-wide
    limit binds the connectors' sum, which the optimiser has no constraint for: fixed shares keep
    the plan within it.
    """
    shares = [0.0] * len(max_power_kw)
    left_kw = max(0.0, limit_kw)
    order = sorted(range(len(max_power_kw)), key=lambda index: max_power_kw[index])
    for served, index in enumerate(order):
        share_kw = min(max_power_kw[index], left_kw / (len(order) - served))
        shares[index] = share_kw
        left_kw -= share_kw
    return shares
