"""The OCPP central system (1.6J and 2.0.1): a websocket server on ws://host:port/{chargePointId}.

Connection life cycle, in the order a charger meets it:

1. The handshake is refused with HTTP 400 when the path carries no charge point id.
2. The subprotocol is the first of the charger's offered list (its order of preference) that the
   system speaks: ``ocpp1.6`` or ``ocpp2.0.1``. A charger offering neither gets the handshake
   completed without one and is closed at once with 1002 (protocol error): OCPP-J asks a central
   system that agrees to none of the offered subprotocols to complete the handshake without one and
   close immediately.
3. The application is asked (``ChargerEventSink.charger_connected``), told what the charger
   presented (HTTP Basic credentials, TLS, a verified client certificate: OCPP 1.6 security
   profiles 1-3, see ``security``). A refusal is HTTP 404 (Not Found), OCPP-J's answer to an
   unknown charge point identity; 401 with ``WWW-Authenticate: Basic`` for missing or wrong
   credentials; 403 for a connection below the charger's security profile. The application may instead admit
   an unknown charger as pending (auto-registration): its requests are then screened as for a
   Pending boot. A previous connection of the same
   charger is closed (1000, "replaced") and reports no disconnect: the charger is still connected.
4. While open, frames are served by ``ChargePointV16`` or ``ChargePointV201``, by the subprotocol;
   both publish the same events, so the application cannot tell the versions apart. A charger the
   application already knows
   (``ConnectionDecision.resume``) has its capabilities read and gets its fail-safe profile straight
   away, since a reconnect need not bring a new BootNotification.
5. On close the application hears ``charger_disconnected``.

The same server may listen twice: plain ws and, with an SSL context (``tls``), wss on a port of
its own; a charger is one charger whichever it comes through.

Keepalive pings are kept, at a long interval (OCPP has its own Heartbeat, and at thousands of
connections frequent pings cost more than the OCPP traffic). Compression is off: chargers rarely
negotiate it and it costs a zlib context per connection.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from ocpp_server.capabilities import ChargerCapabilities
from ocpp_server.commands import (
    CommandResult,
    CommandStatus,
    ConnectorElectrical,
    PowerLimitProfile,
    ProfilePurpose,
)
from ocpp_server.device_model import DeviceModel
from ocpp_server.events import ChargerConnected, ChargerDisconnected, OcppVersion
from ocpp_server.handlers_v16 import ChargePointV16
from ocpp_server.handlers_v21 import ChargePointV21
from ocpp_server.handlers_v201 import ChargePointV201
from ocpp_server.json_codec import ORJSON, JsonCodec
from ocpp_server.log_context import CHARGE_POINT_ID
from ocpp_server.message_trace import MessageTrace, TracedFrame
from ocpp_server.metrics import EdgeMetrics, NoEdgeMetrics, OutboundOutcome, outcome_of_status
from ocpp_server.outbound_v16 import OutboundCalls
from ocpp_server.ports import CertificateSigner, ChargerEventSink, Refusal
from ocpp_server.profiles import to_ocpp16_charging_profile
from ocpp_server.raw_calls import (
    V16_ACTIONS,
    V201_ACTIONS,
    CentralSystemAction,
    RawCallAnswer,
    RawCallOutcome,
    send_raw_call,
)
from ocpp_server.schemas import OCPP_16, OCPP_21, OCPP_201, CompiledSchemas, PayloadSchemas
from ocpp_server.security import presented_credentials
from ocpp_server.sessions import KeyedLocks, OwnedTasks, Session
from ocpp_server.timestamps import require_utc

LOGGER = logging.getLogger(__name__)

SUBPROTOCOL = Subprotocol("ocpp1.6")
SUBPROTOCOL_V201 = Subprotocol("ocpp2.0.1")
SUBPROTOCOL_V21 = Subprotocol("ocpp2.1")
VERSION_OF_SUBPROTOCOL = {
    SUBPROTOCOL: OcppVersion.V16,
    SUBPROTOCOL_V201: OcppVersion.V201,
    SUBPROTOCOL_V21: OcppVersion.V21,
}

ChargePoint = ChargePointV16 | ChargePointV201


def charge_point_id_from_path(path: str) -> str:
    """The charge point id: the last segment of the request path, URL-decoded.

    Raises
    ------
    ValueError
        If the last segment is empty.
    """
    charge_point_id = unquote(urlsplit(path).path.rsplit("/", 1)[-1])
    if not charge_point_id:
        raise ValueError(f"no charge point id in {path!r}: connect to ws://host:port/<chargePointId>")
    return charge_point_id


class CentralSystem:
    """OCPP 1.6J central system: publishes charger events to ``sink`` and sends commands."""

    def __init__(
        self,
        sink: ChargerEventSink,
        now: Callable[[], datetime],
        *,
        call_timeout_s: float = 30.0,
        max_concurrent_calls: int = 32,
        ping_interval_s: float | None = 60.0,
        max_plausible_power_kw: float = 1000.0,
        schemas: PayloadSchemas | None = None,
        schemas_v201: PayloadSchemas | None = None,
        json_codec: JsonCodec = ORJSON,
        certificates: CertificateSigner | None = None,
        capabilities_timeout_s: float = 10.0,
        frames_traced_per_charger: int = 20,
        metrics: EdgeMetrics | None = None,
    ) -> None:
        """
        Parameters
        ----------
        sink
            The application: told about every event, decides on connections, boots, transactions.
        now
            Clock returning tz-aware datetimes.
        call_timeout_s
            How long [s] a charger has to answer a command.
        max_concurrent_calls
            Commands in flight at once across all chargers.
        ping_interval_s
            Websocket keepalive interval [s]; None disables pings.
        max_plausible_power_kw
            Bound [kW] on power samples of a charger whose connectors the application has not
            described yet.
        schemas
            Checks every CALL payload and every CALLRESULT against the OCPP 1.6 schemas; compiled
            validators (``CompiledSchemas``) unless given (``LibrarySchemas`` is the ``ocpp``
            library's own, slower path, kept for comparison).
        schemas_v201
            The same for OCPP 2.0.1 connections.
        json_codec
            How frames are read and written: orjson unless given.
        certificates
            Reviews and signs chargers' SignCertificate requests; None rejects them all.
        capabilities_timeout_s
            How long [s] a charger has to answer GetConfiguration after boot or reconnect; profiles
            sent meanwhile wait for the answer that long at most.
        frames_traced_per_charger
            Recent frames kept per charger for the operator (``recent_frames``); 0 keeps none.
        metrics
            Told about connections, frames, handler times and outbound calls; None counts nothing.
        """
        self._sink = sink
        self._now = now
        self._metrics: EdgeMetrics = NoEdgeMetrics() if metrics is None else metrics
        self._outbound = OutboundCalls(
            timeout_s=call_timeout_s, max_concurrent=max_concurrent_calls, metrics=self._metrics
        )
        self._ping_interval_s = ping_interval_s
        self._max_plausible_power_kw = max_plausible_power_kw
        self._schemas: PayloadSchemas = CompiledSchemas(OCPP_16) if schemas is None else schemas
        self._schemas_v201: PayloadSchemas = CompiledSchemas(OCPP_201) if schemas_v201 is None else schemas_v201
        self._schemas_v21: PayloadSchemas = CompiledSchemas(OCPP_21)
        self._json_codec = json_codec
        self._certificates = certificates
        self._capabilities_timeout_s = capabilities_timeout_s
        self._trace = MessageTrace(self._utc_now, frames_per_charger=frames_traced_per_charger)
        self._sessions: dict[str, Session] = {}
        self._admitted: dict[ServerConnection, Session] = {}
        self._lifecycle = KeyedLocks()
        self._servers: dict[bool, Server] = {}
        """The listening servers, by whether they speak TLS."""

    async def serve(
        self, host: str, port: int, *, ready: asyncio.Event | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        """Accept chargers on ws://host:port/{chargePointId} (wss:// with ``tls``) until cancelled.

        ``ready`` is set once the socket listens; with ``port`` 0, ``listening_port`` then tells
        which port the system picked. One plain and one TLS listener may run at once.
        """
        self._schemas.prepare(ChargePointV16.handled_actions())
        self._schemas_v201.prepare(ChargePointV201.handled_actions())
        self._schemas_v21.prepare(ChargePointV21.handled_actions())
        async with serve(
            self._serve_connection,
            host,
            port,
            subprotocols=list(VERSION_OF_SUBPROTOCOL),
            select_subprotocol=_select_subprotocol,
            process_request=_check_request,
            process_response=self._admit,
            ping_interval=self._ping_interval_s,
            compression=None,
            ssl=tls,
        ) as server:
            self._servers[tls is not None] = server
            if ready is not None:
                ready.set()
            try:
                await server.serve_forever()
            finally:
                self._servers.pop(tls is not None, None)

    def listening_port(self, *, tls: bool = False) -> int | None:
        """The TCP port the plain (or TLS) listener listens on, None when it is not serving."""
        server = self._servers.get(tls)
        if server is None or not server.sockets:
            return None
        port: int = server.sockets[0].getsockname()[1]
        return port

    def connected_ids(self) -> frozenset[str]:
        """Charge point ids with an open connection."""
        return frozenset(self._sessions)

    def recent_frames(self, charge_point_id: str) -> tuple[TracedFrame, ...]:
        """The charger's last frames in both directions, oldest first, kept across reconnects."""
        return self._trace.recent(charge_point_id)

    async def set_charging_profile(
        self,
        charge_point_id: str,
        profile: PowerLimitProfile,
        electrical: ConnectorElectrical,
        *,
        max_periods: int | None = None,
    ) -> CommandResult:
        """Send ``profile`` [kW] converted to the connector's unit (see ``profiles``), fitted to the
        charger's reported capabilities; NOT_SENT, with the reason, if it cannot be (``profile_checks``).

        Raises
        ------
        ValueError
            If the profile or ``electrical`` is inconsistent (a caller error, not a charger one).
        """
        to_ocpp16_charging_profile(profile, electrical, max_periods=max_periods)
        charge_point = self._charge_point(charge_point_id)
        if charge_point is None:
            return _not_connected(charge_point_id)
        return await charge_point.profiles.send(profile, electrical, max_periods=max_periods)

    def capabilities(self, charge_point_id: str) -> ChargerCapabilities | None:
        """What the connected charger reported on this connection; None if not read (or not connected)."""
        charge_point = self._charge_point(charge_point_id)
        return None if charge_point is None else charge_point.profiles.capabilities

    def device_model(self, charge_point_id: str) -> DeviceModel | None:
        """The last complete NotifyReport of a connected 2.0.1 station; None for 1.6 or before one."""
        charge_point = self._charge_point(charge_point_id)
        return charge_point.profiles.device_model if isinstance(charge_point, ChargePointV201) else None

    async def clear_charging_profile(
        self,
        charge_point_id: str,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: ProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> CommandResult:
        """Clear the charger's profiles matching every criterion given (all of them if none)."""
        charge_point = self._charge_point(charge_point_id)
        if charge_point is None:
            return _not_connected(charge_point_id)
        if isinstance(charge_point, ChargePointV201):
            return await charge_point.profiles.clear(
                profile_id=profile_id, evse_id=connector_id, purpose=purpose, stack_level=stack_level
            )
        return await self._outbound.clear_charging_profile(
            charge_point,
            profile_id=profile_id,
            connector_id=connector_id,
            purpose=purpose,
            stack_level=stack_level,
        )

    async def send_call(
        self, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
    ) -> RawCallAnswer:
        """Send ``action`` with ``payload`` in wire form, unchanged; the answer as received (see ``raw_calls``)."""
        charge_point = self._charge_point(charge_point_id)
        if charge_point is None:
            return RawCallAnswer(RawCallOutcome.NOT_CONNECTED, detail=f"{charge_point_id} is not connected")
        if action not in (V201_ACTIONS if isinstance(charge_point, ChargePointV201) else V16_ACTIONS):
            return RawCallAnswer(
                RawCallOutcome.NOT_IN_PROTOCOL,
                detail=f"{action.value} is not an {charge_point.protocol_name} action a central system sends",
            )
        started_s = time.perf_counter()
        answer = await send_raw_call(
            charge_point, action, payload, timeout_s=self._outbound.timeout_s, codec=self._json_codec
        )
        self._metrics.outbound_call_finished(action.value, _raw_outcome(answer), time.perf_counter() - started_s)
        return answer

    def ocpp_version(self, charge_point_id: str) -> OcppVersion | None:
        """The protocol the connected charger speaks; None when it is not connected."""
        session = self._sessions.get(charge_point_id)
        return None if session is None else session.version

    def _charge_point(self, charge_point_id: str) -> ChargePoint | None:
        session = self._sessions.get(charge_point_id)
        return None if session is None else session.charge_point

    def _utc_now(self) -> datetime:
        return require_utc(self._now(), "now()")

    async def _admit(self, connection: ServerConnection, request: Request, response: Response) -> Response | None:
        """Ask the application about a charger whose handshake is otherwise complete."""
        if response.status_code != HTTPStatus.SWITCHING_PROTOCOLS or connection.subprotocol is None:
            return None
        charge_point_id = charge_point_id_from_path(request.path)
        async with self._lifecycle.hold(charge_point_id):
            credentials = presented_credentials(connection, request)
            version = VERSION_OF_SUBPROTOCOL[Subprotocol(connection.subprotocol)]
            decision = await self._sink.charger_connected(
                ChargerConnected(charge_point_id, version, self._utc_now(), credentials)
            )
            if not decision.accept:
                return _refused(connection, charge_point_id, decision.refusal, decision.detail)
            previous = self._sessions.get(charge_point_id)
            if connection.state is not State.CONNECTING or not connection.server.is_serving():
                # The handshake will not complete, so no handler will report the disconnect;
                # a previous connection, if any, still holds the charger.
                if previous is None:
                    await self._sink.charger_disconnected(ChargerDisconnected(charge_point_id, self._utc_now()))
                return None
            if previous is not None:
                LOGGER.info("%s: new connection replaces the open one", charge_point_id)
                previous.replaced.set()
            session = Session(charge_point_id, decision.resume, pending=decision.pending, version=version)
            self._sessions[charge_point_id] = session
            self._admitted[connection] = session
        return None

    async def _serve_connection(self, connection: ServerConnection) -> None:
        session = self._admitted.pop(connection, None)
        if session is None:
            expected = " or ".join(VERSION_OF_SUBPROTOCOL)
            LOGGER.warning("closing a connection without the %s subprotocol", expected)
            await connection.close(CloseCode.PROTOCOL_ERROR, f"unsupported subprotocol, expected {expected}")
            return
        # This task serves this one connection: what it logs, and the tasks it starts, name the charger.
        CHARGE_POINT_ID.set(session.charge_point_id)
        self._metrics.connection_opened()
        try:
            await self._run_session(session, connection)
        finally:
            self._metrics.connection_closed()
            await self._report_disconnect(session)

    async def _run_session(self, session: Session, connection: ServerConnection) -> None:
        async with asyncio.TaskGroup() as group:
            tasks = OwnedTasks(group)
            charge_point_class, schemas = {
                OcppVersion.V16: (ChargePointV16, self._schemas),
                OcppVersion.V201: (ChargePointV201, self._schemas_v201),
                OcppVersion.V21: (ChargePointV21, self._schemas_v21),
            }[session.version]
            charge_point = charge_point_class(
                session.charge_point_id,
                connection,
                sink=self._sink,
                now=self._now,
                outbound=self._outbound,
                spawn=tasks.spawn,
                boot=session.resume,
                pending=session.pending,
                max_plausible_power_kw=self._max_plausible_power_kw,
                schemas=schemas,
                json_codec=self._json_codec,
                certificates=self._certificates,
                capabilities_timeout_s=self._capabilities_timeout_s,
                trace=self._trace,
                metrics=self._metrics,
            )
            session.charge_point = charge_point
            tasks.spawn(_close_when_replaced(session, connection), name=f"{session.charge_point_id}: replace")
            if session.resume is not None:
                charge_point.profiles.expect_set_up()
                tasks.spawn(
                    charge_point.profiles.set_up(session.resume),
                    name=f"{session.charge_point_id}: capabilities and fail-safe profile",
                )
            try:
                await charge_point.start()
            finally:
                tasks.cancel_all()

    async def _report_disconnect(self, session: Session) -> None:
        charge_point_id = session.charge_point_id
        async with self._lifecycle.hold(charge_point_id):
            if self._sessions.get(charge_point_id) is not session:
                return
            del self._sessions[charge_point_id]
            try:
                await self._sink.charger_disconnected(ChargerDisconnected(charge_point_id, self._utc_now()))
            except Exception:
                LOGGER.exception("%s: recording the disconnect failed", charge_point_id)


async def _close_when_replaced(session: Session, connection: ServerConnection) -> None:
    await session.replaced.wait()
    await connection.close(CloseCode.NORMAL_CLOSURE, "replaced by a newer connection")


def _select_subprotocol(connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    # None completes the handshake without a subprotocol; the handler then closes with 1002.
    return next((subprotocol for subprotocol in offered if subprotocol in VERSION_OF_SUBPROTOCOL), None)


def _check_request(connection: ServerConnection, request: Request) -> Response | None:
    try:
        charge_point_id_from_path(request.path)
    except ValueError as error:
        return connection.respond(HTTPStatus.BAD_REQUEST, f"{error}\n")
    return None


def _refused(connection: ServerConnection, charge_point_id: str, refusal: Refusal, detail: str) -> Response:
    LOGGER.warning("%s: refused, %s%s", charge_point_id, refusal.value, f": {detail}" if detail else "")
    if refusal is Refusal.UNAUTHORIZED:
        response = connection.respond(HTTPStatus.UNAUTHORIZED, "Missing or wrong credentials\n")
        response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
        return response
    if refusal is Refusal.FORBIDDEN:
        return connection.respond(HTTPStatus.FORBIDDEN, f"{detail or refusal.value}\n")
    return connection.respond(HTTPStatus.NOT_FOUND, f"Unknown charge point id {charge_point_id!r}\n")


def _raw_outcome(answer: RawCallAnswer) -> OutboundOutcome:
    if answer.outcome is RawCallOutcome.RESULT:
        return outcome_of_status(None if answer.payload is None else answer.payload.get("status"))
    return {
        RawCallOutcome.CALL_ERROR: OutboundOutcome.ERROR,
        RawCallOutcome.TIMEOUT: OutboundOutcome.TIMEOUT,
        RawCallOutcome.NOT_CONNECTED: OutboundOutcome.NOT_CONNECTED,
        RawCallOutcome.NOT_IN_PROTOCOL: OutboundOutcome.ERROR,
    }[answer.outcome]


def _not_connected(charge_point_id: str) -> CommandResult:
    return CommandResult(CommandStatus.NOT_CONNECTED, f"{charge_point_id} is not connected")
