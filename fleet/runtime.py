"""The composition root: builds every part from the settings and runs them under one TaskGroup."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import uvicorn

from fleet.api.app import create_app
from fleet.api.context import ApiContext
from fleet.auth import AuthService
from fleet.auth.demo_accounts import demo_accounts_text, ensure_demo_accounts
from fleet.auth.secrets_hashing import SecretHasher
from fleet.auth.tokens import TokenCodec
from fleet.bus.broker import BusSettings
from fleet.bus.controller_link import ControllerLink
from fleet.certificate_signing import SiteCertificateSigner
from fleet.charger_security import ChargerSecurity
from fleet.chargers import Chargers, LocalChargers
from fleet.clock import Clock, SystemClock
from fleet.control_loop import ControlLoop
from fleet.demo_history import HISTORY_DAYS, demo_meter, generate_demo_world, store_history
from fleet.desired_profiles import ProfileReconciler, ProfileSyncRequests
from fleet.dispatch import Dispatcher
from fleet.http_serving import HTTP_GRACEFUL_SHUTDOWN_S, SHUTDOWN_STEP_S, QuietServer
from fleet.ingest import ChargerIngest
from fleet.observability.metrics import FleetMetrics
from fleet.observability.readiness import ReadinessCheck
from fleet.over_limit import OverLimitMonitor
from fleet.persistence.records import VehicleClass, VehicleRecord
from fleet.persistence.store import Store
from fleet.simulation import build_simulator
from fleet.site_config import SiteConfig
from fleet.site_meter import NoSiteMeter, SiteMeter
from fleet.site_monitor import SiteMonitor
from fleet.triggers import PlanTriggers
from fleet.yard import Yard
from ocpp_server.central_system import CentralSystem
from ocpp_server.certificate_authority import CertificateAuthority
from ocpp_server.simulator.clock import ScaledClock
from ocpp_server.simulator.site import SiteSimulator
from ocpp_server.tls import TlsSettings, server_ssl_context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunSettings:
    database_url: str
    ocpp_host: str = "127.0.0.1"
    ocpp_port: int = 9000
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    simulate: bool = False
    speedup: float = 60.0
    start_utc: datetime | None = None
    """Simulated start time; None starts at the current time."""
    seed: int = 1
    log_level: str = "info"
    token_key: bytes | None = None
    """Key signing the API's bearer tokens (>= 32 bytes); None draws one, so tokens end with the process."""
    token_lifetime_s: float = 3600.0
    ocpp_call_timeout_s: float = 30.0
    """How long [s] a charger has to answer a command."""
    ocpp_tls: TlsSettings | None = None
    """The wss listener for security profiles 2 and 3 (docs/security.md); None serves plain ws only."""
    metrics: bool = True
    """Count and serve Prometheus metrics at ``GET /metrics`` (docs/observability.md)."""
    signing_ca: tuple[Path, Path] | None = None
    """The CA certificate and key that sign chargers' certificates where no TLS listener runs in this
    process (the controller role); with ``ocpp_tls`` its CA files do."""
    bus: BusSettings | None = None
    """The controller role: chargers are held by gateway nodes reached over this broker
    (docs/scale-out.md); None runs the OCPP server in this process."""
    charger_urls: tuple[str, ...] = ()
    """Where the demo's simulated chargers connect, spread over them in turn; none: this process's own
    OCPP listener."""


def vehicle_records(site: SiteConfig) -> list[VehicleRecord]:
    return [
        VehicleRecord(
            id=v.id,
            fleet=v.fleet,
            vehicle_class=VehicleClass(v.vehicle_class),
            name=v.name,
            id_tag=v.id_tag,
            battery_kwh=v.battery_kwh,
            max_ac_kw=v.max_ac_kw,
            max_dc_kw=v.max_dc_kw,
        )
        for v in site.vehicles
    ]


