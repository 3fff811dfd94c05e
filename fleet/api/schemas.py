"""Public shapes of the API (documented for the page in docs/api-shapes.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from fleet.api.charger_input_view import EvNeedsPublic, ExternalLimitPublic


class SitePublic(BaseModel):
    site_id: str
    name: str
    timezone: str
    now: datetime
    grid_import_limit_kw: float
    """The grid connection's import limit [kW]."""
    import_limit_now_kw: float
    """The limit in force now [kW]: the connection's, or a lower temporary one (``site/grid-limits``)."""
    ev_power_kw: float
    pv_kw: float
    """PV output now [kW]: measured where the site has a PV meter, else forecast."""
    base_load_kw: float
    """Base load now [kW]: measured where the site has a meter, else forecast."""
    grid_import_kw: float
    """Measured EV power + base load - PV, at least 0 [kW]."""
    charge_points_total: int
    charge_points_connected: int
    connectors_charging: int
    vehicles_total: int


class HorizonPublic(BaseModel):
    slot_starts: list[str] = []
    slot_duration_h: list[float] = []
    grid_import_limit_kw: list[float] = []
    plannable_limit_kw: list[float] = []
    pv_kw: list[float] = []
    pv_firm_kw: list[float] = []
    base_load_kw: list[float] = []
    ev_power_planned_kw: list[float] = []
    grid_import_planned_kw: list[float] = []
    import_price_eur_per_kwh: list[float] = []
    tariff_band: list[str] = []


class MeasuredPublic(BaseModel):
    """What the site measured; null where no meter measures it."""

    at: list[datetime]
    ev_power_kw: list[float]
    grid_import_kw: list[float | None]
    pv_kw: list[float | None]
    base_load_kw: list[float | None]


class ScheduleSummary(BaseModel):
    id: int
    status: str
    created_at: datetime
    objective_eur: float | None
    unmet_energy_kwh: float


class SiteTimeseriesPublic(BaseModel):
    horizon: HorizonPublic
    measured: MeasuredPublic
    schedule: ScheduleSummary | None


class ProfilePeriodPublic(BaseModel):
    start_offset_s: int
    """Seconds from the profile's start (from the start of each transaction when it has none)."""
    limit_kw: float
    limit: float
    """The same limit in the charger's unit (``rate_unit``, A or W), rounded down to 0.1 as sent."""


class ChargerPeriodPublic(BaseModel):
    """A period as the charger received it: merged to fit its ChargingScheduleMaxPeriods."""

    start_offset_s: int
    limit: float


class ChargingProfilePublic(BaseModel):
    profile_id: int
    purpose: Literal["TxProfile", "TxDefaultProfile", "ChargePointMaxProfile"]
    stack_level: int
    connector_id: int
    """0: every connector of the charger."""
    transaction_id: int | None
    start_at: datetime | None
    """None: the schedule starts with each transaction (Relative), as the fail-safe does."""
    duration_s: int | None
    """None: the last period holds for ever."""
    rate_unit: Literal["A", "W"]
    periods: list[ProfilePeriodPublic]
    charger_periods: list[ChargerPeriodPublic]
    limit_now_kw: float | None
    """The limit in force now [kW]; None outside the schedule (or, relative, before it starts)."""


class ChargePointCapabilitiesPublic(BaseModel):
    """What the site file states about the charger."""

    kind: Literal["AC", "DC"]
    max_power_kw: float
    rate_unit: Literal["A", "W"]
    phases: int
    voltage_v: float
    min_current_a: float
    min_power_kw: float
    """The least power a limit in amps can ask for (the minimum current); 0 for chargers set in watts."""
    max_schedule_periods: int
    """ChargingScheduleMaxPeriods: longer plans are merged, keeping the lower limit, to fit."""
    vendor: str | None
    model: str | None


class ReportedCapabilitiesPublic(BaseModel):
    """What the charger itself reported (GetConfiguration after boot or reconnect); None: not reported."""

    read_at: datetime
    smart_charging: bool | None
    """Whether SmartCharging is among its SupportedFeatureProfiles: without it, no profile is sent."""
    feature_profiles: list[str] | None
    max_stack_level: int | None
    """ChargeProfileMaxStackLevel: a profile above it is not sent."""
    allowed_rate_units: list[Literal["A", "W"]] | None
    """ChargingScheduleAllowedChargingRateUnit: profiles are written in one of these."""
    max_schedule_periods: int | None
    """ChargingScheduleMaxPeriods: the lower of it and the site file's applies."""
    max_profiles_installed: int | None
    meter_value_sample_interval_s: int | None
    number_of_connectors: int | None
    connector_phase_rotation: str | None
    local_auth_list_max_length: int | None
    send_local_list_max_length: int | None
    authorization_key_set: bool | None
    unknown_keys: list[str]
    problems: list[str]
    """Keys whose value could not be read, with the value."""
    configuration: dict[str, str | None]
    """The keys as the charger answered them."""


