"""Pulling a JetStream consumer until cancelled, through idle timeouts and broker outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError

log = logging.getLogger(__name__)

BROKER_RETRY_S = 1.0


async def fetch_until_cancelled(fetch: Callable[[], Awaitable[list[Msg]]], handle: Callable[[Msg], None]) -> None:
    """Hand every message ``fetch`` returns to ``handle``, until the task running this is cancelled.

    A fetch on an idle stream ends in a timeout, which is no reason to stop. A cancellation that
    reaches nats-py while its fetch times out, though, can come out as that timeout (its
    ``next_msg`` waits on a task of its own with ``asyncio.wait_for``): the task is then marked as
    cancelling but goes on. Such a loop never ended, and the controller's shutdown waited for it
    until it was killed. So a timeout in a cancelled task is the cancellation.
    """
    while True:
        try:
            messages = await fetch()
        except (NatsTimeoutError, TimeoutError):
            # nats-py ends a fetch on an idle stream with either, not only its own.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError from None
            continue
        except Exception as error:  # the broker is away: wait for the reconnect
            log.warning("bus: fetching events failed: %r", error)
            await asyncio.sleep(BROKER_RETRY_S)
            continue
        for message in messages:
            handle(message)
