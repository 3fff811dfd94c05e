"""Charging optimiser: a ChargingProblem in, a Schedule out. Pure: no I/O, no clock, no asyncio."""

from optimizer.fallback import fallback_schedule
from optimizer.problem import (
    ChargingProblem,
    FreeConnector,
    PhasorLimit,
    ProblemError,
    VehicleRequest,
    WaitingVehicle,
)
from optimizer.repair import dispatchable
from optimizer.replan import Replanner, ReplanStart
from optimizer.schedule import (
    CostBreakdown,
    PlugInRecommendation,
    Schedule,
    SolveStatus,
    SolveTimings,
    UnmetReason,
    VehiclePlan,
)
from optimizer.solve import solve

__all__ = [
    "ChargingProblem",
    "CostBreakdown",
    "FreeConnector",
    "PhasorLimit",
    "PlugInRecommendation",
    "ProblemError",
    "ReplanStart",
    "Replanner",
    "Schedule",
    "SolveStatus",
    "SolveTimings",
    "UnmetReason",
    "VehiclePlan",
    "VehicleRequest",
    "WaitingVehicle",
    "dispatchable",
    "fallback_schedule",
    "solve",
]