class ChargePointBootPublic(BaseModel):
    """What the charger said of itself in its last BootNotification."""

    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    booted_at: datetime | None


class ConnectorPublic(BaseModel):
    connector_id: int
    status: str | None
    error_code: str | None
    power_kw: float | None
    limit_kw: float | None
    transaction_id: int | None
    vehicle_id: str | None
    energy_kwh: float | None
    soc_percent: float | None
    installed_profile: ChargingProfilePublic | None = None
    """The TxProfile the charger last accepted for the current transaction; None while the fail-safe rules."""
    desired_profile_status: str | None = None
    """How the charger last answered the TxProfile it should hold (Accepted, Rejected, Timeout, NotSent,
    ...); None when it should hold none, or before the first attempt."""
    ev_needs: EvNeedsPublic | None = None
    """What the transaction's vehicle asked for over ISO 15118 (OCPP 2.0.1); None when it said nothing."""


class ChargePointPublic(BaseModel):
    id: str
    kind: Literal["AC", "DC"]
    max_power_kw: float
    rate_unit: Literal["A", "W"]
    ocpp_version: str | None
    connected: bool
    last_seen_at: datetime | None
    vendor: str | None
    model: str | None
    connectors: list[ConnectorPublic]
    capabilities: ChargePointCapabilitiesPublic
    reported_capabilities: ReportedCapabilitiesPublic | None = None
    """What the charger reported of itself; ``capabilities`` is what the site file states."""
    boot: ChargePointBootPublic | None
    """None until the charger has sent a BootNotification."""
    failsafe_profile: ChargingProfilePublic
    """The TxDefaultProfile sent at every accepted boot and reconnect: the limit when no plan reaches it."""
    external_limits: list[ExternalLimitPublic] = []
    """Limits others set on the charger or its connectors (OCPP 2.0.1 NotifyChargingLimit), until cleared."""


class TariffPublic(BaseModel):
    """The supply tariff as the site file states it."""

    f1_eur_per_kwh: float
    f2_eur_per_kwh: float
    f3_eur_per_kwh: float
    export_eur_per_kwh: float
    capacity_charge_eur_per_kw_month: float
    hourly_prices_csv: str | None
    """File name of the hourly import prices, when configured; the bands price whatever it does not cover."""


class TariffNowPublic(BaseModel):
    at: datetime
    tariff_band: Literal["F1", "F2", "F3"]
    import_price_eur_per_kwh: float
    export_price_eur_per_kwh: float
    price_source: Literal["plan", "bands"]
    """``plan``: the current plan's price for this slot (hourly prices where they reach); ``bands``: no plan
    covers now, so the band price."""


class TariffHorizonPublic(BaseModel):
    schedule_id: int | None = None
    slot_starts: list[datetime] = []
    slot_duration_h: list[float] = []
    tariff_band: list[Literal["F1", "F2", "F3"]] = []
    import_price_eur_per_kwh: list[float] = []
    export_price_eur_per_kwh: list[float] = []


class SiteTariffPublic(BaseModel):
    timezone: str
    tariff: TariffPublic
    now: TariffNowPublic
    horizon: TariffHorizonPublic
    """The current plan's slots; empty before the first plan."""


class ConnectorPlanPublic(BaseModel):
    connector_key: str
    charge_point_id: str
    connector_id: int
    transaction_id: int
    vehicle_id: str | None
    departure_at: str
    energy_needed_kwh: float
    needs_source: str
    priority: float
    power_kw: list[float]
    planned_energy_kwh: float
    unmet_energy_kwh: float
    unmet_reason: Literal["not_enough_time", "vehicle_limit", "not_enough_grid"] | None = None
    """Why energy will be missing: the stay is too short, the vehicle holds back, or the site does."""
    departure_soc_percent: float | None = None


class RecommendationPublic(BaseModel):
    """A vehicle waiting for a charger, and where to plug it in next."""

    rank: int
    vehicle_id: str
    vehicle_class: str
    connector_key: str
    deliverable_energy_kwh: float


class CostPublic(BaseModel):
    energy_eur: float
    capacity_eur: float
    unmet_penalty_eur: float
    fairness_eur: float
    power_change_eur: float


class ExpectedPlanPublic(BaseModel):
    """Capacity the plan keeps for vehicles expected to arrive (per class and hour)."""

    id: str
    power_kw: list[float]
    planned_energy_kwh: float


