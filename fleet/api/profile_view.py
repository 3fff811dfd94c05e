"""A charging profile [kW] as the API shows it: its periods in kW and in the charger's own unit."""

from __future__ import annotations

from datetime import datetime

from fleet.api.schemas import ChargerPeriodPublic, ChargingProfilePublic, ProfilePeriodPublic
from fleet.dispatch import electrical_of, limit_at
from fleet.site_config import ChargePointConfig
from ocpp_server.commands import PowerLimitProfile
from ocpp_server.profiles import limit_in_rate_unit, to_ocpp16_charging_profile


def _limit_now_kw(profile: PowerLimitProfile, now: datetime) -> float | None:
    if profile.start_utc is not None:
        return limit_at(profile, now)
    # A relative profile restarts with every transaction; its first period is what a new one gets.
    return profile.periods[0].limit_kw


def profile_public(profile: PowerLimitProfile, charger: ChargePointConfig, now: datetime) -> ChargingProfilePublic:
    """``profile`` as sent to ``charger``: the same conversion (and merging) the central system applies."""
    electrical = electrical_of(charger)
    # The very payload the charger got, so that what is shown cannot drift from what was sent.
    sent = to_ocpp16_charging_profile(profile, electrical, max_periods=charger.max_schedule_periods)
    schedule = sent["charging_schedule"]
    return ChargingProfilePublic(
        profile_id=profile.profile_id,
        purpose=profile.purpose.value,
        stack_level=profile.stack_level,
        connector_id=profile.connector_id,
        transaction_id=profile.transaction_id,
        start_at=profile.start_utc,
        duration_s=profile.duration_s,
        rate_unit=schedule["charging_rate_unit"],
        periods=[
            ProfilePeriodPublic(
                start_offset_s=p.start_offset_s,
                limit_kw=p.limit_kw,
                limit=limit_in_rate_unit(p.limit_kw, electrical),
            )
            for p in profile.periods
        ],
        charger_periods=[
            ChargerPeriodPublic(start_offset_s=p["start_period"], limit=p["limit"])
            for p in schedule["charging_schedule_period"]
        ],
        limit_now_kw=_limit_now_kw(profile, now),
    )
