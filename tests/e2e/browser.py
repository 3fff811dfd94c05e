"""Playwright helpers for the end-to-end tests: a headless Debian Chromium and a page watcher.

The fixtures are plain pytest fixtures; import the ones a test needs into ``tests/e2e/conftest.py``
(for example ``from tests.e2e.browser import browser_context, chromium_executable``). Every launch
gets a fresh user-data directory, and the watcher blocks (and records) any request to a host other
than this machine's loopback, so a test can prove the page needs nothing from the internet.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Request,
    Route,
    ViewportSize,
    async_playwright,
)

CHROMIUM_ENV_VAR = "VETTABBIA_CHROMIUM"
"""Environment variable naming the Chromium executable to use instead of the Debian locations."""

CHROMIUM_CANDIDATES = (Path("/usr/bin/chromium"), Path("/usr/bin/chromium-browser"))

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags for a quiet, sandbox-free headless Chromium that makes no background connections."""

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

DESKTOP_VIEWPORT = ViewportSize(width=1440, height=900)
TABLET_VIEWPORT = ViewportSize(width=820, height=1180)


def find_chromium(environ: dict[str, str] | None = None) -> Path | None:
    """Locate the Chromium executable.

    Parameters
    ----------
    environ : dict of str to str, optional
        Environment to read ``VETTABBIA_CHROMIUM`` from; ``os.environ`` by default.

    Returns
    -------
    Path or None
        ``$VETTABBIA_CHROMIUM`` if set, else the first existing of ``/usr/bin/chromium`` and
        ``/usr/bin/chromium-browser``, else None.

    Raises
    ------
    FileNotFoundError
        If ``VETTABBIA_CHROMIUM`` is set but names no executable file.
    """
    env = os.environ if environ is None else environ
    configured = env.get(CHROMIUM_ENV_VAR)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise FileNotFoundError(f"{CHROMIUM_ENV_VAR}={configured!r} is not an executable file")
        return path
    for candidate in CHROMIUM_CANDIDATES:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def is_local_url(url: str) -> bool:
    """Whether ``url`` stays on this machine (loopback host, or a data/blob/about URL)."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname is not None and parts.hostname.lower() in LOCAL_HOSTS


@dataclass
class PageWatch:
    """What a page did that a test may want to forbid: console errors, uncaught exceptions, and
    requests that would have left the machine (they are aborted, not sent)."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    non_local_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every recorded problem as one line each, for an assertion message."""
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught exception: {text}" for text in self.page_errors]
            + [f"request to a non-local host: {url}" for url in self.non_local_requests]
        )


async def watch_page(context: BrowserContext, page: Page) -> PageWatch:
    """Record console errors and uncaught exceptions of ``page`` and block non-local requests.

    Parameters
    ----------
    context : BrowserContext
        The page's context; the network block is installed on it so that workers are covered too.
    page : Page
        The page to watch; call this before navigating.

    Returns
    -------
    PageWatch
        Filled in as the page runs.
    """
    watch = PageWatch()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location.get("url", "")
            watch.console_errors.append(f"{message.text} ({location})" if location else message.text)

    async def guard(route: Route, request: Request) -> None:
        if is_local_url(request.url):
            await route.continue_()
        else:
            watch.non_local_requests.append(request.url)
            await route.abort("blockedbyclient")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    await context.route("**/*", guard)
    return watch


@pytest.fixture
def chromium_executable() -> Path:
    """The Chromium to drive; skips the test when this machine has none."""
    path = find_chromium()
    if path is None:
        candidates = ", ".join(str(c) for c in CHROMIUM_CANDIDATES)
        pytest.skip(f"no Chromium found: set {CHROMIUM_ENV_VAR} or install Debian's chromium ({candidates})")
    return path


@asynccontextmanager
async def launched_chromium(executable: Path, profile_dir: Path) -> AsyncIterator[BrowserContext]:
    """A headless Chromium context at desktop size (1440 x 900), its profile in ``profile_dir``."""
    async with async_playwright() as playwright:
        try:
            context = await playwright.chromium.launch_persistent_context(
                user_data_dir=profile_dir,
                executable_path=executable,
                headless=True,
                args=list(CHROMIUM_ARGS),
                viewport=DESKTOP_VIEWPORT,
                locale="en-GB",
            )
        except Error as error:
            raise RuntimeError(f"could not start {executable}: {error.message}") from error
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
async def browser_context(chromium_executable: Path, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A headless Chromium context at desktop size (1440 x 900) with a fresh profile directory."""
    async with launched_chromium(chromium_executable, tmp_path / "chromium-profile") as context:
        yield context
