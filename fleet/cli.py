"""The ``vettabbia`` command: demo, serve, check-site, migrate, create-account."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from fleet.auth import AccountExistsError, AuthService, InvalidAccountError, Role
from fleet.auth.tokens import TokenCodec
from fleet.bus.broker import BusSettings
from fleet.bus.subjects import DEFAULT_NAMESPACE, Subjects, valid_token
from fleet.observability.logging_json import configure_logging
from fleet.persistence.access_records import AccountKind
from fleet.persistence.store import Store, migrate_database
from fleet.site_config import SiteConfig, SiteConfigError, load_site
from ocpp_server.tls import TlsSettings

if TYPE_CHECKING:
    from fleet.gateway_node import GatewayNode
    from fleet.runtime import Runtime

log = logging.getLogger("vettabbia")

DEMO_DATABASE = Path("vettabbia-demo.db")
SERVE_DATABASE = Path("vettabbia.db")
DEMO_START_LOCAL = time(5, 30)
TOKEN_KEY_VARIABLE = "VETTABBIA_TOKEN_KEY"
SECRET_VARIABLE = "VETTABBIA_ACCOUNT_SECRET"
BUS_URL_VARIABLE = "VETTABBIA_BUS_URL"
DEFAULT_BUS_URL = "nats://127.0.0.1:4222"
GATEWAY_ID_VARIABLE = "VETTABBIA_GATEWAY_ID"
BUS_NAMESPACE_VARIABLE = "VETTABBIA_BUS_NAMESPACE"


def async_database_url(url: str) -> str:
    """Accept the usual SQLAlchemy URLs and pick the async driver for them."""
    for plain, driver in (("sqlite://", "sqlite+aiosqlite://"), ("postgresql://", "postgresql+asyncpg://")):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _database_url(args: argparse.Namespace, default_file: Path) -> str:
    url = args.database_url or os.environ.get("VETTABBIA_DATABASE_URL") or f"sqlite:///{default_file}"
    return async_database_url(url)


def _demo_start(site: SiteConfig, given: str | None) -> datetime:
    if given:
        start = datetime.fromisoformat(given)
        if start.tzinfo is None:
            start = start.replace(tzinfo=ZoneInfo(site.site.location.timezone))
        return start.astimezone(UTC)
    # 05:30 on the site: vans are about to leave, and the day's PV and car-sharing traffic follow.
    tz = ZoneInfo(site.site.location.timezone)
    today = datetime.now(tz).date()
    return datetime.combine(today, DEMO_START_LOCAL, tzinfo=tz).astimezone(UTC)


def _health_and_logging(sub: argparse.ArgumentParser, served: str) -> None:
    sub.add_argument("--http-host", default="127.0.0.1", help=f"where the HTTP server listens ({served})")
    sub.add_argument("--http-port", type=int, default=8000)
    sub.add_argument(
        "--log-format",
        default="text",
        choices=["text", "json"],
        help="json: one JSON object per line, for log collectors (docs/observability.md)",
    )
    sub.add_argument(
        "--no-metrics", action="store_true", help="neither count nor serve Prometheus metrics at GET /metrics"
    )


def _bus(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--bus-url",
        help=f"the NATS server carrying events and commands (default: env {BUS_URL_VARIABLE}, else {DEFAULT_BUS_URL})",
    )

    sub.add_argument(
        "--bus-namespace",
        help=f"prefix of every subject, stream and bucket: deployments sharing a broker keep apart "
        f"(default: env {BUS_NAMESPACE_VARIABLE}, else {DEFAULT_NAMESPACE})",
    )


def _tls_options(sub: argparse.ArgumentParser) -> None:
    tls = sub.add_argument_group("OCPP over TLS (security profiles 2 and 3, see docs/security.md)")
    tls.add_argument("--ocpp-tls-port", type=int, help="port of the wss listener, next to the plain ws one")
    tls.add_argument("--ocpp-tls-cert", type=Path, help="the central system's certificate chain (PEM)")
    tls.add_argument("--ocpp-tls-key", type=Path, help="its private key (PEM, unencrypted)")
    tls.add_argument("--ocpp-ca-cert", type=Path, help="CA of the chargers' client certificates (PEM)")
    tls.add_argument("--ocpp-ca-key", type=Path, help="that CA's key: signs chargers' SignCertificate requests")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vettabbia", description=__doc__)
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--site", type=Path, help="site file (default: the bundled Milan Porta Romana site)")
        sub.add_argument("--database-url", help="SQLAlchemy URL (default: a SQLite file; env VETTABBIA_DATABASE_URL)")
        sub.add_argument("--ocpp-host", default="127.0.0.1")
        sub.add_argument("--ocpp-port", type=int, default=9000)
        _health_and_logging(sub, "API and operator page")
        _tls_options(sub)

    demo = commands.add_parser("demo", help="the site with 60 simulated charge points and 72 vehicles")
    common(demo)
    demo.add_argument("--speedup", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    demo.add_argument("--start", help="simulated start, ISO time (default: today 05:30 site time)")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--keep-data", action="store_true", help="keep the demo database of an earlier run")

    serve = commands.add_parser("serve", help="the central system and controller, for real chargers")
    common(serve)

    gateway = commands.add_parser(
        "gateway", help="an OCPP gateway node: holds chargers' websockets, talks to the controller over the bus"
    )
    gateway.add_argument(
        "--gateway-id", help="this node's name on the bus (default: env VETTABBIA_GATEWAY_ID, else the host name)"
    )
    gateway.add_argument("--ocpp-host", default="127.0.0.1")
    gateway.add_argument("--ocpp-port", type=int, default=9000)
    _health_and_logging(gateway, "liveness, readiness and metrics only")
    _bus(gateway)
    _tls_options(gateway)

    controller = commands.add_parser(
        "controller", help="state, forecasts, optimiser, API and page; the chargers are on gateway nodes"
    )
    controller.add_argument("--site", type=Path, help="site file (default: the bundled Milan Porta Romana site)")
    controller.add_argument(
        "--database-url", help="SQLAlchemy URL (default: a SQLite file; env VETTABBIA_DATABASE_URL)"
    )
    _health_and_logging(controller, "API, operator page, liveness, readiness and metrics")
    _bus(controller)
    controller.add_argument("--ocpp-ca-cert", type=Path, help="CA of the chargers' client certificates (PEM)")
    controller.add_argument("--ocpp-ca-key", type=Path, help="that CA's key: signs chargers' SignCertificate requests")
    simulated = controller.add_argument_group("the demo, with its simulated chargers connecting to the gateways")
    simulated.add_argument("--demo", action="store_true", help="simulate the Milan site's chargers and fleet")
    simulated.add_argument(
        "--charger-url",
        default="ws://127.0.0.1:9000",
        help="where the simulated chargers connect: the load balancer, or gateways' URLs separated by commas",
    )
    simulated.add_argument("--speedup", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    simulated.add_argument("--start", help="simulated start, ISO time (default: today 05:30 site time)")
    simulated.add_argument("--seed", type=int, default=1)

    check = commands.add_parser("check-site", help="validate a site file and print what it holds")
    check.add_argument("site", type=Path, nargs="?")

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--database-url")

    charger_log = commands.add_parser(
        "charger-log", help="what chargers reported (firmware, diagnostics, security events) and problems flagged"
    )
    charger_log.add_argument("charge_point", nargs="?", help="one charge point id (default: all)")
    charger_log.add_argument("--flagged", action="store_true", help="only the lines flagged for the operator")
    charger_log.add_argument("--limit", type=int, default=50, help="newest lines shown (default 50)")
    charger_log.add_argument("--database-url")

    account = commands.add_parser(
        "create-account",
        help="create an API account (the first administrator, say); the secret is asked for, "
        f"or read from {SECRET_VARIABLE}",
    )
    account.add_argument("name")
    account.add_argument("--role", required=True, choices=[str(r) for r in Role])
    account.add_argument("--fleet", help="the fleet a fleet manager is limited to")
    account.add_argument("--client", action="store_true", help="a machine account (client-credentials flow)")
    account.add_argument("--database-url")
    return parser


def _load_site_or_exit(path: Path | None) -> SiteConfig:
    try:
        return load_site(path)
    except SiteConfigError as exc:
        print(f"vettabbia: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _summary(site: SiteConfig) -> str:
    kinds = {kind: sum(1 for c in site.charge_points if c.kind == kind) for kind in ("AC", "DC")}
    classes = {k: sum(1 for v in site.vehicles if v.vehicle_class == k) for k in ("car", "van")}
    return (
        f"{site.site.name}: {len(site.charge_points)} charge points ({kinds['DC']} DC, {kinds['AC']} AC), "
        f"{classes['car']} cars, {classes['van']} vans, grid limit {site.site.grid.import_limit_kw:g} kW, "
        f"PV {sum(a.peak_power_kwp for a in site.site.pv_arrays):g} kWp"
    )


def _tls_settings(args: argparse.Namespace) -> TlsSettings | None:
    """The wss listener's settings; exits with a message when they are incomplete."""
    given = [args.ocpp_tls_cert, args.ocpp_tls_key, args.ocpp_ca_cert, args.ocpp_ca_key]
    if args.ocpp_tls_port is None:
        if any(path is not None for path in given):
            raise SystemExit("vettabbia: the TLS files need --ocpp-tls-port")
        return None
    if args.ocpp_tls_cert is None or args.ocpp_tls_key is None:
        raise SystemExit("vettabbia: --ocpp-tls-port needs --ocpp-tls-cert and --ocpp-tls-key")
    if args.ocpp_ca_key is not None and args.ocpp_ca_cert is None:
        raise SystemExit("vettabbia: --ocpp-ca-key needs --ocpp-ca-cert")
    return TlsSettings(
        port=args.ocpp_tls_port,
        cert_path=args.ocpp_tls_cert,
        key_path=args.ocpp_tls_key,
        ca_cert_path=args.ocpp_ca_cert,
        ca_key_path=args.ocpp_ca_key,
    )


