"""Forecasts on the planning slot grid: PV, site base load and energy prices.

Pure pandas in, pandas out. Every forecaster takes the grid as ``slot_starts`` / ``slot_ends``
(timezone-aware, see :func:`slot_grid`) and returns a Series indexed by ``slot_starts`` holding the
average over each slot, its name carrying the unit.
"""

from forecasts.base_load import base_load_kw, hub_load_shape
from forecasts.day_types import DayKind
from forecasts.errors import ForecastInputError
from forecasts.prices import (
    TariffBand,
    band_price_eur_per_kwh,
    export_price_eur_per_kwh,
    import_price_eur_per_kwh,
    tariff_band,
)
from forecasts.pv import clear_sky_pv_kw, pv_firm_kw
from forecasts.site import BaseLoadProfile, PvArray, SiteLocation, TariffBands
from forecasts.slots import slot_grid

__all__ = [
    "BaseLoadProfile",
    "DayKind",
    "ForecastInputError",
    "PvArray",
    "SiteLocation",
    "TariffBand",
    "TariffBands",
    "band_price_eur_per_kwh",
    "base_load_kw",
    "clear_sky_pv_kw",
    "export_price_eur_per_kwh",
    "hub_load_shape",
    "import_price_eur_per_kwh",
    "pv_firm_kw",
    "slot_grid",
    "tariff_band",
]
