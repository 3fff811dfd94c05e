"""The id-tag store through the API: administrators write, operators read, tags compare case-insensitively."""

from __future__ import annotations

import httpx

BLOCKED_CARD = {"id_tag": "Lost-Card", "status": "Blocked", "fleet": "e-logistics", "description": "reported lost"}


async def test_an_administrator_creates_reads_changes_and_deletes_a_tag(admin: httpx.AsyncClient) -> None:
    created = await admin.post(
        "/api/v1/id-tags",
        json={"id_tag": "Driver-7", "expiry_date": "2030-01-01T01:00:00+01:00", "parent_id_tag": "DEPOT-A"},
    )
    read = await admin.get("/api/v1/id-tags/DRIVER-7")
    changed = await admin.patch("/api/v1/id-tags/driver-7", json={"status": "Blocked", "expiry_date": None})
    deleted = await admin.delete("/api/v1/id-tags/driver-7")
    gone = await admin.get("/api/v1/id-tags/driver-7")

    assert created.status_code == 201, created.text
    assert read.json() == {
        "id_tag": "Driver-7",
        "status": "Accepted",
        "expiry_date": "2030-01-01T00:00:00Z",
        "parent_id_tag": "DEPOT-A",
        "fleet": None,
        "description": None,
    }
    assert changed.status_code == 200, changed.text
    assert (changed.json()["status"], changed.json()["expiry_date"], changed.json()["parent_id_tag"]) == (
        "Blocked",
        None,
        "DEPOT-A",
    )
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


async def test_the_same_tag_in_another_letter_case_is_a_conflict(admin: httpx.AsyncClient) -> None:
    await admin.post("/api/v1/id-tags", json=BLOCKED_CARD)

    again = await admin.post("/api/v1/id-tags", json={"id_tag": "LOST-CARD"})

    assert again.status_code == 409
    assert "exists already" in again.json()["detail"]


async def test_the_list_filters_by_status_and_pages(admin: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    for id_tag, status in [("c", "Accepted"), ("B", "Blocked"), ("a", "Accepted"), ("D", "Expired")]:
        assert (await admin.post("/api/v1/id-tags", json={"id_tag": id_tag, "status": status})).status_code == 201

    everything = await api.get("/api/v1/id-tags")
    accepted = await api.get("/api/v1/id-tags", params={"status": "Accepted"})
    page = await api.get("/api/v1/id-tags", params={"limit": 2, "offset": 1})
    unknown_status = await api.get("/api/v1/id-tags", params={"status": "ConcurrentTx"})

    assert [t["id_tag"] for t in everything.json()] == ["a", "B", "c", "D"]
    assert [t["id_tag"] for t in accepted.json()] == ["a", "c"]
    assert [t["id_tag"] for t in page.json()] == ["B", "c"]
    assert unknown_status.status_code == 422


async def test_operators_read_but_do_not_write(admin: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    await admin.post("/api/v1/id-tags", json=BLOCKED_CARD)

    read = await api.get("/api/v1/id-tags/lost-card")
    written = await api.patch("/api/v1/id-tags/lost-card", json={"status": "Accepted"})

    assert read.json()["status"] == "Blocked"
    assert written.status_code == 403
    assert (await admin.get("/api/v1/id-tags/lost-card")).json()["status"] == "Blocked"


async def test_what_ocpp_cannot_carry_is_refused_field_by_field(admin: httpx.AsyncClient) -> None:
    answer = await admin.post(
        "/api/v1/id-tags",
        json={"id_tag": "x" * 21, "status": "ConcurrentTx", "expiry_date": "2030-01-01T00:00:00"},
    )
    null_status = await admin.patch("/api/v1/id-tags/x", json={"status": None})

    assert answer.status_code == 422
    assert sorted(e["field"] for e in answer.json()["errors"]) == ["body.expiry_date", "body.id_tag", "body.status"]
    assert null_status.status_code == 422


async def test_creation_honours_idempotency_keys_and_is_audited(admin: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "tag-1"}
    first = await admin.post("/api/v1/id-tags", json=BLOCKED_CARD, headers=headers)
    replayed = await admin.post("/api/v1/id-tags", json=BLOCKED_CARD, headers=headers)
    audit = (await admin.get("/api/v1/audit", params={"limit": 100})).json()

    assert (first.status_code, replayed.status_code) == (201, 201)
    assert replayed.headers["idempotency-replayed"] == "true"
    assert [(e["method"], e["status_code"], e["payload"]) for e in audit if e["path"] == "/api/v1/id-tags"] == [
        ("POST", 201, BLOCKED_CARD),
        ("POST", 201, BLOCKED_CARD),
    ]
