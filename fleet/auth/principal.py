"""Roles, and the authenticated caller of one request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleet.persistence.access_records import AccountKind


class Role(StrEnum):
    FLEET_MANAGER = "fleet_manager"
    """The vehicles and bookings of one fleet (the car-sharing and logistics fleets are different companies)."""
    OPERATOR = "operator"
    """The whole site, read, plus charger commands."""
    ADMIN = "admin"
    """Everything an operator may do, plus configuration, accounts, credentials and the audit log."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the account behind a valid, unrevoked token."""

    name: str
    kind: AccountKind
    role: Role
    fleet: str | None
    """The only fleet a fleet manager may see and change; ``None`` for site-wide roles."""
    token_id: str

    def sees_fleet(self, fleet: str) -> bool:
        """Whether this caller may see (and, with a writing role, change) the vehicles of ``fleet``."""
        return self.role is not Role.FLEET_MANAGER or self.fleet == fleet
