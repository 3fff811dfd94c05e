"""The site file: what the site is made of, validated once where it enters.

A wrong file raises SiteConfigError listing every problem as ``field.path: message``, so that the
program refuses to start half-configured.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]


class SiteConfigError(ValueError):
    """The site file cannot be used; the message names every offending field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(_Strict):
    latitude_deg: Annotated[float, Field(ge=-90, le=90)]
    longitude_deg: Annotated[float, Field(ge=-180, le=180)]
    altitude_m: float = 0.0
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Grid(_Strict):
    transformer_kva: PositiveFloat | None = None
    import_limit_kw: PositiveFloat


class PvArrayConfig(_Strict):
    name: str
    peak_power_kwp: PositiveFloat
    tilt_deg: Annotated[float, Field(ge=0, le=90)]
    azimuth_deg: Annotated[float, Field(ge=0, lt=360)]
    losses_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.14


class BaseLoadConfig(_Strict):
    min_kw: NonNegativeFloat
    max_kw: NonNegativeFloat

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max_kw < self.min_kw:
            raise ValueError("max_kw must not be below min_kw")
        return self


class TariffConfig(_Strict):
    f1_eur_per_kwh: NonNegativeFloat
    f2_eur_per_kwh: NonNegativeFloat
    f3_eur_per_kwh: NonNegativeFloat
    export_eur_per_kwh: NonNegativeFloat = 0.0
    capacity_charge_eur_per_kw_month: NonNegativeFloat = 0.0


class SiteInfo(_Strict):
    id: Annotated[str, Field(min_length=1)]
    name: str
    parking_bays: Annotated[int, Field(ge=0)] = 0
    location: Location
    grid: Grid
    pv_arrays: tuple[PvArrayConfig, ...] = ()
    base_load: BaseLoadConfig
    tariff: TariffConfig


class PlanningConfig(_Strict):
    slot_min: Literal[5, 10, 15, 30, 60] = 15
    horizon_h: Annotated[float, Field(gt=0, le=72)] = 24
    fine_horizon_h: Annotated[float, Field(gt=0, le=72)] | None = None
    """Plan in ``slot_min`` slots for at least this long, then in ``coarse_slot_min`` slots (on the
    clock's boundaries) to the end of the horizon; ``None``: ``slot_min`` slots all the way. Only
    the first slot is ever applied before the next plan, so the far hours need less detail, and a
    large site's LP shrinks with them (docs/benchmarks/speed.md)."""
    coarse_slot_min: Literal[30, 60, 120] = 60
    pv_firm_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0
    unmet_energy_penalty_eur_per_kwh: PositiveFloat = 2.0
    solver_time_limit_s: PositiveFloat = 10
    failsafe_limit_kw: PositiveFloat
    grid_margin_kw: NonNegativeFloat = 20.0
    """Kept free under the grid limit for base load running above its forecast until the next plan."""
    base_load_peak_margin_pct: Annotated[float, Field(ge=0, le=100)] = 5.0
    """How far the base load may turn out above its forecast, as a share of the forecast [%].

    The capacity charge is billed on the measured peak, so the plan prices its peak on the import
    plus this much: a plan riding at the month's peak would raise it with every error of the
    forecast, and each raise frees the next plans up to the new peak. 5 % is about the 90th
    percentile of the base-load forecast's error in the Milan week benchmark."""
    replan_debounce_s: Annotated[float, Field(ge=0)] = 1.0
    """Longest wait [real s] after a trigger, so that a burst of events gives one solve."""
    replan_quiet_s: Annotated[float, Field(ge=0)] = 0.2
    """The plan starts once no trigger came for this long [real s] (or ``replan_debounce_s`` after the
    first): a lone plug-in is planned at once, a burst still gives one solve."""
    fairness_weight_eur: NonNegativeFloat = 0.0
    """Cost of the largest avoidable unmet share among vehicles of equal priority: spreads a shortfall.

    Off by default: at Milan size it roughly doubles the solve time (docs/benchmarks/speed.md)."""
    power_change_weight_eur_per_kw: NonNegativeFloat = 0.002
    """Cost of each kW a vehicle's power changes between slots: fewer profile changes."""
    completion_weight_kwh: NonNegativeFloat = 0.01
    """Raises a vehicle's unmet-energy penalty by this over its need in kWh
    (``ChargingProblem.completion_weight_kwh``): a shortfall goes first to the vehicles nearest their
    target, so fewer leave short; 0 weighs every kWh of a priority class the same."""

    @model_validator(mode="after")
    def _coarse_slots(self) -> Self:
        if self.fine_horizon_h is not None and (
            self.coarse_slot_min <= self.slot_min or self.coarse_slot_min % self.slot_min
        ):
            raise ValueError(
                f"coarse_slot_min: must be a multiple of slot_min ({self.slot_min}) above it, "
                f"got {self.coarse_slot_min}"
            )
        return self


