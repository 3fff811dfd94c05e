"""Where the site's own measurements come from: PV output and the building (base) load.

A real site reads these from its meters; the demo reads them from a generated, seeded world so that
history and live measurements are one consistent series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import pandas as pd


@dataclass(frozen=True, slots=True)
class SiteReading:
    pv_kw: float | None
    """Measured PV output [kW]; None without a PV meter."""
    base_load_kw: float | None
    """Measured site load other than EV charging [kW]; None without a meter."""


class SiteMeter(Protocol):
    def read(self, at: datetime) -> SiteReading: ...


class NoSiteMeter:
    """A site without PV or building meters: forecasts run on their priors alone."""

    def read(self, at: datetime) -> SiteReading:
        return SiteReading(pv_kw=None, base_load_kw=None)


def _interpolate(series: pd.Series, at: datetime) -> float | None:
    if series.empty:
        return None
    index_s = pd.DatetimeIndex(series.index).as_unit("ns").asi8 / 1e9
    at_s = pd.Timestamp(at).as_unit("ns").value / 1e9
    if at_s < index_s[0] or at_s > index_s[-1]:
        return None
    return float(np.interp(at_s, index_s, series.to_numpy(dtype=float)))


class SeriesSiteMeter:
    """Reads measurements off time series (UTC index), interpolating between their samples."""

    def __init__(self, pv_kw: pd.Series, base_load_kw: pd.Series) -> None:
        self._pv_kw = pv_kw.sort_index()
        self._base_load_kw = base_load_kw.sort_index()

    def read(self, at: datetime) -> SiteReading:
        return SiteReading(pv_kw=_interpolate(self._pv_kw, at), base_load_kw=_interpolate(self._base_load_kw, at))
