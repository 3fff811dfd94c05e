"""docs/security.md's openssl lines and serve command, run as written, then a charger connecting with the result."""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import ssl
from pathlib import Path

import pytest

from fleet.cli import _tls_settings, build_parser
from tests.fleet.charger_security_support import CHARGER, HANDSHAKE_OK, handshake_status, secure_site

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def _documented(program: str) -> list[list[str]]:
    """Every command line of ``program`` in the document's shell blocks, in order, split as a shell would."""
    lines = [line for block in SHELL_BLOCK.findall(DOC.read_text(encoding="utf-8")) for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith(f"{program} ")]


def test_the_document_has_the_commands_the_test_runs() -> None:
    written = {
        command[index + 1]
        for command in _documented("openssl")
        for index, argument in enumerate(command)
        if argument in {"-out", "-keyout"}
    }

    assert written == {f"{stem}.{suffix}" for stem in ("ca", "server", CHARGER) for suffix in ("key", "crt")} | {
        "server.csr",
        f"{CHARGER}.csr",
    }
    assert len(_documented("vettabbia")) == 1


def test_the_documented_serve_command_gives_complete_tls_settings() -> None:
    arguments = _documented("vettabbia")[0][1:]

    tls = _tls_settings(build_parser().parse_args(arguments))

    assert tls is not None
    assert (tls.port, tls.cert_path, tls.key_path) == (9443, Path("server.crt"), Path("server.key"))
    assert (tls.ca_cert_path, tls.ca_key_path) == (Path("ca.crt"), Path("ca.key"))


@pytest.mark.skipif(
    shutil.which("openssl") is None, reason="no openssl binary on this machine to run the documented lines"
)
async def test_the_documented_certificates_connect_a_charger_at_profiles_2_and_3(
    tmp_path: Path, database_url: str
) -> None:
    folder = tmp_path / "pki"
    folder.mkdir()
    for command in _documented("openssl"):
        process = await asyncio.create_subprocess_exec(
            *command, cwd=folder, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, f"{shlex.join(command)}:\n{output.decode()}"
    arguments = _documented("vettabbia")[0][1:]
    tls = _tls_settings(build_parser().parse_args(arguments))
    assert tls is not None
    in_folder = type(tls)(
        port=0,
        cert_path=folder / tls.cert_path,
        key_path=folder / tls.key_path,
        ca_cert_path=folder / "ca.crt",
        ca_key_path=folder / "ca.key",
    )
    charger_tls = ssl.create_default_context(cafile=folder / "ca.crt")
    charger_tls.load_cert_chain(folder / f"{CHARGER}.crt", folder / f"{CHARGER}.key")

    async with secure_site(database_url, in_folder) as site:
        await site.security.set_password(CHARGER, "documented-password")
        await site.security.set_minimum_profile(CHARGER, 2)
        server_only = ssl.create_default_context(cafile=folder / "ca.crt")
        assert await handshake_status(site.wss_url, CHARGER, password=b"documented-password", tls=server_only) == 101
        await site.security.set_minimum_profile(CHARGER, 3)
        assert await handshake_status(site.wss_url, CHARGER, tls=charger_tls) == HANDSHAKE_OK
        stored = await site.store.charger_security.credentials(CHARGER)

    assert stored is not None
    assert stored.last_security_profile == 3