class ChargePointConfig(_Strict):
    id: Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._\-]+$")]
    kind: Literal["AC", "DC"]
    max_power_kw: PositiveFloat
    rate_unit: Literal["A", "W"]
    connectors: Annotated[int, Field(ge=1, le=8)] = 1
    phases: Literal[1, 3] = 3
    voltage_v: PositiveFloat = 230.0
    min_current_a: NonNegativeFloat = 6.0
    max_schedule_periods: Annotated[int, Field(ge=1, le=1024)] = 96
    """The charger's ChargingScheduleMaxPeriods: longer plans are merged (keeping the lower limit) to fit."""
    vendor: str = ""
    model: str = ""
    ocpp_version: Literal["1.6", "2.0.1"] = "1.6"
    """The OCPP version the demo's simulated charger speaks (a real charger picks its own when it
    connects). Naming it here fixes it; ``simulation.ocpp201_share`` chooses among the others."""
    security_profile: Literal[0, 1, 2, 3] = 0
    """The lowest OCPP 1.6 security profile the charger may connect with (docs/security.md): 0 none
    (loopback, the demo), 1 HTTP Basic, 2 TLS + Basic, 3 TLS + client certificate. An administrator
    may change it through the API."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind == "AC":
            max_current_a = self.max_power_kw * 1000 / (self.voltage_v * self.phases)
            if self.min_current_a > max_current_a:
                raise ValueError(f"min_current_a {self.min_current_a} is above the maximum {max_current_a:.1f} A")
        return self


class VehicleConfig(_Strict):
    id: Annotated[str, Field(min_length=1)]
    fleet: Annotated[str, Field(min_length=1)]
    vehicle_class: Literal["car", "van"]
    name: str = ""
    id_tag: Annotated[str, Field(min_length=1, max_length=20)]
    battery_kwh: PositiveFloat
    max_ac_kw: PositiveFloat
    max_dc_kw: PositiveFloat


class CsvIrradianceSource(_Strict):
    kind: Literal["csv"]
    path: Path
    """A CSV of irradiance (see docs/forecasts.md); relative paths are from the site file's folder."""


class OpenMeteoIrradianceSource(_Strict):
    kind: Literal["open-meteo"]
    base_url: str = "https://api.open-meteo.com/v1/forecast"
    timeout_s: PositiveFloat = 10.0


class ForecastSourcesConfig(_Strict):
    """Optional outside data; without it PV comes from clear sky and prices from the ARERA bands."""

    irradiance: Annotated[CsvIrradianceSource | OpenMeteoIrradianceSource, Field(discriminator="kind")] | None = None
    prices_csv: Path | None = None
    """Hourly import prices (timestamp, eur_per_kwh); the bands price whatever it does not cover."""


class OcppConfig(_Strict):
    """How the central system treats chargers."""

    auto_registration: bool = False
    """Admit chargers the site file does not list and answer their boots Pending (they stay
    connected, retry, and are logged for the operator) instead of refusing them with HTTP 404."""
    unlisted_security_profile: Literal[0, 1, 2, 3] = 0
    """With auto-registration: the minimum security profile of chargers the site file does not
    list. 3 admits only chargers holding a client certificate from the site's CA; 1 or 2 only
    those an administrator gave a password."""


