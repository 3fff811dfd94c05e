"""Schema validation of OCPP payloads: the ``ocpp`` library's path, and a compiled one.

Both check a CALL's payload against the request schema of its action, and a CALLRESULT's payload
against the response schema, using the official JSON schemas the ``ocpp`` package ships (1.6, and
2.0.1 for later); both raise the library's ``OCPPError`` subclasses, which ``rpc_v16`` maps to the
1.6 CALLERROR codes.

* ``LibrarySchemas`` is the library's own ``validate_payload``: jsonschema's interpreting
  ``Draft4Validator``, run in the default thread pool for every message: about half a millisecond
  of CPU for a MeterValues and its answer, plus two thread hand-offs. Kept as the reference and for
  side-by-side benchmarks (``benchmarks/bench_ocpp.py``).
* ``CompiledSchemas`` compiles each schema once, on first use, into Python code with
  ``fastjsonschema`` and checks payloads with it inline (about 14 µs for a MeterValues and its
  answer).
  The compiled checks follow the library's semantics: draft-04 for every schema (the library
  validates the security-extension and 2.0.1 schemas, which declare draft-06, with a draft-04
  validator), no ``format`` checks (the library passes no format checker; timestamps are read and
  refused by the handlers), no defaults filled in. A payload the compiled check refuses is handed
  to the library's validator, so that an invalid payload is answered with exactly the error code
  and cause it always got; the compiled check decides alone only what is valid, which is what
  happens to nearly every message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol, TypeAlias

import fastjsonschema
from ocpp.messages import Call, CallResult, _validate_payload, validate_payload

LOGGER = logging.getLogger(__name__)

OCPP_16 = "1.6"
OCPP_201 = "2.0.1"
OCPP_21 = "2.1"

_SCHEMA_FOLDER = {OCPP_16: "v16", OCPP_201: "v201", OCPP_21: "v21"}
_DRAFT_04 = "http://json-schema.org/draft-04/schema#"
_SCHEMA_FILES_KEPT = 512
"""More than the 1.6, 2.0.1 and 2.1 schema files together (78 + 128 + 181)."""

Message: TypeAlias = Call | CallResult
CompiledCheck: TypeAlias = Callable[[Any], Any]


class PayloadSchemas(Protocol):
    """Checks one message's payload against its schema; raises ``OCPPError`` if it fails."""

    def prepare(self, actions: Iterable[str]) -> None:
        """Get ready to check these actions' CALLs and CALLRESULTs (before serving)."""

    async def validate(self, message: Message) -> None: ...


class LibrarySchemas:
    """The ``ocpp`` library's validation, as the library runs it (jsonschema in a thread pool)."""

    def __init__(self, ocpp_version: str = OCPP_16) -> None:
        self._ocpp_version = ocpp_version

    def prepare(self, actions: Iterable[str]) -> None:
        """Nothing: the library builds its validators on first use (and warming them here could
        cache a float-parsing validator where the library later wants its Decimal one)."""

    async def validate(self, message: Message) -> None:
        await validate_payload(message, self._ocpp_version)


class CompiledSchemas:
    """Compiled validators, one per action and message type, built on first use (or ``prepare``)
    and kept; the compiled code itself is shared by every instance in the process."""

    def __init__(self, ocpp_version: str = OCPP_16) -> None:
        if ocpp_version not in _SCHEMA_FOLDER:
            raise ValueError(f"no schemas for OCPP {ocpp_version}; known: {', '.join(_SCHEMA_FOLDER)}")
        self._ocpp_version = ocpp_version
        self._checks: dict[tuple[int, str], CompiledCheck] = {}

    def prepare(self, actions: Iterable[str]) -> None:
        """Compile the request and response schemas of ``actions`` now rather than on first use,
        where compiling (some 20 ms for MeterValues) would stall every connection once."""
        for action in actions:
            for message_type_id in (Call.message_type_id, CallResult.message_type_id):
                self._check_for(message_type_id, action)

    async def validate(self, message: Message) -> None:
        self.validate_now(message)

    def validate_now(self, message: Message) -> None:
        """Check ``message`` on the calling thread; raises ``OCPPError`` as the library does."""
        check = self._check_for(message.message_type_id, message.action)
        if check is None:
            # No schema for this action: the library answers it (NotImplemented) as it always did.
            _validate_payload(message, self._ocpp_version)
            return
        try:
            check(message.payload)
        except fastjsonschema.JsonSchemaValueException as refusal:
            self._explain(message, refusal)

    def _check_for(self, message_type_id: int, action: str) -> CompiledCheck | None:
        key = (message_type_id, action)
        check = self._checks.get(key)
        if check is None and action.isalnum():
            # Only schemas that exist are kept, so that unknown action names cannot grow the map.
            check = self._compile(message_type_id, action)
            if check is not None:
                self._checks[key] = check
        return check

    def _compile(self, message_type_id: int, action: str) -> CompiledCheck | None:
        return compiled_schema_file(self._ocpp_version, schema_file_name(message_type_id, action, self._ocpp_version))

    def _explain(self, message: Message, refusal: fastjsonschema.JsonSchemaValueException) -> None:
        """Raise the library's error for a payload the compiled check refused."""
        _validate_payload(message, self._ocpp_version)
        # The reference validator found nothing wrong: it defines what 1.6 accepts, so the payload
        # passes, but the disagreement is a fault worth seeing.
        LOGGER.warning(
            "%s %s: compiled schema refused a payload the reference validator accepts: %s",
            message.action,
            type(message).__name__,
            refusal.message,
        )


def schema_file_name(message_type_id: int, action: str, ocpp_version: str) -> str:
    """The schema file the ``ocpp`` package keeps for one action and message type, as it names them."""
    if message_type_id == CallResult.message_type_id:
        return f"{action}Response.json"
    if ocpp_version == OCPP_16:
        return f"{action}.json"
    return f"{action}Request.json"


def read_schema(ocpp_version: str, file_name: str) -> dict[str, Any]:
    """One schema as the ``ocpp`` package ships it (the 2.0.1 files start with a byte order mark)."""
    folder = resources.files("ocpp") / _SCHEMA_FOLDER[ocpp_version] / "schemas"
    text = (folder / file_name).read_text(encoding="utf-8-sig")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=_SCHEMA_FILES_KEPT)
def compiled_schema_file(ocpp_version: str, file_name: str) -> CompiledCheck | None:
    """``compile_schema`` of one shipped schema file, None if there is none; compiled once per process
    (the files are package data, so the result never changes)."""
    try:
        schema = read_schema(ocpp_version, file_name)
    except FileNotFoundError:
        return None
    return compile_schema(schema)


def compile_schema(schema: dict[str, Any]) -> CompiledCheck:
    """Compile ``schema`` with the ``ocpp`` library's semantics (draft-04, no formats, no defaults)."""
    definition = {**schema, "$schema": _DRAFT_04}
    check: CompiledCheck = fastjsonschema.compile(
        definition,
        handlers={"http": _no_remote_refs, "https": _no_remote_refs},
        use_default=False,
        use_formats=False,
    )
    return check


def _no_remote_refs(uri: str) -> Any:
    raise ValueError(f"the OCPP schemas refer only to themselves, not to {uri}")
