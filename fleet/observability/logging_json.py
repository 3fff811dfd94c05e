"""Log lines as JSON objects, one per line, for log collectors (``--log-format json``).

Standard-library ``logging`` with a small Formatter rather than a library such as
python-json-logger: the fields are few and fixed, and one module is easier to keep than a
dependency. Each line carries ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
``message``; ``charge_point_id`` and ``transaction_id`` when the call passes them (``extra=``) or,
for the charger, when it runs while a charger's connection is served
(``ocpp_server.log_context``); and ``exception`` with the traceback when there is one.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from ocpp_server.log_context import CHARGE_POINT_ID

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        charge_point_id = getattr(record, "charge_point_id", None) or CHARGE_POINT_ID.get()
        if charge_point_id is not None:
            line["charge_point_id"] = charge_point_id
        transaction_id = getattr(record, "transaction_id", None)
        if transaction_id is not None:
            line["transaction_id"] = transaction_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        # default=str: an ``extra`` value that JSON cannot hold must not lose the line.
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: LogFormat, stream: TextIO | None = None) -> None:
    """Send the root logger's records to ``stream`` (stderr) as text or JSON lines, at ``level``."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
