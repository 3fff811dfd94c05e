"""Charging optimiser: a ChargingProblem in, a Schedule out. Pure: no I/O, no clock, no asyncio."""

from optimizer.fallback import fallback_schedule
from optimizer.problem import ChargingProblem, ProblemError, VehicleRequest
from optimizer.schedule import Schedule, SolveStatus, VehiclePlan
from optimizer.solve import solve

__all__ = [
    "ChargingProblem",
    "ProblemError",
    "Schedule",
    "SolveStatus",
    "VehiclePlan",
    "VehicleRequest",
    "fallback_schedule",
    "solve",
]