class Runtime:
    """Everything one process runs: OCPP server, API and page, control loop, monitor, simulator."""

    def __init__(
        self,
        site: SiteConfig,
        settings: RunSettings,
        *,
        secret_hasher: SecretHasher | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``clock`` is the site's time (planning, bookings, the page); by default the system's, or
        the simulation's when ``settings.simulate``. Credentials and tokens always use the system's."""
        self.site = site
        self.settings = settings
        self._secret_hasher = secret_hasher
        self.clock: Clock
        if clock is not None:
            self.clock = clock
        elif settings.simulate:
            start = settings.start_utc or SystemClock().now()
            self.clock = ScaledClock(start_utc=start, speedup=settings.speedup)
        else:
            self.clock = SystemClock()
        self.store = Store.from_url(settings.database_url)
        self.meter: SiteMeter = NoSiteMeter()
        self.dispatcher: Dispatcher
        self.control_loop: ControlLoop
        self._build()
        self.simulator: SiteSimulator | None = None
        self.ready = asyncio.Event()

    def _build(self) -> None:
        self._stop = asyncio.Event()
        self.triggers = triggers = PlanTriggers()
        self.yard = Yard()
        wall_clock = SystemClock()
        hasher = self._secret_hasher or SecretHasher()
        self.charger_security = ChargerSecurity(self.site, self.store.charger_security, hasher, wall_clock.now)
        tls = self.settings.ocpp_tls
        self._tls_context = None if tls is None else server_ssl_context(tls)
        authority = None
        if tls is not None and tls.ca_cert_path is not None and tls.ca_key_path is not None:
            authority = CertificateAuthority.from_files(tls.ca_cert_path, tls.ca_key_path)
        elif self.settings.signing_ca is not None:
            authority = CertificateAuthority.from_files(*self.settings.signing_ca)
        profile_sync = ProfileSyncRequests()
        self._profile_sync = profile_sync
        self.metrics = FleetMetrics() if self.settings.metrics else None
        ingest = ChargerIngest(
            self.site,
            self.store,
            triggers,
            self.yard,
            clock=self.clock,
            security=self.charger_security,
            profile_sync=profile_sync,
        )
        signer = SiteCertificateSigner(self.site, authority, self.store.charger_security, wall_clock.now)
        self._ingest = ingest
        self._signer = signer
        self.link: ControllerLink | None = None
        self.central: CentralSystem
        self.chargers: Chargers
        if self.settings.bus is None:
            self.central = CentralSystem(
                ingest,
                self.clock.now,
                call_timeout_s=self.settings.ocpp_call_timeout_s,
                certificates=signer,
                metrics=None if self.metrics is None else self.metrics.edge,
            )
            self.chargers = LocalChargers(self.central)
        else:
            self.link = ControllerLink(
                self.settings.bus, call_timeout_s=self.settings.ocpp_call_timeout_s, metrics=self.metrics
            )
            self.chargers = self.link.chargers
        self.dispatcher = Dispatcher(self.site, self.chargers, self.store.capabilities, metrics=self.metrics)
        self.reconciler = ProfileReconciler(
            self.site, self.store, self.dispatcher, self.chargers, profile_sync, self.clock
        )
        self.control_loop = ControlLoop(
            self.site, self.store, self.dispatcher, self.clock, triggers, yard=self.yard, metrics=self.metrics
        )
        link = self.link
        self.readiness = ReadinessCheck(
            self.store.ping,
            None if link is not None else lambda: self.central.listening_port() is not None,
            lambda: self.control_loop.started or self.control_loop.latest is not None,
            self.metrics,
            bus_connected=None if link is None else link.connected,
        )
        self.auth = AuthService(
            self.store.access,
            TokenCodec(self.settings.token_key or secrets.token_bytes(32)),
            wall_clock.now,
            token_lifetime=timedelta(seconds=self.settings.token_lifetime_s),
            hasher=hasher,
        )
        ctx = ApiContext(
            self.site,
            self.store,
            self.clock,
            self.control_loop,
            self.chargers.connected_ids,
            self.yard,
            self.auth,
            self.chargers,
            wall_clock,
            charger_security=self.charger_security,
            recent_frames=self.chargers.recent_frames,
            stopping=self._stop,
            readiness=self.readiness,
            metrics=self.metrics,
        )
        self.app = create_app(ctx)

    @property
    def ocpp_url(self) -> str:
        return f"ws://{self.settings.ocpp_host}:{self.settings.ocpp_port}"

    @property
    def ocpp_tls_url(self) -> str | None:
        tls = self.settings.ocpp_tls
        return None if tls is None else f"wss://{self.settings.ocpp_host}:{tls.port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.settings.http_host}:{self.settings.http_port}"

    def stop(self) -> None:
        self._stop.set()

    async def _prepare(self) -> None:
        await self.store.migrate()
        now = self.clock.now()
        if self.link is None:
            # Only this process held chargers, and it did not run: none is connected. Gateway
            # nodes, though, kept theirs (see ControllerLink.run).
            await self.store.mark_all_disconnected(now)
        added = await self.store.add_site_file_vehicles(vehicle_records(self.site))
        if added:
            log.info("added %d vehicles from the site file", len(added))
        if self.settings.simulate:
            # Generating a month of the site takes a few seconds of CPU: keep the event loop free.
            world = await asyncio.to_thread(generate_demo_world, self.site, now, self.settings.seed)
            if not await self.store.finished_transactions(now - timedelta(days=HISTORY_DAYS)):
                stored = await store_history(self.store, self.site, world, now)
                log.info("stored %d days of generated site history (%d sessions)", HISTORY_DAYS, stored)
            self.meter = demo_meter(world)
            await ensure_demo_accounts(self.auth)
            log.info("demo accounts (token endpoint %s/api/v1/auth/token):\n%s", self.http_url, demo_accounts_text())
        elif not await self.store.access.list_accounts():
            log.warning("no API accounts yet: create the first with `vettabbia create-account NAME --role admin`")
        if self.settings.token_key is None and not self.settings.simulate:
            log.warning("no token key given (VETTABBIA_TOKEN_KEY): bearer tokens end with this process")

    async def run(self) -> None:
        await self._prepare()
        http = QuietServer(
            uvicorn.Config(
                self.app,
                host=self.settings.http_host,
                port=self.settings.http_port,
                log_level="warning",
                lifespan="off",
                # Event streams (GET /api/v1/events) never end by themselves: close them after this
                # rather than wait for every page to go away.
                timeout_graceful_shutdown=HTTP_GRACEFUL_SHUTDOWN_S,
            )
        )
        try:
            async with asyncio.TaskGroup() as group:
                background = await self._start_chargers(group)
                http_task = group.create_task(http.serve())
                while not http.started:
                    if http_task.done():
                        raise RuntimeError(f"HTTP server could not start on {self.http_url}")
                    await asyncio.sleep(0.02)
                background.append(group.create_task(self.control_loop.run()))
                background.append(group.create_task(self.reconciler.run()))
                over_limit = OverLimitMonitor(
                    self.store, self.clock, self.dispatcher.installed, self.site.planning.failsafe_limit_kw
                )
                background.append(group.create_task(over_limit.run()))
                monitor = SiteMonitor(self.store, self.clock, self.meter)
                background.append(group.create_task(monitor.run()))
                if self.settings.simulate:
                    self.simulator = build_simulator(
                        self.site,
                        self.settings.charger_urls or self.ocpp_url,
                        self.clock,
                        self.store,
                        self.triggers,
                        self.yard,
                        self.settings.seed,
                    )
                    background.append(group.create_task(self.simulator.run()))
                if self.link is None:
                    log.info("OCPP on %s/{chargePointId}, API and operator page on %s", self.ocpp_url, self.http_url)
                else:
                    log.info(
                        "controller: gateways over %s, API and operator page on %s",
                        self.link.settings.url,
                        self.http_url,
                    )
                self.ready.set()
                stop_task = group.create_task(self._stop.wait())
                await asyncio.wait([stop_task, http_task, *background], return_when=asyncio.FIRST_COMPLETED)
                log.info("stopping")
                # One at a time, newest first: the simulated chargers close their sockets before the
                # OCPP server goes (else they reconnect into a server that is shutting down), and the
                # control loop finishes with the store before the store closes.
                for task in reversed(background):
                    task.cancel()
                    await asyncio.wait([task], timeout=SHUTDOWN_STEP_S)
                http.should_exit = True
                stop_task.cancel()
        finally:
            await self.store.close()

    async def _start_chargers(self, group: asyncio.TaskGroup) -> list[asyncio.Task[None]]:
        """The OCPP listeners of this process, or the link to the gateways; returns once they serve."""
        if self.link is not None:
            linked = asyncio.Event()
            task = group.create_task(
                self.link.run(
                    self._ingest,
                    self._signer,
                    self.clock,
                    self.settings.speedup if self.settings.simulate else 1.0,
                    self._stored_connected,
                    linked,
                    # After a restart of the controller, chargers that stayed connected get their
                    # desired profiles again, as chargers that reconnect do.
                    self._profile_sync.reinstall,
                )
            )
            await _started(task, linked, "the link to the gateways")
            return [task]
        ocpp_ready = asyncio.Event()
        tasks = [
            group.create_task(self.central.serve(self.settings.ocpp_host, self.settings.ocpp_port, ready=ocpp_ready))
        ]
        await _started(tasks[0], ocpp_ready, "the OCPP listener")
        if self._tls_context is not None and self.settings.ocpp_tls is not None:
            tls_ready = asyncio.Event()
            tasks.append(
                group.create_task(
                    self.central.serve(
                        self.settings.ocpp_host, self.settings.ocpp_tls.port, ready=tls_ready, tls=self._tls_context
                    )
                )
            )
            await _started(tasks[-1], tls_ready, "the OCPP TLS listener")
            log.info("OCPP over TLS on %s/{chargePointId}", self.ocpp_tls_url)
        return tasks

    async def _stored_connected(self) -> list[str]:
        return [record.id for record in await self.store.list_charge_points() if record.connected]


async def _started(task: asyncio.Task[None], ready: asyncio.Event, what: str) -> None:
    """Wait for ``ready``; a task that ends first failed to start, and says why."""
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        waiting.cancel()
        error = task.exception() if not task.cancelled() else None
        raise RuntimeError(f"{what} could not start") from error


def default_database_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"
