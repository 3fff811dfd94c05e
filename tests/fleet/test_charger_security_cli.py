"""The TLS flags of ``vettabbia serve`` / ``demo``: complete or refused with a message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.cli import _tls_settings, build_parser, main


@pytest.mark.parametrize(
    "flags",
    [
        ["--ocpp-tls-port", "9443"],
        ["--ocpp-tls-port", "9443", "--ocpp-tls-cert", "server.crt"],
        ["--ocpp-tls-cert", "server.crt", "--ocpp-tls-key", "server.key"],
        ["--ocpp-tls-port", "9443", "--ocpp-tls-cert", "s.crt", "--ocpp-tls-key", "s.key", "--ocpp-ca-key", "ca.key"],
    ],
)
def test_incomplete_tls_flags_are_refused(flags: list[str]) -> None:
    with pytest.raises(SystemExit, match="vettabbia: "):
        _tls_settings(build_parser().parse_args(["serve", *flags]))


def test_without_tls_flags_only_plain_ws_runs() -> None:
    assert _tls_settings(build_parser().parse_args(["demo"])) is None


def test_unreadable_tls_files_stop_the_start_with_a_message(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing"

    status = main(
        [
            "serve",
            "--database-url",
            database_url,
            "--ocpp-tls-port",
            "0",
            "--ocpp-tls-cert",
            f"{missing}.crt",
            "--ocpp-tls-key",
            f"{missing}.key",
        ]
    )

    assert status == 2
    assert "vettabbia: cannot start:" in capsys.readouterr().err
