"""The gateway's ChargerEventSink and CertificateSigner: each call becomes an event on the bus."""

from __future__ import annotations

from typing import cast

from fleet.bus.codec import (
    AuthorizeRequest,
    CsrRequest,
    EventKind,
    FindTransactionRequest,
    SignedChain,
    TransactionCostRequest,
)
from fleet.bus.gateway_link import GatewayLink
from ocpp_server.events import (
    CapabilitiesReported,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerNotice,
    ConnectorStatusChanged,
    EvChargingNeeds,
    ExternalChargingLimit,
    MeterValuesReceived,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.ports import (
    BootDecision,
    ConnectionDecision,
    CsrReview,
    IdTagInfo,
    KnownTransaction,
    TransactionDecision,
)


class BusEventSink:
    def __init__(self, link: GatewayLink) -> None:
        self._link = link

    async def charger_connected(self, event: ChargerConnected) -> ConnectionDecision:
        answer = await self._link.ask(EventKind.CHARGER_CONNECTED, event.charge_point_id, event)
        return cast(ConnectionDecision, answer)

    async def charger_disconnected(self, event: ChargerDisconnected) -> None:
        await self._link.tell(EventKind.CHARGER_DISCONNECTED, event.charge_point_id, event)

    async def charger_booted(self, event: ChargerBooted) -> BootDecision:
        return cast(BootDecision, await self._link.ask(EventKind.CHARGER_BOOTED, event.charge_point_id, event))

    async def connector_status_changed(self, event: ConnectorStatusChanged) -> None:
        await self._link.tell(EventKind.CONNECTOR_STATUS_CHANGED, event.charge_point_id, event)

    async def authorize(self, charge_point_id: str, id_tag: str) -> IdTagInfo:
        answer = await self._link.ask(EventKind.AUTHORIZE, charge_point_id, AuthorizeRequest(charge_point_id, id_tag))
        return cast(IdTagInfo, answer)

    async def transaction_started(self, event: TransactionStarted) -> TransactionDecision:
        answer = await self._link.ask(EventKind.TRANSACTION_STARTED, event.charge_point_id, event)
        return cast(TransactionDecision, answer)

    async def transaction_stopped(self, event: TransactionStopped) -> IdTagInfo | None:
        answer = await self._link.ask(EventKind.TRANSACTION_STOPPED, event.charge_point_id, event)
        return cast(IdTagInfo | None, answer)

    async def meter_values_received(self, event: MeterValuesReceived) -> None:
        await self._link.tell(EventKind.METER_VALUES_RECEIVED, event.charge_point_id, event)

    async def charger_reported(self, event: ChargerNotice) -> None:
        await self._link.tell(EventKind.CHARGER_REPORTED, event.charge_point_id, event)

    async def capabilities_reported(self, event: CapabilitiesReported) -> None:
        await self._link.tell(EventKind.CAPABILITIES_REPORTED, event.charge_point_id, event)

    async def find_transaction(self, charge_point_id: str, charger_transaction_id: str) -> KnownTransaction | None:
        request = FindTransactionRequest(charge_point_id, charger_transaction_id)
        return cast(KnownTransaction | None, await self._link.ask(EventKind.FIND_TRANSACTION, charge_point_id, request))

    async def transaction_cost_eur(self, transaction_id: int) -> float | None:
        # Asked under the transaction's own key would need its charger; any key keeps one order
        # per transaction, and the answer changes nothing.
        request = TransactionCostRequest("", transaction_id)
        return cast(float | None, await self._link.ask(EventKind.TRANSACTION_COST, str(transaction_id), request))

    async def ev_charging_needs(self, event: EvChargingNeeds) -> bool:
        answer = await self._link.ask(EventKind.EV_CHARGING_NEEDS, event.charge_point_id, event)
        return cast(bool, answer)

    async def external_limit_changed(self, event: ExternalChargingLimit) -> None:
        await self._link.tell(EventKind.EXTERNAL_LIMIT_CHANGED, event.charge_point_id, event)

    async def review_csr(self, charge_point_id: str, csr_pem: str) -> CsrReview:
        answer = await self._link.ask(EventKind.REVIEW_CSR, charge_point_id, CsrRequest(charge_point_id, csr_pem))
        return cast(CsrReview, answer)

    async def sign_csr(self, charge_point_id: str, csr_pem: str) -> str:
        answer = await self._link.ask(EventKind.SIGN_CSR, charge_point_id, CsrRequest(charge_point_id, csr_pem))
        return cast(SignedChain, answer).pem_chain
