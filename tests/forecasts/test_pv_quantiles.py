"""Error quantiles of the clear-sky index forecast by lead time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecasts.errors import ForecastInputError
from forecasts.quantiles import (
    MIN_BUCKET_SAMPLES,
    PARAMETRIC_HALF_RANGE_CLIMATOLOGY,
    LeadTimeErrors,
    bucket_of,
    empirical_errors,
    parametric_errors,
)


def test_leads_fall_into_buckets_closed_on_the_right() -> None:
    assert bucket_of([0.0, 0.5, 1.0, 1.01, 48.0, 48.5, np.inf]).tolist() == [0, 0, 0, 1, 10, 11, 11]
    with pytest.raises(ForecastInputError, match="lead_h"):
        bucket_of([-1.0])


def test_parametric_spread_widens_with_lead_and_is_centred() -> None:
    errors = parametric_errors(6.0)
    half_range = errors.quantiles[1, :, 2]

    assert (errors.quantiles[:, :, 1] == 0.0).all()
    assert (errors.mean == 0.0).all()
    assert (errors.quantiles[1, :, 0] == -half_range).all()
    assert (errors.quantiles[0] == errors.quantiles[1]).all()  # the same at low and high sun
    assert (np.diff(half_range) > 0).all()
    # The first bucket takes the half-range at a lead of 0.5 h: 0.45 - 0.35 exp(-0.5 / 6).
    assert half_range[0] == pytest.approx(0.45 - 0.35 * math.exp(-0.5 / 6.0))
    assert half_range[-1] == pytest.approx(PARAMETRIC_HALF_RANGE_CLIMATOLOGY)


def test_empirical_quantiles_of_a_known_sample() -> None:
    # 101 errors -0.4, -0.39, ..., 0.6 at high sun in the first bucket: percentiles -0.3, 0.1 and
    # 0.5, mean 0.1.
    errors = np.linspace(-0.5, 0.5, 101) + 0.1
    learned = empirical_errors(np.full(101, 0.5), errors, np.ones(101, dtype=bool), time_constant_h=6.0)

    assert learned.quantiles[1, 0].tolist() == pytest.approx([-0.3, 0.1, 0.5])
    assert learned.mean[1, 0] == pytest.approx(0.1)
    assert learned.n_samples[1, 0] == 101
    # Cells without errors, at other leads or at low sun, keep the parametric spread.
    parametric = parametric_errors(6.0).quantiles
    assert learned.quantiles[1, 5].tolist() == pytest.approx(parametric[1, 5].tolist())
    assert learned.quantiles[0, 0].tolist() == pytest.approx(parametric[0, 0].tolist())
    assert learned.n_samples[0, 0] == 0


def test_a_thin_bucket_keeps_the_parametric_spread() -> None:
    n = MIN_BUCKET_SAMPLES - 1
    learned = empirical_errors(np.full(n, 3.0), np.ones(n), np.ones(n, dtype=bool), time_constant_h=6.0)

    assert learned.quantiles[1, 2].tolist() == pytest.approx(parametric_errors(6.0).quantiles[1, 2].tolist())


def test_quantiles_are_looked_up_by_lead_and_sun() -> None:
    wide = np.linspace(-1.0, 1.0, 60)
    leads = np.full(120, np.inf)
    suns = np.repeat([False, True], 60)
    learned = empirical_errors(leads, np.concatenate([wide, wide / 10.0]), suns, time_constant_h=6.0)

    rows = learned.at([np.inf, np.inf, 0.2], [False, True, True])

    assert rows.shape == (3, 3)
    assert rows[0].tolist() == pytest.approx(np.quantile(wide, [0.1, 0.5, 0.9]).tolist())
    assert rows[1].tolist() == pytest.approx(np.quantile(wide / 10.0, [0.1, 0.5, 0.9]).tolist())
    assert learned.mean_at([np.inf], [True]).tolist() == pytest.approx([0.0])


def test_bad_tables_are_rejected() -> None:
    good = parametric_errors(6.0)

    with pytest.raises(ForecastInputError, match="quantiles: each cell must be non-decreasing"):
        LeadTimeErrors(good.quantiles[:, :, ::-1], good.mean, good.n_samples)
    with pytest.raises(ForecastInputError, match="quantiles: must be a finite"):
        LeadTimeErrors(good.quantiles[:, :3], good.mean, good.n_samples)
    with pytest.raises(ForecastInputError, match="mean"):
        LeadTimeErrors(good.quantiles, np.full_like(good.mean, np.nan), good.n_samples)
    with pytest.raises(ForecastInputError, match="error: shapes differ"):
        empirical_errors([1.0, 2.0], [0.1], [True], time_constant_h=6.0)
    with pytest.raises(ForecastInputError, match="time_constant_h"):
        parametric_errors(-1.0)
