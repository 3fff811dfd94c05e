"""Errors raised by the forecasts package."""

from __future__ import annotations


class ForecastInputError(ValueError):
    """An input to a forecast (site data, slot grid, parameter) is invalid; the message names it."""
