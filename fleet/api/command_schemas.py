"""Shapes of the operator commands to charge points: typed requests and the charger's answer.

Requests use the API's snake_case; each typed command says how it is written on the wire
(``wire_payload``), in OCPP 1.6's camelCase.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from ocpp_server.timestamps import format_utc_timestamp

IdTag = Annotated[str, Field(min_length=1, max_length=20)]
ConnectorId = Annotated[int, Field(ge=1, le=100)]
ConnectorOrChargerId = Annotated[int, Field(ge=0, le=100)]
"""A connector, or 0 for the charge point as a whole."""
ConfigurationKey = Annotated[str, Field(min_length=1, max_length=50)]
Url = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[A-Za-z][A-Za-z0-9+.-]*://")]
"""Where a charger downloads from or uploads to (ftp, ftps, http, https): anyURI on the wire."""


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("outside the range of UTC date and times") from error


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A date and time with its zone, in UTC: OCPP sends every time in UTC."""


class OcppCallError(BaseModel):
    """A CALLERROR as the charger sent it."""

    code: str
    description: str
    details: dict[str, Any]


class OcppCommandAnswer(BaseModel):
    """The charger's answer: the CALLRESULT payload (wire form, unchanged) or its CALLERROR."""

    charge_point_id: str
    action: str
    outcome: Literal["CallResult", "CallError"]
    payload: dict[str, Any] | None = None
    error: OcppCallError | None = None


class RemoteStartCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_tag: IdTag
    connector_id: ConnectorId | None = None
    """None lets the charger choose the connector."""

    def wire_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"idTag": self.id_tag}
        if self.connector_id is not None:
            payload["connectorId"] = self.connector_id
        return payload


class RemoteStopCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    transaction_id: int

    def wire_payload(self) -> dict[str, Any]:
        return {"transactionId": self.transaction_id}


class ResetCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["Soft", "Hard"]

    def wire_payload(self) -> dict[str, Any]:
        return {"type": self.type}


class UnlockConnectorCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector_id: ConnectorId

    def wire_payload(self) -> dict[str, Any]:
        return {"connectorId": self.connector_id}


class ChangeAvailabilityCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector_id: Annotated[int, Field(ge=0, le=100)]
    """0 for the whole charge point."""
    type: Literal["Operative", "Inoperative"]

    def wire_payload(self) -> dict[str, Any]:
        return {"connectorId": self.connector_id, "type": self.type}


class GetConfigurationCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keys: list[ConfigurationKey] | None = Field(default=None, min_length=1, max_length=100)
    """None asks for every key the charger has."""

    def wire_payload(self) -> dict[str, Any]:
        return {} if self.keys is None else {"key": list(self.keys)}


class ChangeConfigurationCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: ConfigurationKey
    value: Annotated[str, Field(max_length=500)]

    def wire_payload(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value}


TriggerableMessage = Literal[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]


class TriggerMessageCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    requested_message: TriggerableMessage
    connector_id: ConnectorId | None = None
    """None: the charge point as a whole, or every connector (MeterValues, StatusNotification)."""

    def wire_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"requestedMessage": self.requested_message}
        if self.connector_id is not None:
            payload["connectorId"] = self.connector_id
        return payload


class ReserveNowCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector_id: ConnectorOrChargerId
    """0 reserves any free connector of the charge point."""
    expiry_date: UtcDatetime
    id_tag: IdTag
    parent_id_tag: IdTag | None = None
    reservation_id: Annotated[int, Field(ge=0)]

    def wire_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "connectorId": self.connector_id,
            "expiryDate": format_utc_timestamp(self.expiry_date),
            "idTag": self.id_tag,
            "reservationId": self.reservation_id,
        }
        if self.parent_id_tag is not None:
            payload["parentIdTag"] = self.parent_id_tag
        return payload


class CancelReservationCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reservation_id: Annotated[int, Field(ge=0)]

    def wire_payload(self) -> dict[str, Any]:
        return {"reservationId": self.reservation_id}


Retries = Annotated[int, Field(ge=0, le=100)]
RetryInterval = Annotated[int, Field(ge=0, le=86_400)]


class UpdateFirmwareCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location: Url
    retrieve_date: UtcDatetime
    """From when the charger may download the firmware."""
    retries: Retries | None = None
    retry_interval_s: RetryInterval | None = None

    def wire_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"location": self.location, "retrieveDate": format_utc_timestamp(self.retrieve_date)}
        return payload | _retry_fields(self.retries, self.retry_interval_s)


class GetDiagnosticsCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location: Url
    """Where the charger uploads its diagnostics file."""
    retries: Retries | None = None
    retry_interval_s: RetryInterval | None = None
    start_time: UtcDatetime | None = None
    stop_time: UtcDatetime | None = None

    def wire_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"location": self.location} | _retry_fields(self.retries, self.retry_interval_s)
        for key, moment in (("startTime", self.start_time), ("stopTime", self.stop_time)):
            if moment is not None:
                payload[key] = format_utc_timestamp(moment)
        return payload


class DataTransferCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vendor_id: Annotated[str, Field(min_length=1, max_length=255)]
    message_id: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    data: str | None = None
    """Free text; its meaning is the vendor's."""

    def wire_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"vendorId": self.vendor_id}
        if self.message_id is not None:
            payload["messageId"] = self.message_id
        if self.data is not None:
            payload["data"] = self.data
        return payload


def _retry_fields(retries: int | None, retry_interval_s: int | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if retries is not None:
        fields["retries"] = retries
    if retry_interval_s is not None:
        fields["retryInterval"] = retry_interval_s
    return fields


class GetCompositeScheduleCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector_id: Annotated[int, Field(ge=0, le=100)]
    """0: the charger's total draw from the grid."""
    duration_s: Annotated[int, Field(ge=1, le=7 * 24 * 3600)]
    """How far ahead [s] from now the schedule is asked for."""
    charging_rate_unit: Literal["A", "W"] | None = None
    """None lets the charger choose."""

    def wire_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"connectorId": self.connector_id, "duration": self.duration_s}
        if self.charging_rate_unit is not None:
            payload["chargingRateUnit"] = self.charging_rate_unit
        return payload


class ClearChargingProfileCommand(BaseModel):
    """Every criterion given must match; none given clears every profile the charger holds."""

    model_config = ConfigDict(extra="forbid")
    profile_id: int | None = None
    connector_id: Annotated[int, Field(ge=0, le=100)] | None = None
    purpose: Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"] | None = None
    stack_level: Annotated[int, Field(ge=0)] | None = None

    def wire_payload(self) -> dict[str, Any]:
        fields = {
            "id": self.profile_id,
            "connectorId": self.connector_id,
            "chargingProfilePurpose": self.purpose,
            "stackLevel": self.stack_level,
        }
        return {key: value for key, value in fields.items() if value is not None}
