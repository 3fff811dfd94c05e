"""Back-tests of the forecasts on held-out data, scored against persistence and climatology."""
