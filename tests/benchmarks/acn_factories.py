"""Small ACN-Sim networks and sessions for the ACN benchmark's tests."""

from __future__ import annotations

from acnportal.acnsim.models.evse import get_evse_by_type  # type: ignore[import-untyped]
from acnportal.acnsim.network import ChargingNetwork, Current  # type: ignore[import-untyped]

from benchmarks.acn.sessions import AcnSession

VOLTAGE_V = 208.0


def tiny_network(*, line_b_limit_a: float, ab_pod_limit_a: float = 64.0) -> ChargingNetwork:
    """Three EVSEs on a delta supply: two on phase pair AB (30 deg), one on BC (-90 deg).

    ``AB-AV`` accepts 0 or 6..32 A (AeroVironment), ``AB-CC`` 0, 8, 16, 24 or 32 A (ClipperCreek),
    ``BC-BASIC`` anything from 0 to 32 A. Constraints: the AB pod (a plain sum of currents) and line
    B, the phasor ``I_BC - I_AB``.
    """
    network = ChargingNetwork()
    network.register_evse(get_evse_by_type("AB-AV", "AeroVironment"), VOLTAGE_V, 30)
    network.register_evse(get_evse_by_type("AB-CC", "ClipperCreek"), VOLTAGE_V, 30)
    network.register_evse(get_evse_by_type("BC-BASIC", "BASIC"), VOLTAGE_V, -90)
    ab = Current(["AB-AV", "AB-CC"])
    bc = Current(["BC-BASIC"])
    network.add_constraint(ab, ab_pod_limit_a, name="AB pod")
    network.add_constraint(bc - ab, line_b_limit_a, name="Line B")
    return network


def session(
    session_id: str, station_id: str, *, arrival: int, departure: int, energy_kwh: float, max_kw: float = 6.6
) -> AcnSession:
    return AcnSession(
        session_id=session_id,
        station_id=station_id,
        arrival=arrival,
        departure=departure,
        estimated_departure=departure,
        requested_energy_kwh=energy_kwh,
        battery_max_power_kw=max_kw,
    )