def _serve(runtime: Runtime | GatewayNode) -> int:
    """Run until stopped; a port that cannot be bound (taken, not allowed) is one line and exit code 1,
    not the task group's traceback."""
    try:
        asyncio.run(_run(runtime))
    except OSError as error:
        print(f"vettabbia: cannot serve: {error}", file=sys.stderr)
        return 1
    except ExceptionGroup as group:
        bind_errors, others = group.split(OSError)
        if bind_errors is None or others is not None:
            raise
        for leaf in _leaves(bind_errors):
            print(f"vettabbia: cannot serve: {leaf}", file=sys.stderr)
        return 1
    return 0


def _leaves(group: BaseExceptionGroup[OSError]) -> list[BaseException]:
    leaves: list[BaseException] = []
    for error in group.exceptions:
        leaves.extend(_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    return leaves


async def _run(runtime: Runtime | GatewayNode) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runtime.stop)
    await runtime.run()


async def _print_charger_log(url: str, args: argparse.Namespace) -> None:
    store = Store.from_url(url)
    try:
        await store.migrate()
        lines = await store.charger_log(charge_point_id=args.charge_point, flagged_only=args.flagged, limit=args.limit)
    finally:
        await store.close()
    for line in reversed(lines):  # oldest first, as a log reads
        flag = "!" if line.flagged else " "
        request = f" request {line.request_id}" if line.request_id is not None else ""
        detail = f": {line.detail}" if line.detail else ""
        print(f"{line.at.isoformat()} {flag} {line.charge_point_id} {line.kind} {line.status}{request}{detail}")


