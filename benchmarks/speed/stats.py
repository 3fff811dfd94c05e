"""Summaries of repeated timings, and a repeat loop bounded in count and in time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TimeStats:
    """Median, minimum and 90th percentile of repeated wall times [s]."""

    median_s: float
    min_s: float
    p90_s: float
    repeats: int


def time_stats(samples_s: list[float]) -> TimeStats:
    """Summarise wall times [s]; the 90th percentile interpolates linearly between samples.

    Raises
    ------
    ValueError
        If there is no sample.
    """
    if not samples_s:
        raise ValueError("samples_s: no timing to summarise")
    values = np.asarray(samples_s, dtype=np.float64)
    return TimeStats(
        median_s=float(np.median(values)),
        min_s=float(values.min()),
        p90_s=float(np.percentile(values, 90)),
        repeats=len(samples_s),
    )


def repeat(run: Callable[[], T], *, repeats: int, budget_s: float) -> list[T]:
    """Call ``run`` up to ``repeats`` times, stopping early once ``budget_s`` [s] have passed (at least once)."""
    if repeats < 1:
        raise ValueError(f"repeats: must be at least 1, got {repeats}")
    started_s = time.perf_counter()
    results = [run()]
    while len(results) < repeats and time.perf_counter() - started_s < budget_s:
        results.append(run())
    return results
