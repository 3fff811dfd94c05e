"""Errors raised inside the OCPP edge; ``rpc_v16`` maps them to OCPP CALLERROR codes in one place."""

from __future__ import annotations


class OcppEdgeError(Exception):
    """Base of the errors raised by the OCPP edge."""


class InvalidPayloadError(OcppEdgeError, ValueError):
    """A charger's payload passed the JSON schema but carries a value that makes no sense.

    Answered with PropertyConstraintViolation.
    """
