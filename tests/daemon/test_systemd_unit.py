"""The shipped unit: what the contract promises, `systemd-analyze verify`, and its security rating.

`systemd-analyze verify` refuses a unit whose ExecStart binary does not exist, and setsmart
is not installed in /usr/local/bin on a test machine: the verify test checks a copy of the
unit whose ExecStart (and nothing else) points at a real executable in tmp_path.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "setsmart.service"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed"
)


def service_settings(text: str) -> dict[str, list[str]]:
    """Every `Key=value` of the [Service] section, repeated keys kept in order."""
    settings: dict[str, list[str]] = {}
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def unit_copy(tmp_path: Path) -> Path:
    """The unit in tmp_path with ExecStart pointing at an executable that exists."""
    program = tmp_path / "setsmart"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    text = UNIT.read_text()
    replaced = text.replace("ExecStart=/usr/local/bin/setsmart ", f"ExecStart={program} ")
    assert replaced != text
    copy = tmp_path / "setsmart.service"
    copy.write_text(replaced)
    return copy


def run_analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(  # noqa: S603 - a fixed program with our own arguments
        [SYSTEMD_ANALYZE, *args], capture_output=True, text=True, timeout=30, check=False
    )


def test_unit_keeps_the_contract() -> None:
    settings = service_settings(UNIT.read_text())
    assert settings["Type"] == ["notify"]
    assert settings["NotifyAccess"] == ["main"]
    assert settings["ExecStart"] == ["/usr/local/bin/setsmart run"]
    assert settings["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert settings["Restart"] == ["on-failure"]
    assert settings["WatchdogSec"] == ["30s"]
    assert settings["DynamicUser"] == ["yes"]
    assert settings["ConfigurationDirectory"] == ["setsmart"]
    assert settings["StateDirectory"] == ["setsmart"]
    assert "SETSMART_CONFIG=/etc/setsmart/config.yaml" in settings["Environment"]
    assert "SETSMART_STATE_DIR=%S/setsmart" in settings["Environment"]
    assert settings["UMask"] == ["0077"]
    assert settings["CapabilityBoundingSet"] == [""]


def test_unit_documents_credentials() -> None:
    text = UNIT.read_text()
    # Optional lines: a LoadCredential= whose file is missing stops the service from starting.
    assert "#LoadCredential=mqtt_password:/etc/setsmart/credentials/mqtt_password" in text
    assert "password_file: mqtt_password" in text


@needs_systemd_analyze
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    result = run_analyze("verify", str(unit_copy(tmp_path)))
    assert result.returncode == 0, result.stderr
    # Unknown or misspelt keys are only warnings: any output about the unit is a failure.
    assert "setsmart.service" not in result.stderr, result.stderr
    assert "Unknown" not in result.stderr, result.stderr


@needs_systemd_analyze
def test_systemd_analyze_verify_notices_a_bad_key(tmp_path: Path) -> None:
    # The check above can fail: a misspelt hardening option is reported.
    copy = unit_copy(tmp_path)
    copy.write_text(copy.read_text().replace("ProcSubset=pid", "ProcSubsetPID=pid"))
    result = run_analyze("verify", str(copy))
    assert "Unknown key 'ProcSubsetPID'" in result.stderr


@needs_systemd_analyze
def test_systemd_analyze_security_rates_it_ok(tmp_path: Path) -> None:
    copy = unit_copy(tmp_path)
    # The threshold counts tenths: 49 is an exposure of 4.9, the top of "OK".
    result = run_analyze("security", "--offline=true", "--threshold=49", str(copy))
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(
        r"Overall exposure level for setsmart\.service: ([\d.]+) (\w+)", result.stdout
    )
    assert found is not None, result.stdout
    assert float(found[1]) <= 4.9
    assert found[2] in {"OK", "SAFE"}
