"""The line of the charger's log that both versions' handlers write: what a charger reported of itself."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from ocpp_server.events import ChargerNotice, NoticeKind
from ocpp_server.ports import ChargerEventSink

LOGGER = logging.getLogger(__name__)


class _Reporting(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def charge_point_id(self) -> str: ...

    @property
    def _sink(self) -> ChargerEventSink: ...

    def utc_now(self) -> datetime: ...


class ChargerReports:
    """Mixed into the 1.6 and 2.0.1 handlers, which hold the attributes of ``_Reporting``."""

    async def _report(
        self: _Reporting,
        kind: NoticeKind,
        status: str,
        *,
        at: datetime | None = None,
        request_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        LOGGER.info("%s: %s %s", self.id, kind.value, status)
        await self._sink.charger_reported(
            ChargerNotice(
                charge_point_id=self.charge_point_id,
                kind=kind,
                status=status,
                at=self.utc_now() if at is None else at,
                request_id=request_id,
                detail=detail,
            )
        )
