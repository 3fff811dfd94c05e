"""Collect (forecast, truth) pairs by horizon and forecaster, and turn them into table rows."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import numpy.typing as npt

from benchmarks.forecast_eval.metrics import coverage, mae, pinball, rmse, skill
from benchmarks.forecast_eval.rows import EvalRow

QUANTILE_LEVELS = (0.1, 0.5, 0.9)


class ScoreBook:
    """Pairs of one target; skill scores are measured against the two named baselines.

    Parameters
    ----------
    target
        What is forecast, with its unit.
    persistence, climatology
        Names of the two baseline forecasters; every scored pair must include both.
    """

    def __init__(self, target: str, *, persistence: str, climatology: str) -> None:
        self.target = target
        self.persistence = persistence
        self.climatology = climatology
        self._truth: dict[str, list[float]] = defaultdict(list)
        self._point: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._band: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)

    def add(
        self,
        horizon: str,
        truth: float,
        points: dict[str, float],
        quantiles: dict[str, npt.NDArray[np.float64]] | None = None,
    ) -> None:
        """Record one truth with each forecaster's point forecast and, for some, P10 / P50 / P90."""
        self._truth[horizon].append(truth)
        for name, value in points.items():
            self._point[(horizon, name)].append(value)
        for name, row in (quantiles or {}).items():
            self._band[(horizon, name)].append((float(row[0]), float(row[1]), float(row[2])))
            self._point[(horizon, name)].append(float(row[1]))

    def rows(self) -> list[EvalRow]:
        """One row per horizon and forecaster, the point of a quantile forecast being its P50."""
        result = []
        for horizon, truth_list in self._truth.items():
            truth = np.asarray(truth_list)
            reference = {name: rmse(self._point[(horizon, name)], truth) for name in self._baselines}
            for (row_horizon, name), values in self._point.items():
                if row_horizon != horizon:
                    continue
                forecast = np.asarray(values)
                error = rmse(forecast, truth)
                band = np.asarray(self._band.get((horizon, name), []))
                result.append(
                    EvalRow(
                        forecaster=name,
                        target=self.target,
                        baseline=name in self._baselines,
                        horizon=horizon,
                        mae=mae(forecast, truth),
                        rmse=error,
                        skill_vs_persistence=skill(error, reference[self.persistence]),
                        skill_vs_climatology=skill(error, reference[self.climatology]),
                        pinball=_mean_pinball(band, truth) if band.size else None,
                        coverage_p10_p90=coverage(band[:, 0], band[:, 2], truth) if band.size else None,
                        n=len(truth),
                    )
                )
        return result

    @property
    def _baselines(self) -> tuple[str, str]:
        return (self.persistence, self.climatology)


def _mean_pinball(band: npt.NDArray[np.float64], truth: npt.NDArray[np.float64]) -> float:
    return float(np.mean([pinball(band[:, i], truth, level) for i, level in enumerate(QUANTILE_LEVELS)]))