class SimulationConfig(_Strict):
    """How the demo's simulator plays the site (ignored when real chargers connect)."""

    ocpp201_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Share of the charge points that speak OCPP 2.0.1 instead of 1.6J, spread evenly through the
    list (DC and AC alike); chargers that name their ``ocpp_version`` keep it."""


class SiteConfig(_Strict):
    site: SiteInfo
    planning: PlanningConfig
    forecast_sources: ForecastSourcesConfig = ForecastSourcesConfig()
    ocpp: OcppConfig = OcppConfig()
    simulation: SimulationConfig = SimulationConfig()
    charge_points: tuple[ChargePointConfig, ...]
    vehicles: tuple[VehicleConfig, ...] = ()

    @model_validator(mode="after")
    def _site_rules(self) -> Self:
        for label, ids in (
            ("charge_points.id", [c.id for c in self.charge_points]),
            ("vehicles.id", [v.id for v in self.vehicles]),
            ("vehicles.id_tag", [v.id_tag for v in self.vehicles]),
        ):
            repeated = sorted(k for k, n in Counter(ids).items() if n > 1)
            if repeated:
                raise ValueError(f"{label}: repeated {', '.join(repeated)}")
        if not self.charge_points:
            raise ValueError("charge_points: the site has no charge point")
        # The fail-safe must keep the site under its limit with every connector drawing it at peak base
        # load, or the central system going away could overload the connection.
        n_connectors = sum(c.connectors for c in self.charge_points)
        worst_kw = n_connectors * self.planning.failsafe_limit_kw + self.site.base_load.max_kw
        if worst_kw > self.site.grid.import_limit_kw:
            raise ValueError(
                f"planning.failsafe_limit_kw: {n_connectors} connectors x {self.planning.failsafe_limit_kw} kW "
                f"+ base load {self.site.base_load.max_kw} kW = {worst_kw:.1f} kW exceeds "
                f"site.grid.import_limit_kw {self.site.grid.import_limit_kw} kW"
            )
        return self

    @cached_property
    def _charge_points_by_id(self) -> dict[str, ChargePointConfig]:
        return {c.id: c for c in self.charge_points}

    def charge_point(self, charge_point_id: str) -> ChargePointConfig | None:
        return self._charge_points_by_id.get(charge_point_id)

    @property
    def connector_count(self) -> int:
        return sum(c.connectors for c in self.charge_points)

    def with_planning(self, **changes: object) -> SiteConfig:
        """This site with some ``planning`` settings changed, validated as a site file is.

        Raises
        ------
        SiteConfigError
            If the changed settings are not valid (an unknown name, a value out of range, or a rule of
            the site they break, such as the fail-safe limit); the message names the field.
        """
        data = self.model_dump()
        data["planning"] = {**data["planning"], **changes}
        return parse_site(data, source="planning changes")


def _format_errors(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(file)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def parse_site(data: object, *, source: str = "site file") -> SiteConfig:
    """Validate already-parsed YAML/JSON data."""
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as exc:
        raise SiteConfigError(f"{source} is not valid:\n{_format_errors(exc)}") from exc


def load_site(path: Path | None = None) -> SiteConfig:
    """Read and validate a site file; ``None`` loads the bundled Milan Porta Romana / Vettabbia site."""
    if path is None:
        text = resources.files("fleet.sites").joinpath("milan.yaml").read_text(encoding="utf-8")
        source = "bundled site milan.yaml"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SiteConfigError(f"cannot read site file {path}: {exc.strerror}") from exc
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SiteConfigError(f"{source} is not valid YAML: {exc}") from exc
    site = parse_site(data, source=source)
    return site if path is None else _relative_to(site, path.parent)


def _relative_to(site: SiteConfig, folder: Path) -> SiteConfig:
    """Resolve the file paths a site file names against the folder the file is in."""
    sources = site.forecast_sources
    irradiance = sources.irradiance
    if isinstance(irradiance, CsvIrradianceSource):
        irradiance = irradiance.model_copy(update={"path": folder / irradiance.path})
    prices_csv = folder / sources.prices_csv if sources.prices_csv is not None else None
    resolved = sources.model_copy(update={"irradiance": irradiance, "prices_csv": prices_csv})
    return site.model_copy(update={"forecast_sources": resolved})
