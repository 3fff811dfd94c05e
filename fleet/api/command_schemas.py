"""Shapes of the operator commands to charge points: typed requests and the charger's answer.

Requests use the API's snake_case; each typed command says how it is written on the wire
(``wire_payload``), in OCPP 1.6's camelCase.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IdTag = Annotated[str, Field(min_length=1, max_length=20)]
ConnectorId = Annotated[int, Field(ge=1, le=100)]


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
