"""The bus on the real NATS server at 127.0.0.1:4222 (JetStream on), one namespace per test.

Each test gets a namespace of its own, so tests (and deployments) sharing the server never see
each other's events; its stream and bucket are deleted afterwards.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import nats
import pytest
from nats.js.errors import NotFoundError

from fleet.bus.broker import BusSettings
from fleet.bus.subjects import Subjects

NATS_URL = "nats://127.0.0.1:4222"


@pytest.fixture
async def bus() -> AsyncIterator[BusSettings]:
    """Settings of a fresh namespace on the local NATS server; skips when there is none."""
    try:
        client = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception as error:
        pytest.skip(f"no NATS server on {NATS_URL}: {error!r}")
    subjects = Subjects(f"t{uuid.uuid4().hex[:12]}")
    try:
        yield BusSettings(url=NATS_URL, name="test", subjects=subjects, request_timeout_s=2.0)
    finally:
        js = client.jetstream()
        for delete in (js.delete_stream(subjects.event_stream), js.delete_key_value(subjects.state_bucket)):
            with contextlib.suppress(NotFoundError):
                await delete
        await client.close()