def _token_key() -> bytes | None:
    """The token signing key shared by restarts and by every node, from the environment."""
    value = os.environ.get(TOKEN_KEY_VARIABLE)
    return value.encode("utf-8") if value else None


def _account_secret() -> str:
    if os.environ.get(SECRET_VARIABLE):
        return os.environ[SECRET_VARIABLE]
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("secret: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("vettabbia: the two secrets differ")
    return first


async def _create_account(url: str, args: argparse.Namespace, secret: str) -> None:
    store = Store.from_url(url)
    try:
        await store.migrate()
        # Creating an account signs nothing: any key will do for the service.
        auth = AuthService(store.access, TokenCodec(os.urandom(32)), lambda: datetime.now(UTC))
        kind = AccountKind.CLIENT if args.client else AccountKind.USER
        await auth.create_account(args.name, kind, Role(args.role), args.fleet, secret)
    finally:
        await store.close()


def _bus_settings(args: argparse.Namespace, name: str) -> BusSettings:
    url = args.bus_url or os.environ.get(BUS_URL_VARIABLE) or DEFAULT_BUS_URL
    namespace = args.bus_namespace or os.environ.get(BUS_NAMESPACE_VARIABLE) or DEFAULT_NAMESPACE
    try:
        subjects = Subjects(namespace)
    except ValueError as error:
        raise SystemExit(f"vettabbia: {error}") from None
    return BusSettings(url=url, name=name, subjects=subjects)


def _gateway_id(args: argparse.Namespace) -> str:
    given = args.gateway_id or os.environ.get(GATEWAY_ID_VARIABLE)
    if given:
        if not valid_token(given):
            raise SystemExit(f"vettabbia: gateway id {given!r}: no dots, spaces or wildcards")
        return str(given)
    # A host name may hold dots, which NATS reads as subject separators.
    return re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname()) or "gateway"


