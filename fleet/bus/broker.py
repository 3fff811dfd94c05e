"""Connecting to NATS, and the JetStream stream and bucket both roles rely on."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue

from fleet.bus.subjects import Subjects

log = logging.getLogger(__name__)

EVENT_RETENTION_S = 7 * 24 * 3600.0
"""How long events wait for a controller: a week of outage before the oldest are dropped."""


@dataclass(frozen=True, slots=True)
class BusSettings:
    url: str
    """``nats://host:4222``; ``tls://`` and ``nats://user:password@host`` work as NATS takes them."""
    name: str
    """This node's name in the broker's connection list."""
    subjects: Subjects = field(default_factory=Subjects)
    request_timeout_s: float = 10.0
    """How long a gateway waits for the controller's answer before the charger gets an error."""


async def connect(settings: BusSettings, client: Client | None = None) -> Client:
    """A connection that reconnects for ever: a broker restart must not end a node.

    ``client``, if given, is the (not yet connected) client to connect: parts built before the
    connection exists can hold it from the start.
    """
    client = client or Client()

    async def on_disconnect() -> None:
        log.warning("bus: disconnected from %s", settings.url)

    async def on_reconnect() -> None:
        log.info("bus: reconnected to %s", settings.url)

    async def on_error(error: Exception) -> None:
        log.warning("bus: %s", error)

    await client.connect(
        settings.url,
        name=settings.name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
    )
    return client


async def event_stream(js: JetStreamContext, subjects: Subjects) -> None:
    """The stream of charger events: on disk, each event kept until the controller acknowledges it."""
    config = api.StreamConfig(
        name=subjects.event_stream,
        subjects=[subjects.events],
        retention=api.RetentionPolicy.WORK_QUEUE,
        storage=api.StorageType.FILE,
        max_age=EVENT_RETENTION_S,
        duplicate_window=120.0,
    )
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        # Created by another node with other settings (an older version): keep it rather than fail.
        await js.update_stream(config)


async def state_bucket(js: JetStreamContext, subjects: Subjects) -> KeyValue:
    try:
        return await js.key_value(subjects.state_bucket)
    except BucketNotFoundError:
        return await js.create_key_value(api.KeyValueConfig(bucket=subjects.state_bucket, history=1))
