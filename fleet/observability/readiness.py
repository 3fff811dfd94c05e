"""Readiness: may a load balancer send this process traffic?

Ready when the database answers a trivial query, the OCPP listener is serving, and planning has
begun (a plan exists, or the control loop has started). Each part not ready is named, so the answer
says what to look at. The database check also sets ``vettabbia_database_up``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fleet.observability.metrics import FleetMetrics

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_S = 2.0
"""A database slower than this to answer SELECT 1 is not ready [s]; load balancers probe every few seconds."""


@dataclass(frozen=True, slots=True)
class Readiness:
    """What is not ready, each with why; ready when there is nothing."""

    not_ready: dict[str, str]

    @property
    def ready(self) -> bool:
        return not self.not_ready


class ReadinessCheck:
    """Asks each part whether it is ready.

    Parameters
    ----------
    ping_database
        Runs a trivial query; raises if the database does not answer.
    ocpp_serving
        Whether the OCPP listener is accepting connections; None where the chargers are on gateway nodes.
    planning_started
        Whether a plan exists or the control loop runs.
    metrics
        Gets the database's answer as ``vettabbia_database_up``; None records nothing.
    bus_connected
        Whether the message broker is connected (the controller role); None where there is none.
    """

    def __init__(
        self,
        ping_database: Callable[[], Awaitable[None]],
        ocpp_serving: Callable[[], bool] | None,
        planning_started: Callable[[], bool],
        metrics: FleetMetrics | None = None,
        bus_connected: Callable[[], bool] | None = None,
    ) -> None:
        self._bus_connected = bus_connected
        self._ping_database = ping_database
        self._ocpp_serving = ocpp_serving
        self._planning_started = planning_started
        self._metrics = metrics

    async def check(self) -> Readiness:
        not_ready: dict[str, str] = {}
        database_problem = await self._database_problem()
        if database_problem is not None:
            not_ready["database"] = database_problem
        if self._ocpp_serving is not None and not self._ocpp_serving():
            not_ready["ocpp_listener"] = "the OCPP listener is not serving"
        if self._bus_connected is not None:
            bus_problem = bus_readiness(self._bus_connected(), self._metrics)
            if bus_problem is not None:
                not_ready["bus"] = bus_problem
        if not self._planning_started():
            not_ready["planning"] = "no plan yet and the control loop has not started"
        return Readiness(not_ready)

    async def _database_problem(self) -> str | None:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_S):
                await self._ping_database()
        except TimeoutError:
            problem: str | None = f"no answer to SELECT 1 within {DATABASE_TIMEOUT_S:g} s"
        except Exception as error:
            # Any driver error means the same to a load balancer; the log keeps the details.
            log.warning("readiness: the database did not answer: %s", error)
            problem = f"SELECT 1 failed: {type(error).__name__}"
        else:
            problem = None
        if self._metrics is not None:
            self._metrics.database_checked(answered=problem is None)
        return problem


def bus_readiness(connected: bool, metrics: FleetMetrics | None) -> str | None:
    """What is wrong with the broker connection, if anything; records ``vettabbia_bus_up``."""
    if metrics is not None:
        metrics.bus_checked(connected=connected)
    return None if connected else "not connected to the message broker"
