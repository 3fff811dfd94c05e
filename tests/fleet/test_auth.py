"""Sign-in flows, token expiry and revocation, fleet scoping, the audit log, and idempotency keys."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import httpx
import jwt
import pytest

from fleet.auth import Role
from fleet.persistence.access_records import AccountKind
from fleet.runtime import Runtime
from tests.fleet.conftest import ACCOUNTS, TEST_KEY, TOKEN_URL, sign_in


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_password_grant_issues_an_expiring_signed_token(anonymous: httpx.AsyncClient) -> None:
    answer = await anonymous.post(
        TOKEN_URL, data={"grant_type": "password", "username": "carla", "password": "fleet-secret-1"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert (body["role"], body["fleet"]) == ("fleet_manager", "car-sharing")
    assert answer.headers["cache-control"] == "no-store"
    claims = jwt.decode(body["access_token"], TEST_KEY, algorithms=["HS256"], issuer="vettabbia")
    assert claims["exp"] - claims["iat"] == 3600
    me = await anonymous.get("/api/v1/auth/me", headers=_bearer(body["access_token"]))
    assert me.json() == {
        "name": "carla",
        "kind": "user",
        "role": "fleet_manager",
        "fleet": "car-sharing",
        "site_timezone": "Europe/Rome",
    }


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password", "username": "carla", "password": "wrong-password"},
        {"grant_type": "password", "username": "nobody", "password": "fleet-secret-1"},
        {"grant_type": "client_credentials", "client_id": "carla", "client_secret": "fleet-secret-1"},
    ],
    ids=["wrong password", "unknown user", "a user's password as a client secret"],
)
async def test_bad_credentials_get_invalid_grant(anonymous: httpx.AsyncClient, form: dict[str, str]) -> None:
    answer = await anonymous.post(TOKEN_URL, data=form)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["error"] == "invalid_grant"
    assert answer.json()["detail"] == "invalid credentials"


async def test_client_credentials_for_a_machine_account(runtime: Runtime, anonymous: httpx.AsyncClient) -> None:
    await runtime.auth.create_account("tms", AccountKind.CLIENT, Role.FLEET_MANAGER, "e-logistics", "machine-secret-1")
    password = await anonymous.post(
        TOKEN_URL, data={"grant_type": "password", "username": "tms", "password": "machine-secret-1"}
    )
    assert password.status_code == 400
    answer = await anonymous.post(
        TOKEN_URL, data={"grant_type": "client_credentials", "client_id": "tms", "client_secret": "machine-secret-1"}
    )
    assert answer.status_code == 200, answer.text
    vans = await anonymous.get("/api/v1/vehicles", headers=_bearer(answer.json()["access_token"]))
    assert {v["fleet"] for v in vans.json()} == {"e-logistics"}
    assert len(vans.json()) == 10


async def test_secrets_are_stored_as_argon2id_hashes(runtime: Runtime) -> None:
    account = await runtime.store.access.get_account("carla")
    assert account is not None
    assert account.secret_hash.startswith("$argon2id$")
    assert "fleet-secret-1" not in account.secret_hash


async def test_a_revoked_token_stops_working_and_others_do_not(anonymous: httpx.AsyncClient) -> None:
    first, second = await sign_in(anonymous, "operator"), await sign_in(anonymous, "operator")
    assert (
        await anonymous.post("/api/v1/auth/revoke", data={"token": first}, headers=_bearer(second))
    ).status_code == 200
    refused = await anonymous.get("/api/v1/site", headers=_bearer(first))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "token revoked"
    assert (await anonymous.get("/api/v1/site", headers=_bearer(second))).status_code == 200


async def test_only_an_admin_revokes_someone_elses_token(anonymous: httpx.AsyncClient) -> None:
    victim = await sign_in(anonymous, "operator")
    other = await sign_in(anonymous, "fleet_manager")
    await anonymous.post("/api/v1/auth/revoke", data={"token": victim}, headers=_bearer(other))
    assert (await anonymous.get("/api/v1/site", headers=_bearer(victim))).status_code == 200
    admin = await sign_in(anonymous, "admin")
    await anonymous.post("/api/v1/auth/revoke", data={"token": victim}, headers=_bearer(admin))
    assert (await anonymous.get("/api/v1/site", headers=_bearer(victim))).status_code == 401


async def test_deleting_an_account_ends_its_tokens(anonymous: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    token = await sign_in(anonymous, "operator")
    assert (await admin.delete("/api/v1/accounts/otto")).status_code == 204
    assert (await anonymous.get("/api/v1/site", headers=_bearer(token))).status_code == 401
    assert (await admin.delete("/api/v1/accounts/otto")).status_code == 404
    assert (await admin.delete("/api/v1/accounts/ada")).status_code == 409


async def test_accounts_are_created_by_an_admin_with_field_named_errors(admin: httpx.AsyncClient) -> None:
    created = await admin.post(
        "/api/v1/accounts", json={"name": "gate", "role": "operator", "kind": "client", "secret": "gate-secret-12"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "client"
    again = await admin.post("/api/v1/accounts", json={"name": "gate", "role": "operator", "secret": "x" * 12})
    assert again.status_code == 409
    no_fleet = await admin.post("/api/v1/accounts", json={"name": "fm", "role": "fleet_manager", "secret": "x" * 12})
    assert no_fleet.status_code == 422
    assert no_fleet.json()["errors"] == [
        {"field": "fleet", "message": "a fleet manager needs exactly one fleet; other roles have none"}
    ]
    short = await admin.post("/api/v1/accounts", json={"name": "fm", "role": "admin", "secret": "short"})
    assert short.status_code == 422
    assert [e["field"] for e in short.json()["errors"]] == ["body.secret"]
    listed = [a["name"] for a in (await admin.get("/api/v1/accounts")).json()]
    assert listed == ["ada", "carla", "gate", "luca", "otto"]


async def test_a_fleet_manager_sees_and_books_only_their_fleet(
    runtime: Runtime, fleet_manager: httpx.AsyncClient
) -> None:
    vehicles = (await fleet_manager.get("/api/v1/vehicles")).json()
    assert len(vehicles) == 62
    assert {v["fleet"] for v in vehicles} == {"car-sharing"}
    assert (await fleet_manager.get("/api/v1/vehicles", params={"fleet": "e-logistics"})).json() == []
    assert (await fleet_manager.get("/api/v1/vehicles/VAN-03")).status_code == 404
    booking = {"departure_at": (runtime.clock.now() + timedelta(hours=4)).isoformat(), "energy_needed_kwh": 20}
    assert (await fleet_manager.put("/api/v1/vehicles/VAN-03/booking", json=booking)).status_code == 404
    assert (await fleet_manager.put("/api/v1/yard/VAN-03", json=booking)).status_code == 404
    assert (await fleet_manager.put("/api/v1/vehicles/CAR-03/booking", json=booking)).status_code == 200
    assert runtime.triggers.take().reasons == ("booking for CAR-03",)


async def test_every_change_is_in_the_audit_log_with_secrets_masked(
    runtime: Runtime, anonymous: httpx.AsyncClient, fleet_manager: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    departure = (runtime.clock.now() + timedelta(hours=4)).isoformat()
    await fleet_manager.put("/api/v1/vehicles/CAR-03/booking", json={"departure_at": departure, "energy_needed_kwh": 9})
    await fleet_manager.delete("/api/v1/accounts/otto")
    log = (await admin.get("/api/v1/audit")).json()
    refused, booking = log[0], log[1]
    assert (refused["actor"], refused["method"], refused["path"], refused["status_code"]) == (
        "carla",
        "DELETE",
        "/api/v1/accounts/otto",
        403,
    )
    assert (booking["actor"], booking["role"], booking["status_code"]) == ("carla", "fleet_manager", 200)
    assert booking["payload"] == {"departure_at": departure, "energy_needed_kwh": 9}
    sign_ins = (await admin.get("/api/v1/audit", params={"limit": 100})).json()
    token_requests = [e for e in sign_ins if e["path"] == TOKEN_URL]
    assert len(token_requests) == len(ACCOUNTS)
    assert all(e["payload"]["password"] == "***" for e in token_requests)
    only_carla = (await admin.get("/api/v1/audit", params={"actor": "carla"})).json()
    assert [e["id"] for e in only_carla] == [refused["id"], booking["id"]]


async def test_an_idempotency_key_replays_the_answer_and_refuses_another_body(admin: httpx.AsyncClient) -> None:
    body = {"name": "gate", "role": "operator", "secret": "gate-secret-12"}
    first = await admin.post("/api/v1/accounts", json=body, headers={"Idempotency-Key": "k-1"})
    again = await admin.post("/api/v1/accounts", json=body, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    other = await admin.post("/api/v1/accounts", json={**body, "name": "gate-2"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    without_key = await admin.post("/api/v1/accounts", json=body)
    assert without_key.status_code == 409
    assert "exists already" in without_key.json()["detail"]


async def test_validation_errors_name_every_invalid_field(runtime: Runtime, admin: httpx.AsyncClient) -> None:
    answer = await admin.put("/api/v1/vehicles/CAR-01/booking", json={"energy_needed_kwh": -1, "priority": 0})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "about:blank"
    assert problem["title"] == HTTPStatus.UNPROCESSABLE_ENTITY.phrase
    assert problem["status"] == 422
    assert sorted(e["field"] for e in problem["errors"]) == [
        "body.departure_at",
        "body.energy_needed_kwh",
        "body.priority",
    ]
    query = await admin.get("/api/v1/sessions", params={"limit": "many"})
    assert [e["field"] for e in query.json()["errors"]] == ["query.limit"]
