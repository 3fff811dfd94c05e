"""Serve the operator page: ``index.html`` at ``/`` and its assets under ``/static/``.

The page is plain HTML, CSS and JavaScript modules shipped as package data, so there is no build step
and nothing is fetched from outside the site network.
"""

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_URL_PATH = "/static"
"""URL prefix of the page's assets; ``index.html`` refers to them relative to this prefix."""

_REVALIDATE = "no-cache"
"""Browsers may keep the files but must revalidate (a cheap 304 via the ETag) so an upgrade of the
controller is picked up on the next page load instead of mixing old and new modules."""


def static_directory() -> Path:
    """Return the directory holding the operator page's files.

    Returns
    -------
    Path
        ``fleet/web/static`` inside the installed package.

    Raises
    ------
    FileNotFoundError
        If the package was installed without its static files (``index.html`` is missing).
    """
    directory = Path(__file__).resolve().parent / "static"
    index = directory / "index.html"
    if not index.is_file():
        raise FileNotFoundError(
            f"operator page not found: {index} is missing (was the package installed without package data?)"
        )
    return directory


class _RevalidatingStaticFiles(StaticFiles):
    """StaticFiles that asks browsers to revalidate every asset (see ``_REVALIDATE``)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = _REVALIDATE
        return response


def mount_operator_page(app: FastAPI) -> None:
    """Serve the operator page on ``app``.

    Adds ``GET /`` (``index.html``) and mounts the assets under ``/static/``. The page reads only the
    JSON API under ``/api/v1``, which the application provides separately.

    Parameters
    ----------
    app : FastAPI
        The application to extend.

    Raises
    ------
    FileNotFoundError
        If the page's files are missing from the installed package.
    """
    directory = static_directory()
    index = directory / "index.html"

    async def operator_page() -> FileResponse:
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": _REVALIDATE})

    app.add_api_route("/", operator_page, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(STATIC_URL_PATH, _RevalidatingStaticFiles(directory=directory), name="operator-page-static")
