"""Every endpoint of the API, called with every role, without a token and with bad tokens.

The cases are checked against ``app.routes``: an endpoint added without a case here fails the test,
so no endpoint can escape the matrix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.routing import iter_route_contexts

from fleet.auth import AuthService, Role
from fleet.auth.tokens import TokenClaims, TokenCodec
from fleet.persistence.access_records import AccountKind
from fleet.persistence.id_tag_records import IdTagRecord
from fleet.runtime import Runtime, vehicle_records
from fleet.yard import WaitingEntry
from ocpp_server.ports import IdTagInfo, IdTagStatus
from tests.fleet.conftest import ACCOUNTS, BASE_URL, TEST_KEY, fast_hasher

ROLES = tuple(ACCOUNTS)
SITE_STAFF = frozenset({"operator", "admin"})
EVERYONE = frozenset(ROLES)
FLEET_WRITERS = frozenset({"fleet_manager", "other_fleet_manager", "admin"})
ADMIN = frozenset({"admin"})
MATRIX_TAG = "MATRIX-TAG"

Setup = Callable[[Runtime], Awaitable[str | None]]
"""Prepares the state a case needs; may return the path to call (for ids known only then)."""


@dataclass(frozen=True)
class Case:
    """One request per endpoint, and what each caller gets for it.

    ``ok`` is the status for a caller allowed by role; ``per_role`` overrides it (a fleet manager asking
    for another fleet's vehicle gets 404); callers outside ``allowed`` get 403. Public endpoints answer
    ``ok`` to everyone, token or not.
    """

    path: str
    allowed: frozenset[str]
    ok: int
    json: Any = None
    form: dict[str, str] | None = None
    per_role: dict[str, int] = field(default_factory=dict)
    public: bool = False
    setup: Setup | None = None

    def expected(self, who: str) -> int:
        if who in self.per_role:
            return self.per_role[who]
        return self.ok if self.public or who in self.allowed else 403


def _departure(hours: float = 6) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def _car_waiting(rt: Runtime) -> None:
    rt.yard.arrive(WaitingEntry("CAR-01", rt.clock.now(), rt.clock.now() + timedelta(hours=3), 10.0, 1.0))


async def _name_free(rt: Runtime) -> None:
    await rt.store.access.delete_account("n")


async def _throwaway_account(rt: Runtime) -> None:
    await rt.store.access.delete_account("temp")
    await rt.auth.create_account("temp", AccountKind.USER, Role.OPERATOR, None, "temporary-secret")


async def _vehicle_id_free(rt: Runtime) -> None:
    await rt.store.fleet.delete_vehicle("CAR-NEW")


async def _throwaway_vehicle(rt: Runtime) -> None:
    await rt.store.fleet.save_vehicle(replace(vehicle_records(rt.site)[0], id="CAR-TMP", id_tag="RFID-TMP"))


async def _grid_limit(rt: Runtime) -> str:
    now = rt.clock.now()
    limit = await rt.store.fleet.add_grid_limit(300, now, now + timedelta(hours=1), "", "test", now)
    return f"/api/v1/site/grid-limits/{limit.id}"


def cases() -> dict[tuple[str, str], Case]:
    booking = {"departure_at": _departure(), "energy_needed_kwh": 10, "priority": 2}
    new_account = {"name": "n", "role": "operator", "secret": "another-secret-1"}
    new_vehicle = {
        "id": "CAR-NEW",
        "fleet": "car-sharing",
        "vehicle_class": "car",
        "name": "Fiat 500e",
        "battery_kwh": 42,
        "max_ac_kw": 11,
        "max_dc_kw": 85,
        "id_tag": "RFID-CAR-NEW",
    }
    other_fleet = {"other_fleet_manager": 404}
    return {
        ("GET", "/api/v1/sessions/export"): Case("/api/v1/sessions/export", SITE_STAFF, 200),
        ("GET", "/api/v1/site/grid-limits"): Case("/api/v1/site/grid-limits", SITE_STAFF, 200),
        ("POST", "/api/v1/site/grid-limits"): Case(
            "/api/v1/site/grid-limits", SITE_STAFF, 201, json={"limit_kw": 300, "ends_at": _departure(2)}
        ),
        ("POST", "/api/v1/site/measurements"): Case(
            "/api/v1/site/measurements",
            SITE_STAFF,
            200,
            json={"readings": [{"measured_at": datetime.now(UTC).isoformat(), "pv_kw": 20.0, "base_load_kw": 70.0}]},
        ),
        ("DELETE", "/api/v1/site/grid-limits/{limit_id}"): Case(
            "/api/v1/site/grid-limits/0", SITE_STAFF, 204, setup=_grid_limit
        ),
        ("POST", "/api/v1/vehicles"): Case(
            "/api/v1/vehicles",
            FLEET_WRITERS,
            201,
            json=new_vehicle,
            per_role={"other_fleet_manager": 403},
            setup=_vehicle_id_free,
        ),
        ("PATCH", "/api/v1/vehicles/{vehicle_id}"): Case(
            "/api/v1/vehicles/CAR-01", FLEET_WRITERS, 200, json={"name": "Zoe"}, per_role=other_fleet
        ),
        ("DELETE", "/api/v1/vehicles/{vehicle_id}"): Case(
            "/api/v1/vehicles/CAR-TMP", FLEET_WRITERS, 204, per_role=other_fleet, setup=_throwaway_vehicle
        ),
        ("POST", "/api/v1/bookings/batch"): Case(
            "/api/v1/bookings/batch",
            FLEET_WRITERS,
            201,
            json={"bookings": [{**booking, "vehicle_id": "CAR-01"}]},
            per_role={"other_fleet_manager": 422},
        ),
        ("GET", "/api/v1/readiness"): Case("/api/v1/readiness", EVERYONE, 200),
        ("GET", "/api/v1/vehicles/{vehicle_id}/readiness"): Case(
            "/api/v1/vehicles/CAR-01/readiness", EVERYONE, 200, per_role=other_fleet
        ),
        ("POST", "/api/v1/vehicles/{vehicle_id}/what-if"): Case(
            "/api/v1/vehicles/CAR-01/what-if", EVERYONE, 200, json=booking, per_role=other_fleet
        ),
        ("GET", "/api/v1/alerts"): Case("/api/v1/alerts", SITE_STAFF, 200),
        ("GET", "/api/v1/events"): Case("/api/v1/events?max_events=1", SITE_STAFF, 200),
        ("GET", "/api/v1/health"): Case("/api/v1/health", EVERYONE, 200, public=True),
        ("GET", "/health/live"): Case("/health/live", EVERYONE, 200, public=True),
        # The fixture's runtime has no OCPP listener and no plan: not ready, whoever asks.
        ("GET", "/health/ready"): Case("/health/ready", EVERYONE, 503, public=True),
        ("GET", "/metrics"): Case("/metrics", EVERYONE, 200, public=True),
        ("POST", "/api/v1/auth/token"): Case(
            "/api/v1/auth/token",
            EVERYONE,
            400,
            form={"grant_type": "password", "username": "nobody", "password": "wrong-password"},
            public=True,
        ),
        ("POST", "/api/v1/auth/revoke"): Case("/api/v1/auth/revoke", EVERYONE, 200, form={"token": "not.a.token"}),
        ("GET", "/api/v1/auth/me"): Case("/api/v1/auth/me", EVERYONE, 200),
        ("GET", "/api/v1/site"): Case("/api/v1/site", SITE_STAFF, 200),
        ("GET", "/api/v1/site/timeseries"): Case("/api/v1/site/timeseries", SITE_STAFF, 200),
        ("GET", "/api/v1/site/today"): Case("/api/v1/site/today", SITE_STAFF, 200),
        # The supply contract is the site's business, not the fleets' (their costs come with what-if).
        ("GET", "/api/v1/site/tariff"): Case("/api/v1/site/tariff", SITE_STAFF, 200),
        ("GET", "/api/v1/charge-points"): Case("/api/v1/charge-points", SITE_STAFF, 200),
        ("GET", "/api/v1/charge-points/{charge_point_id}"): Case("/api/v1/charge-points/MI-DC-01", SITE_STAFF, 200),
        ("GET", "/api/v1/charge-points/{charge_point_id}/frames"): Case(
            "/api/v1/charge-points/MI-DC-01/frames", SITE_STAFF, 200
        ),
        ("GET", "/api/v1/charge-points/{charge_point_id}/log"): Case(
            "/api/v1/charge-points/MI-DC-01/log", SITE_STAFF, 200
        ),
        # No charger is connected here: a command allowed by role finds it not connected (409).
        ("POST", "/api/v1/charge-points/{charge_point_id}/ocpp/{action}"): Case(
            "/api/v1/charge-points/MI-DC-01/ocpp/Reset", SITE_STAFF, 409, json={"type": "Soft"}
        ),
        ("POST", "/api/v1/charge-points/{charge_point_id}/commands/remote-start"): Case(
            "/api/v1/charge-points/MI-DC-01/commands/remote-start", SITE_STAFF, 409, json={"id_tag": "RFID-CAR-01"}
        ),
        ("POST", "/api/v1/charge-points/{charge_point_id}/commands/remote-stop"): Case(
            "/api/v1/charge-points/MI-DC-01/commands/remote-stop", SITE_STAFF, 409, json={"transaction_id": 1}
        ),
        ("POST", "/api/v1/charge-points/{charge_point_id}/commands/reset"): Case(
            "/api/v1/charge-points/MI-DC-01/commands/reset", SITE_STAFF, 409, json={"type": "Hard"}
        ),
        ("POST", "/api/v1/charge-points/{charge_point_id}/commands/unlock-connector"): Case(
            "/api/v1/charge-points/MI-DC-01/commands/unlock-connector", SITE_STAFF, 409, json={"connector_id": 1}
        ),
        ("POST", "/api/v1/charge-points/{charge_point_id}/commands/change-availability"): Case(
            "/api/v1/charge-points/MI-DC-01/commands/change-availability",
            SITE_STAFF,
            409,
            json={"connector_id": 0, "type": "Operative"},
        ),
        **_typed_command_cases(),
        ("GET", "/api/v1/sessions"): Case("/api/v1/sessions", SITE_STAFF, 200),
        ("GET", "/api/v1/sessions/{session_id}"): Case("/api/v1/sessions/1", SITE_STAFF, 404),
        ("GET", "/api/v1/vehicles"): Case("/api/v1/vehicles", EVERYONE, 200),
        ("GET", "/api/v1/vehicles/{vehicle_id}"): Case(
            "/api/v1/vehicles/CAR-01", EVERYONE, 200, per_role={"other_fleet_manager": 404}
        ),
        ("PUT", "/api/v1/vehicles/{vehicle_id}/booking"): Case(
            "/api/v1/vehicles/CAR-01/booking", FLEET_WRITERS, 200, json=booking, per_role={"other_fleet_manager": 404}
        ),
        ("GET", "/api/v1/yard"): Case("/api/v1/yard", EVERYONE, 200),
        ("PUT", "/api/v1/yard/{vehicle_id}"): Case(
            "/api/v1/yard/CAR-01", EVERYONE, 200, json=booking, per_role={"other_fleet_manager": 404}
        ),
        ("DELETE", "/api/v1/yard/{vehicle_id}"): Case(
            "/api/v1/yard/CAR-01", EVERYONE, 204, per_role={"other_fleet_manager": 404}, setup=_car_waiting
        ),
        ("GET", "/api/v1/schedule"): Case("/api/v1/schedule", SITE_STAFF, 404),
        **_id_tag_cases(),
        # Chargers' credentials: administrators only; no charger is connected to rotate a password with.
        ("GET", "/api/v1/charge-points/{charge_point_id}/security"): Case(
            "/api/v1/charge-points/MI-DC-01/security", ADMIN, 200
        ),
        ("PUT", "/api/v1/charge-points/{charge_point_id}/security/password"): Case(
            "/api/v1/charge-points/MI-DC-01/security/password", ADMIN, 204, json={"password": "a-charger-password"}
        ),
        ("PUT", "/api/v1/charge-points/{charge_point_id}/security/minimum-profile"): Case(
            "/api/v1/charge-points/MI-DC-01/security/minimum-profile", ADMIN, 200, json={"minimum_security_profile": 0}
        ),
        ("POST", "/api/v1/charge-points/{charge_point_id}/security/rotate-password"): Case(
            "/api/v1/charge-points/MI-DC-01/security/rotate-password", ADMIN, 409
        ),
        ("GET", "/api/v1/accounts"): Case("/api/v1/accounts", ADMIN, 200),
        ("POST", "/api/v1/accounts"): Case("/api/v1/accounts", ADMIN, 201, json=new_account, setup=_name_free),
        ("DELETE", "/api/v1/accounts/{name}"): Case("/api/v1/accounts/temp", ADMIN, 204, setup=_throwaway_account),
        ("GET", "/api/v1/audit"): Case("/api/v1/audit", ADMIN, 200),
    }


def _typed_command_cases() -> dict[tuple[str, str], Case]:
    """The typed charger commands: operators and administrators only; the charger is not connected (409)."""
    later = _departure(2)
    bodies: dict[str, Any] = {
        "get-configuration": {"keys": ["HeartbeatInterval"]},
        "change-configuration": {"key": "HeartbeatInterval", "value": "300"},
        "trigger-message": {"requested_message": "StatusNotification", "connector_id": 1},
        "clear-cache": None,
        "reserve-now": {"connector_id": 1, "expiry_date": later, "id_tag": "RFID-CAR-01", "reservation_id": 7},
        "cancel-reservation": {"reservation_id": 7},
        "update-firmware": {"location": "https://example.org/fw.bin", "retrieve_date": later},
        "get-diagnostics": {"location": "ftp://example.org/upload/"},
        "data-transfer": {"vendor_id": "com.example", "message_id": "ping"},
        "get-composite-schedule": {"connector_id": 1, "duration_s": 3600, "charging_rate_unit": "W"},
        "clear-charging-profile": {"purpose": "TxProfile", "connector_id": 1},
    }
    return {
        ("POST", f"/api/v1/charge-points/{{charge_point_id}}/commands/{name}"): Case(
            f"/api/v1/charge-points/MI-DC-01/commands/{name}", SITE_STAFF, 409, json=body
        )
        for name, body in bodies.items()
    }


async def _matrix_tag_free(rt: Runtime) -> None:
    await rt.store.id_tags.delete_id_tag(MATRIX_TAG)


async def _matrix_tag_stored(rt: Runtime) -> None:
    await rt.store.id_tags.add_id_tag(IdTagRecord(MATRIX_TAG, IdTagInfo(IdTagStatus.ACCEPTED)))


def _id_tag_cases() -> dict[tuple[str, str], Case]:
    """The id-tag store (administrators write, staff read) and the local lists (staff; the charger is
    not connected, so an update allowed by role is a 409)."""
    tag = f"/api/v1/id-tags/{MATRIX_TAG}"
    local_list = "/api/v1/charge-points/MI-DC-01/local-list"
    return {
        ("GET", "/api/v1/id-tags"): Case("/api/v1/id-tags", SITE_STAFF, 200),
        ("POST", "/api/v1/id-tags"): Case(
            "/api/v1/id-tags", ADMIN, 201, json={"id_tag": MATRIX_TAG}, setup=_matrix_tag_free
        ),
        ("GET", "/api/v1/id-tags/{id_tag}"): Case(tag, SITE_STAFF, 200, setup=_matrix_tag_stored),
        ("PATCH", "/api/v1/id-tags/{id_tag}"): Case(
            tag, ADMIN, 200, json={"status": "Blocked"}, setup=_matrix_tag_stored
        ),
        ("DELETE", "/api/v1/id-tags/{id_tag}"): Case(tag, ADMIN, 204, setup=_matrix_tag_stored),
        ("GET", "/api/v1/charge-points/{charge_point_id}/local-list"): Case(local_list, SITE_STAFF, 200),
        ("PUT", "/api/v1/charge-points/{charge_point_id}/local-list"): Case(
            local_list, SITE_STAFF, 409, json={"entries": [{"id_tag": MATRIX_TAG}]}
        ),
        ("PATCH", "/api/v1/charge-points/{charge_point_id}/local-list"): Case(
            local_list, SITE_STAFF, 409, json={"remove": [MATRIX_TAG]}
        ),
        ("POST", "/api/v1/charge-points/{charge_point_id}/local-list/version"): Case(
            f"{local_list}/version", SITE_STAFF, 409
        ),
    }


OUTSIDE_THE_API = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/", "/static"})
"""Public by design: the API's description and the operator page's own files (which hold no data)."""
OPERATIONS = frozenset({"/health/live", "/health/ready", "/metrics"})
"""Outside the API for load balancers and Prometheus, yet in the matrix: they must stay open."""


def endpoints(runtime: Runtime) -> set[tuple[str, str]]:
    """(method, path) of every route the application serves, routers included."""
    return {
        (method, str(route.path))
        for route in iter_route_contexts(runtime.app.routes)
        for method in (getattr(route, "methods", None) or {"*"})
    }


def test_every_endpoint_has_a_case(runtime: Runtime) -> None:
    served = endpoints(runtime)
    assert {path for _, path in served if not path.startswith("/api/")} == OUTSIDE_THE_API | OPERATIONS
    api_endpoints = {(method, path) for method, path in served if path.startswith("/api/") or path in OPERATIONS}
    assert api_endpoints - set(cases()) == set(), "endpoints without a case in the access matrix"
    assert set(cases()) - api_endpoints == set(), "cases for endpoints that do not exist"


async def _call(runtime: Runtime, case: Case, method: str, token: str | None) -> httpx.Response:
    path = case.path
    if case.setup is not None:
        path = await case.setup(runtime) or path
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=runtime.app), base_url=BASE_URL) as client:
        return await client.request(method, path, json=case.json, data=case.form, headers=headers)


async def _bad_tokens(runtime: Runtime, anonymous: httpx.AsyncClient, admin_token: str) -> dict[str, str]:
    """Tokens that must never get in: each claims to be the administrator."""
    now = datetime.now(UTC)
    forged = TokenCodec(b"f" * 32).encode(
        TokenClaims("ada", "forged-id", "admin", "user", None, now, now + timedelta(hours=1))
    )
    past = AuthService(
        runtime.store.access, TokenCodec(TEST_KEY), lambda: now - timedelta(hours=2), hasher=fast_hasher()
    )
    expired = (await past.password_grant("ada", ACCOUNTS["admin"].secret)).access_token
    revoked = (await runtime.auth.password_grant("ada", ACCOUNTS["admin"].secret)).access_token
    answer = await anonymous.post(
        "/api/v1/auth/revoke", data={"token": revoked}, headers={"Authorization": f"Bearer {revoked}"}
    )
    assert answer.status_code == 200
    # The right key, but an id the store never issued.
    unissued = TokenCodec(TEST_KEY).encode(
        TokenClaims("ada", "never-issued", "admin", "user", None, now, now + timedelta(hours=1))
    )
    return {
        "forged": forged,
        "expired": expired,
        "revoked": revoked,
        "unissued": unissued,
        "garbage": "not-a-jwt",
        "tampered": admin_token[:-4] + ("AAAA" if not admin_token.endswith("AAAA") else "BBBB"),
    }


async def test_every_endpoint_with_every_role_and_every_bad_token(
    runtime: Runtime, anonymous: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    bad = await _bad_tokens(runtime, anonymous, tokens["admin"])
    failures = []
    for (method, _), case in sorted(cases().items()):
        for who in ROLES:
            answer = await _call(runtime, case, method, tokens[who])
            if answer.status_code != case.expected(who):
                failures.append(f"{method} {case.path} as {who}: {answer.status_code} {answer.text[:200]}")
        for name, token in {"no token": None, **bad}.items():
            answer = await _call(runtime, case, method, token)
            expected = case.ok if case.public else 401
            if answer.status_code != expected:
                failures.append(f"{method} {case.path} with {name}: {answer.status_code} {answer.text[:200]}")
            elif expected == 401:
                assert answer.headers["www-authenticate"].startswith("Bearer")
                assert answer.headers["content-type"] == "application/problem+json"
    assert failures == []
