"""The container files, checked without a Docker engine: what they run exists and they agree with the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from fleet.cli import build_parser

ROOT = Path(__file__).parents[1]


def test_image_entry_point_is_the_console_script() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["vettabbia"]' in dockerfile
    assert 'vettabbia = "fleet.cli:main"' in pyproject
    assert re.search(r"^USER vettabbia$", dockerfile, re.MULTILINE), "the image must not run as root"
    for package in ("optimizer", "ocpp_server", "fleet", "forecasts"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_image_and_compose_commands_parse() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    for argv in (yaml.safe_load(cmd.group(1)), compose["services"]["vettabbia"]["command"]):
        args = build_parser().parse_args(argv)
        assert args.command == "serve"
        assert args.http_host == args.ocpp_host == "0.0.0.0"


def test_compose_database_url_is_the_setting_the_code_reads() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    env = compose["services"]["vettabbia"]["environment"]
    assert env["VETTABBIA_DATABASE_URL"].startswith("postgresql://")
    assert "VETTABBIA_DATABASE_URL" in (ROOT / "fleet" / "cli.py").read_text(encoding="utf-8")
    db = compose["services"]["db"]["environment"]
    assert (
        f"{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/{db['POSTGRES_DB']}" in env["VETTABBIA_DATABASE_URL"]
    )