class SchedulePublic(BaseModel):
    id: int
    status: str
    termination: str
    created_at: datetime
    objective_eur: float | None
    solve_time_s: float
    unmet_energy_kwh: float
    reasons: list[str]
    slot_starts: list[str]
    slot_duration_h: list[float]
    connectors: list[ConnectorPlanPublic]
    expected_arrivals: list[ExpectedPlanPublic] = []
    recommendations: list[RecommendationPublic] = []
    dispatchable: bool = False
    """Setpoints every charger can follow (minimum current, 0.1 A steps), not the raw LP."""
    lp_objective_eur: float | None = None
    """The linear program's optimum: a lower bound on what any plan can cost."""
    gap_percent: float | None = None
    """How far this plan's cost is above that bound [%]."""
    cost: CostPublic | None = None
    timings_s: dict[str, float] = {}


class SessionPublic(BaseModel):
    id: int
    charge_point_id: str
    connector_id: int
    id_tag: str
    vehicle_id: str | None
    started_at: datetime
    stopped_at: datetime | None
    energy_kwh: float
    cost_eur: float
    """The metered energy at the site's tariff bands, spread evenly over the session [EUR]."""
    power_kw: float | None
    soc_percent: float | None
    stop_reason: str | None
    reservation_id: int | None = None
    """The reservation the charger said the session used."""


class PowerPoint(BaseModel):
    at: datetime
    power_kw: float


class SessionDetailPublic(SessionPublic):
    power_curve: list[PowerPoint]


class VehiclePublic(BaseModel):
    id: str
    fleet: str
    vehicle_class: str
    name: str
    battery_kwh: float
    max_ac_kw: float
    max_dc_kw: float
    id_tag: str
    """The RFID card the vehicle authorises with (OCPP idTag)."""
    extra_id_tags: list[str] = []
    """Further RFID cards it authorises with."""
    iso15118_id: str | None = None
    """ISO 15118 identity (EVCCID or contract id) for Plug & Charge."""
    departure_at: datetime | None
    energy_needed_kwh: float | None
    target_soc: float | None = None
    """The booking's target state of charge, when it gives one instead of an energy."""
    priority: float | None


VehicleId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
IdTag = Annotated[str, Field(min_length=1, max_length=20)]
"""OCPP 1.6 idTag: at most 20 characters."""
ExtraIdTags = Annotated[list[IdTag], Field(max_length=16)]
"""Further RFID cards of a vehicle, each different from the others and from ``id_tag``."""


class VehicleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: VehicleId
    fleet: Annotated[str, Field(min_length=1, max_length=64)]
    vehicle_class: Literal["car", "van"]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    battery_kwh: Annotated[float, Field(gt=0, le=1000)]
    max_ac_kw: Annotated[float, Field(ge=0, le=1000)]
    max_dc_kw: Annotated[float, Field(ge=0, le=1000)]
    id_tag: IdTag
    extra_id_tags: ExtraIdTags = []
    iso15118_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class VehicleUpdate(BaseModel):
    """The fields to change; the fleet and id stay."""

    model_config = ConfigDict(extra="forbid")

    vehicle_class: Literal["car", "van"] | None = None
    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    battery_kwh: Annotated[float, Field(gt=0, le=1000)] | None = None
    max_ac_kw: Annotated[float, Field(ge=0, le=1000)] | None = None
    max_dc_kw: Annotated[float, Field(ge=0, le=1000)] | None = None
    id_tag: IdTag | None = None
    extra_id_tags: ExtraIdTags | None = None
    """The whole list of further tags ([] removes them all)."""
    iso15118_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class BookingUpdate(BaseModel):
    """The vehicle's next departure and what it needs by then: the energy in the battery [kWh] or a
    target state of charge (0-1], exactly one of them."""

    model_config = ConfigDict(extra="forbid")

    departure_at: AwareDatetime
    energy_needed_kwh: Annotated[float, Field(ge=0, le=500)] | None = None
    target_soc: Annotated[float, Field(gt=0, le=1)] | None = None
    priority: Annotated[float, Field(gt=0, le=100)] = 1.0

    @model_validator(mode="after")
    def _one_need(self) -> Self:
        if (self.energy_needed_kwh is None) == (self.target_soc is None):
            raise ValueError("give exactly one of energy_needed_kwh and target_soc")
        return self


class BookingPublic(BaseModel):
    vehicle_id: str
    departure_at: datetime
    energy_needed_kwh: float | None
    target_soc: float | None = None
    priority: float
    created_at: datetime
