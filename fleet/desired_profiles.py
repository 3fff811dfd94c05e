"""Desired charging profiles, reconciled: what each charger should hold is sent again when it may
have lost it, without waiting for the plan to change.

The fail-safe TxDefaultProfile is reinstalled by the OCPP edge itself after every accepted boot and
reconnect. The TxProfiles dispatch decided are kept in the store (``Store.capabilities``), so they
survive a restart of the central system; this module sends them again:

* at once for a charger that booted (a reboot loses profiles on many chargers) or reconnected;
* on the next pass (every ``retry_interval_s``) for a profile the charger refused or did not answer,
  and for a fail-safe the charger did not accept.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fleet.clock import Clock
from fleet.dispatch import Dispatcher, ProfileSender, electrical_of
from fleet.persistence.store import Store
from fleet.site_config import SiteConfig
from fleet.stopping import being_stopped, stop_if_asked
from ocpp_server.profiles import failsafe_profile

log = logging.getLogger(__name__)

RETRY_INTERVAL_S = 60.0
"""Real seconds between two passes over the profiles a charger did not accept."""


@dataclass(frozen=True, slots=True)
class SyncBatch:
    reinstall: frozenset[str]
    """Chargers that booted or reconnected: every desired profile goes again."""
    failsafe: frozenset[str]
    """Chargers that did not accept their fail-safe profile."""


class ProfileSyncRequests:
    """Reasons to reconcile, raised by the ingest (any task) and consumed by the reconciler alone."""

    def __init__(self) -> None:
        self._reinstall: set[str] = set()
        self._failsafe: set[str] = set()
        self._event = asyncio.Event()

    def reinstall(self, charge_point_id: str) -> None:
        """The charger booted or reconnected: it may hold none of its profiles."""
        self._reinstall.add(charge_point_id)
        self._event.set()

    def failsafe_failed(self, charge_point_id: str) -> None:
        """The charger did not accept its fail-safe profile: send it again on the next pass."""
        self._failsafe.add(charge_point_id)

    async def wait(self, timeout_s: float) -> None:
        """Until a reinstall is asked for, or ``timeout_s`` [s] has passed."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._event.wait()
        except TimeoutError:
            pass

    def take(self) -> SyncBatch:
        batch = SyncBatch(frozenset(self._reinstall), frozenset(self._failsafe))
        self._reinstall.clear()
        self._failsafe.clear()
        self._event.clear()
        return batch


class ProfileReconciler:
    """Sends each charger what it should hold: right after a boot or reconnect, and again on failures.

    Parameters
    ----------
    site
        For the fail-safe limit and the chargers' electrical data.
    store
        The active transactions (a desired TxProfile of a finished one is not sent).
    dispatcher
        Holds the desired TxProfiles and sends them.
    sender
        Sends the fail-safe profile (the OCPP edge).
    requests
        What the ingest asked for.
    clock
        The site's clock (profiles end in site time).
    retry_interval_s
        Real seconds between two passes over failed profiles.
    """

    def __init__(
        self,
        site: SiteConfig,
        store: Store,
        dispatcher: Dispatcher,
        sender: ProfileSender,
        requests: ProfileSyncRequests,
        clock: Clock,
        *,
        retry_interval_s: float = RETRY_INTERVAL_S,
    ) -> None:
        self._site = site
        self._store = store
        self._dispatcher = dispatcher
        self._sender = sender
        self._requests = requests
        self._clock = clock
        self._retry_interval_s = retry_interval_s

    async def run(self) -> None:
        """Reconcile on every request and every ``retry_interval_s``, until cancelled."""
        while True:
            stop_if_asked()
            await self._requests.wait(self._retry_interval_s)
            try:
                await self.reconcile(self._requests.take())
            except Exception:
                if being_stopped():
                    raise
                # The next pass tries again; meanwhile the chargers hold the fail-safe at least.
                log.exception("reconciling charging profiles failed")

    async def reconcile(self, batch: SyncBatch) -> int:
        """One pass: the chargers in ``batch`` and every failed profile; how many profiles were sent."""
        now = self._clock.now()
        active = {(tx.charge_point_id, tx.connector_id, tx.id) for tx in await self._store.active_transactions()}
        sent = 0
        if batch.reinstall:
            outcomes = await self._dispatcher.reinstall(batch.reinstall, active, now)
            sent += len(outcomes)
            if outcomes:
                log.info("reinstalled %d TxProfiles on %s", len(outcomes), ", ".join(sorted(batch.reinstall)))
        sent += len(await self._dispatcher.reinstall(None, active, now))
        for charge_point_id in sorted(batch.failsafe):
            sent += await self._send_failsafe(charge_point_id)
        return sent

    async def _send_failsafe(self, charge_point_id: str) -> int:
        charger = self._site.charge_point(charge_point_id)
        if charger is None:
            return 0
        profile = failsafe_profile(self._site.planning.failsafe_limit_kw)
        # The edge reports a failure again, which brings the charger back into the next pass.
        await self._sender.set_charging_profile(charge_point_id, profile, electrical_of(charger))
        return 1
