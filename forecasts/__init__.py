"""Forecasts on the planning slot grid: PV, site base load and energy prices; vehicle arrivals,
departures and energy needs learned from the session history; and generated site history.

Pure pandas in, pandas out. Every forecaster takes the grid as ``slot_starts`` / ``slot_ends``
(timezone-aware, see :func:`slot_grid`) and returns a Series indexed by ``slot_starts`` holding the
average over each slot, its name carrying the unit (a DataFrame of quantiles for the PV forecast).
Reading files and services is left to :mod:`forecasts.sources`.
"""

from forecasts.arrivals import expected_arrivals
from forecasts.base_load import base_load_kw, hub_load_shape
from forecasts.base_load_forecast import LearnedLoadProfile, base_load_forecast_kw, fit_base_load_profile
from forecasts.day_types import DayKind
from forecasts.errors import ForecastInputError
from forecasts.history import History, HistorySite, generate_history
from forecasts.history_hub import HubCharger, HubVehicle
from forecasts.irradiance import IrradianceProvider, IrradianceSeries
from forecasts.prices import (
    PriceProvider,
    PriceSeries,
    TariffBand,
    band_price_eur_per_kwh,
    capacity_charge_eur_per_kw_month,
    export_price_eur_per_kwh,
    import_price_eur_per_kwh,
    tariff_band,
    tariff_bands,
)
from forecasts.pv import ac_rating_kw, clear_sky_pv_kw, irradiance_pv_kw, pv_firm_kw
from forecasts.pv_forecast import PV_FORECAST_COLUMNS, pv_forecast_kw
from forecasts.pv_model import PvForecastModel, default_pv_forecast_model, fit_pv_forecast_model
from forecasts.sessions import SESSION_COLUMNS
from forecasts.site import BaseLoadProfile, PvArray, SiteLocation, TariffBands
from forecasts.slots import coarse_slot_groups, slot_grid
from forecasts.vehicles import DepartureEstimate, PastSessions, estimate_departure_and_need, past_sessions

__all__ = [
    "PV_FORECAST_COLUMNS",
    "SESSION_COLUMNS",
    "BaseLoadProfile",
    "DayKind",
    "DepartureEstimate",
    "ForecastInputError",
    "History",
    "HistorySite",
    "HubCharger",
    "HubVehicle",
    "IrradianceProvider",
    "IrradianceSeries",
    "LearnedLoadProfile",
    "PastSessions",
    "PriceProvider",
    "PriceSeries",
    "PvArray",
    "PvForecastModel",
    "SiteLocation",
    "TariffBand",
    "TariffBands",
    "ac_rating_kw",
    "band_price_eur_per_kwh",
    "base_load_forecast_kw",
    "base_load_kw",
    "capacity_charge_eur_per_kw_month",
    "clear_sky_pv_kw",
    "coarse_slot_groups",
    "default_pv_forecast_model",
    "estimate_departure_and_need",
    "expected_arrivals",
    "export_price_eur_per_kwh",
    "fit_base_load_profile",
    "fit_pv_forecast_model",
    "generate_history",
    "hub_load_shape",
    "import_price_eur_per_kwh",
    "irradiance_pv_kw",
    "past_sessions",
    "pv_firm_kw",
    "pv_forecast_kw",
    "slot_grid",
    "tariff_band",
    "tariff_bands",
]
