"""Every error answer as an RFC 9457 problem-details document (``application/problem+json``).

Domain errors are mapped to HTTP statuses here, in one place; routes raise ``HTTPException`` or let
the domain error through.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from fleet.auth.errors import AccountExistsError, InvalidAccountError, InvalidCredentialsError
from fleet.persistence.errors import IdTagConflictError, InvalidValueError, UnknownVehicleError

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"


class InvalidField(BaseModel):
    field: str
    """Where the bad value is: ``body.energy_needed_kwh``, ``query.limit``, ``path.session_id``."""
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``errors`` lists the invalid fields of a 422."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[InvalidField] | None = None
    error: str | None = None
    """The OAuth2 error code (RFC 6749 section 5.2) on the token endpoint."""


def problem_response(
    status: int,
    detail: str | None,
    *,
    instance: str | None = None,
    errors: list[InvalidField] | None = None,
    headers: dict[str, str] | None = None,
    oauth_error: str | None = None,
) -> JSONResponse:
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
        error=oauth_error,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem answers for ``statuses``."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase, "content": {PROBLEM_MEDIA_TYPE: {}}}
        for status in statuses
    }


def _field_name(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


def _validation_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        InvalidField(field=_field_name(tuple(e.get("loc", ()))), message=str(e.get("msg", "invalid")))
        for e in jsonable_encoder(exc.errors())
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid request"
    return problem_response(422, detail, instance=request.url.path, errors=errors)


def _http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    errors = [InvalidField.model_validate(e) for e in exc.detail] if isinstance(exc.detail, list) else None
    detail = exc.detail if isinstance(exc.detail, str) else "; ".join(f"{e.field}: {e.message}" for e in errors or [])
    return problem_response(
        exc.status_code, detail, instance=request.url.path, errors=errors, headers=dict(exc.headers or {})
    )


def _invalid_value(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidValueError | InvalidAccountError)
    errors = [InvalidField(field=exc.field, message=exc.problem)]
    return problem_response(422, str(exc), instance=request.url.path, errors=errors)


def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(404, str(exc), instance=request.url.path)


def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(409, str(exc), instance=request.url.path)


def _bad_credentials(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(400, str(exc), instance=request.url.path, oauth_error="invalid_grant")


def _server_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal error; the server log has the details", instance=request.url.path)


def add_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem document."""
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_exception_handler(InvalidValueError, _invalid_value)
    app.add_exception_handler(InvalidAccountError, _invalid_value)
    app.add_exception_handler(UnknownVehicleError, _not_found)
    app.add_exception_handler(IdTagConflictError, _conflict)
    app.add_exception_handler(AccountExistsError, _conflict)
    app.add_exception_handler(InvalidCredentialsError, _bad_credentials)
    app.add_exception_handler(Exception, _server_error)
