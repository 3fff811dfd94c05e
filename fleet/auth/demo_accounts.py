"""The demo's accounts: one per role (and one machine client), with published passwords.

Only ``vettabbia demo`` creates them; a real site starts with no account at all and gets its first
administrator from ``vettabbia create-account``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.auth.errors import AccountExistsError
from fleet.auth.principal import Role
from fleet.auth.service import AuthService
from fleet.persistence.access_records import AccountKind


@dataclass(frozen=True, slots=True)
class DemoAccount:
    name: str
    kind: AccountKind
    role: Role
    fleet: str | None
    secret: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", AccountKind.USER, Role.ADMIN, None, "vettabbia-admin"),
    DemoAccount("operator", AccountKind.USER, Role.OPERATOR, None, "vettabbia-operator"),
    DemoAccount("car-sharing", AccountKind.USER, Role.FLEET_MANAGER, "car-sharing", "vettabbia-car-sharing"),
    DemoAccount("e-logistics", AccountKind.USER, Role.FLEET_MANAGER, "e-logistics", "vettabbia-e-logistics"),
    DemoAccount("e-logistics-tms", AccountKind.CLIENT, Role.FLEET_MANAGER, "e-logistics", "vettabbia-tms-secret"),
)
"""``e-logistics-tms`` is a machine (the logistics company's transport system) using client credentials."""


async def ensure_demo_accounts(auth: AuthService) -> None:
    """Create the demo accounts that do not exist yet (a kept demo database has them already)."""
    for account in DEMO_ACCOUNTS:
        try:
            await auth.create_account(account.name, account.kind, account.role, account.fleet, account.secret)
        except AccountExistsError:
            continue


def demo_accounts_text() -> str:
    """The demo's credentials, one line each, for the log and the README."""
    lines = []
    for a in DEMO_ACCOUNTS:
        who = f"{a.role}" + (f" of {a.fleet}" if a.fleet else "")
        field = "username/password" if a.kind is AccountKind.USER else "client_id/client_secret"
        lines.append(f"  {who:28} {field:24} {a.name} / {a.secret}")
    return "\n".join(lines)