def _run_gateway(args: argparse.Namespace) -> int:
    # Imported here, as the controller's runtime is below: a command imports only what it runs, so
    # that a gateway or ``check-site`` starts without the optimiser, forecasts and API.
    from fleet.gateway_node import GatewayNode, GatewaySettings

    if args.ocpp_ca_key is not None:
        raise SystemExit("vettabbia: the CA key belongs to the controller, which signs certificates, not to a gateway")
    gateway_id = _gateway_id(args)
    settings = GatewaySettings(
        gateway_id=gateway_id,
        bus=_bus_settings(args, f"gateway {gateway_id}"),
        ocpp_host=args.ocpp_host,
        ocpp_port=args.ocpp_port,
        http_host=args.http_host,
        http_port=args.http_port,
        ocpp_tls=_tls_settings(args),
        metrics=not args.no_metrics,
    )
    try:
        node = GatewayNode(settings)
    except (OSError, ValueError) as error:
        print(f"vettabbia: cannot start: {error}", file=sys.stderr)
        return 2
    return _serve(node)


def _run_controller(site: SiteConfig, args: argparse.Namespace) -> int:
    from fleet.runtime import RunSettings, Runtime

    if args.ocpp_ca_key is not None and args.ocpp_ca_cert is None:
        raise SystemExit("vettabbia: --ocpp-ca-key needs --ocpp-ca-cert")
    signing = None if args.ocpp_ca_key is None else (args.ocpp_ca_cert, args.ocpp_ca_key)
    settings = RunSettings(
        database_url=_database_url(args, SERVE_DATABASE),
        http_host=args.http_host,
        http_port=args.http_port,
        simulate=args.demo,
        speedup=args.speedup if args.demo else 1.0,
        start_utc=_demo_start(site, args.start) if args.demo else None,
        seed=args.seed,
        token_key=_token_key(),
        signing_ca=signing,
        metrics=not args.no_metrics,
        bus=_bus_settings(args, "controller"),
        charger_urls=tuple(url.strip() for url in args.charger_url.split(",") if url.strip()) if args.demo else (),
    )
    log.info("%s", _summary(site))
    try:
        runtime = Runtime(site, settings)
    except (OSError, ValueError) as error:
        print(f"vettabbia: cannot start: {error}", file=sys.stderr)
        return 2
    return _serve(runtime)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, getattr(args, "log_format", "text"))
    # One line per websocket opened or closed drowns everything else at a site of this size.
    logging.getLogger("websockets").setLevel(max(logging.WARNING, logging.getLogger().level))
    if args.command == "check-site":
        print(_summary(_load_site_or_exit(args.site)))
        return 0
    if args.command == "migrate":
        asyncio.run(migrate_database(_database_url(args, SERVE_DATABASE)))
        return 0
    if args.command == "charger-log":
        if args.limit < 1:
            print("vettabbia: --limit must be at least 1", file=sys.stderr)
            return 2
        asyncio.run(_print_charger_log(_database_url(args, SERVE_DATABASE), args))
        return 0
    if args.command == "create-account":
        try:
            asyncio.run(_create_account(_database_url(args, SERVE_DATABASE), args, _account_secret()))
        except (AccountExistsError, InvalidAccountError) as error:
            print(f"vettabbia: {error}", file=sys.stderr)
            return 2
        print(f"created {args.role} account {args.name!r}" + (f" of fleet {args.fleet!r}" if args.fleet else ""))
        return 0
    if args.command == "gateway":
        return _run_gateway(args)
    site = _load_site_or_exit(args.site)
    if args.command == "controller":
        return _run_controller(site, args)
    return _run_central_system(site, args)


def _run_central_system(site: SiteConfig, args: argparse.Namespace) -> int:
    """``demo`` and ``serve``: the OCPP server, controller, API and page in one process."""
    from fleet.runtime import RunSettings, Runtime

    simulate = args.command == "demo"
    if simulate and not args.database_url and not args.keep_data:
        # Each demo is a fresh simulated day; an earlier run's open sessions would never end.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    settings = RunSettings(
        database_url=_database_url(args, DEMO_DATABASE if simulate else SERVE_DATABASE),
        ocpp_host=args.ocpp_host,
        ocpp_port=args.ocpp_port,
        http_host=args.http_host,
        http_port=args.http_port,
        simulate=simulate,
        speedup=args.speedup if simulate else 1.0,
        start_utc=_demo_start(site, args.start) if simulate else None,
        seed=args.seed if simulate else 1,
        token_key=_token_key(),
        ocpp_tls=_tls_settings(args),
        metrics=not args.no_metrics,
    )
    log.info("%s", _summary(site))
    if simulate:
        log.info("simulated time starts %s, %gx real time", settings.start_utc, settings.speedup)
    try:
        runtime = Runtime(site, settings)
    except (OSError, ValueError) as error:
        # Unreadable or mismatched TLS files (ssl.SSLError is an OSError), for one, end here with their reason.
        print(f"vettabbia: cannot start: {error}", file=sys.stderr)
        return 2
    return _serve(runtime)


if __name__ == "__main__":
    raise SystemExit(main())
