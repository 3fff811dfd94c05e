"""OCPP 1.6 configuration keys as OCPP 2.0.1 device-model variables, for the typed configuration commands.

A 2.0.1 station has no configuration keys but components holding variables (GetVariables,
SetVariables). The typed ``get-configuration`` and ``change-configuration`` take the same key names
for both versions: a 1.6 key that has a 2.0.1 counterpart (OCPP 2.0.1 part 2, appendix 3,
"Standardized Components" and the 1.6 migration notes) is read or set there, and a key written as
``Component.Variable`` (or ``Component.Variable.Instance``) is that variable of the station itself,
so that 2.0.1-only variables need no raw call. Anything else cannot be asked of a 2.0.1 station.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class DeviceVariable:
    """A variable of a top-level component (not tied to one EVSE)."""

    component: str
    variable: str
    instance: str | None = None

    def wire(self) -> dict[str, Any]:
        """The ``component`` and ``variable`` of a GetVariableData / SetVariableData, camelCase."""
        variable: dict[str, Any] = {"name": self.variable}
        if self.instance is not None:
            variable["instance"] = self.instance
        return {"component": {"name": self.component}, "variable": variable}


AUTHORIZATION_KEY_VARIABLE: Final = DeviceVariable("SecurityCtrlr", "BasicAuthPassword")
"""Where a 2.0.1 station keeps its Basic-auth password (1.6's AuthorizationKey)."""

V16_KEYS: Final[dict[str, DeviceVariable]] = {
    "AllowOfflineTxForUnknownId": DeviceVariable("AuthCtrlr", "OfflineTxForUnknownIdEnabled"),
    "AuthorizationCacheEnabled": DeviceVariable("AuthCacheCtrlr", "Enabled"),
    "AuthorizationKey": AUTHORIZATION_KEY_VARIABLE,
    "AuthorizeRemoteTxRequests": DeviceVariable("AuthCtrlr", "AuthorizeRemoteStart"),
    "CertificateStoreMaxLength": DeviceVariable("SecurityCtrlr", "CertificateEntries"),
    "ChargeProfileMaxStackLevel": DeviceVariable("SmartChargingCtrlr", "ProfileStackLevel"),
    "ChargingScheduleAllowedChargingRateUnit": DeviceVariable("SmartChargingCtrlr", "RateUnit"),
    "ChargingScheduleMaxPeriods": DeviceVariable("SmartChargingCtrlr", "PeriodsPerSchedule"),
    "ClockAlignedDataInterval": DeviceVariable("AlignedDataCtrlr", "Interval"),
    "ConnectionTimeOut": DeviceVariable("TxCtrlr", "EVConnectionTimeOut"),
    "CpoName": DeviceVariable("SecurityCtrlr", "OrganizationName"),
    "GetConfigurationMaxKeys": DeviceVariable("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
    "HeartbeatInterval": DeviceVariable("OCPPCommCtrlr", "HeartbeatInterval"),
    "LocalAuthListEnabled": DeviceVariable("LocalAuthListCtrlr", "Enabled"),
    "LocalAuthorizeOffline": DeviceVariable("AuthCtrlr", "LocalAuthorizeOffline"),
    "LocalPreAuthorize": DeviceVariable("AuthCtrlr", "LocalPreAuthorize"),
    "MaxChargingProfilesInstalled": DeviceVariable("SmartChargingCtrlr", "Entries", "ChargingProfiles"),
    "MaxEnergyOnInvalidId": DeviceVariable("TxCtrlr", "MaxEnergyOnInvalidId"),
    "MeterValueSampleInterval": DeviceVariable("SampledDataCtrlr", "TxUpdatedInterval"),
    "MeterValuesAlignedData": DeviceVariable("AlignedDataCtrlr", "Measurands"),
    "MeterValuesSampledData": DeviceVariable("SampledDataCtrlr", "TxUpdatedMeasurands"),
    "ResetRetries": DeviceVariable("OCPPCommCtrlr", "ResetRetries"),
    "SecurityProfile": DeviceVariable("SecurityCtrlr", "SecurityProfile"),
    "SendLocalListMaxLength": DeviceVariable("LocalAuthListCtrlr", "ItemsPerMessage"),
    "StopTransactionOnEVSideDisconnect": DeviceVariable("TxCtrlr", "StopTxOnEVSideDisconnect"),
    "StopTransactionOnInvalidId": DeviceVariable("TxCtrlr", "StopTxOnInvalidId"),
    "StopTxnAlignedData": DeviceVariable("AlignedDataCtrlr", "TxEndedMeasurands"),
    "StopTxnSampledData": DeviceVariable("SampledDataCtrlr", "TxEndedMeasurands"),
    "TransactionMessageAttempts": DeviceVariable("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"),
    "TransactionMessageRetryInterval": DeviceVariable("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent"),
    "UnlockConnectorOnEVSideDisconnect": DeviceVariable("OCPPCommCtrlr", "UnlockOnEVSideDisconnect"),
    "WebSocketPingInterval": DeviceVariable("OCPPCommCtrlr", "WebSocketPingInterval"),
}
"""1.6 keys with a 2.0.1 counterpart. Keys without one (NumberOfConnectors, LightIntensity,
MinimumStatusDuration, the per-connector phase rotation...) are per-EVSE or gone in 2.0.1."""


class UnmappedKeyError(ValueError):
    """Keys that are neither a 1.6 key with a 2.0.1 counterpart nor written as Component.Variable."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(
            f"no OCPP 2.0.1 variable for {', '.join(repr(k) for k in keys)}: name a 1.6 key that has one "
            "or write Component.Variable[.Instance]"
        )
        self.keys = keys


def device_variable(key: str) -> DeviceVariable | None:
    """The 2.0.1 variable ``key`` stands for: a mapped 1.6 key, or ``Component.Variable[.Instance]``."""
    mapped = V16_KEYS.get(key)
    if mapped is not None:
        return mapped
    parts = key.split(".")
    if len(parts) in (2, 3) and all(parts):
        return DeviceVariable(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
    return None


def device_variables(keys: list[str]) -> list[DeviceVariable]:
    """The 2.0.1 variables of ``keys``, in order.

    Raises
    ------
    UnmappedKeyError
        If any key has none.
    """
    found = [(key, device_variable(key)) for key in keys]
    unmapped = [key for key, variable in found if variable is None]
    if unmapped:
        raise UnmappedKeyError(unmapped)
    return [variable for _, variable in found if variable is not None]
