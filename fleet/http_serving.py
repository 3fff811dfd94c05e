"""The uvicorn server that a controller or a gateway runs, and how long its parts get to stop.

Its own module so that a gateway node, which serves only health and metrics, does not import the
controller's runtime (the optimiser, forecasts and the API with them): a gateway restarted after a
crash is back on the air the sooner for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn

SHUTDOWN_STEP_S = 10.0
"""Longest wait for one part to stop before the next is told to."""
HTTP_GRACEFUL_SHUTDOWN_S = 2
"""How long open HTTP requests and event streams get to finish when the server stops [s]."""


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the process owns Ctrl-C and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
