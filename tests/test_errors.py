"""One error root: every package's errors derive from `SetsmartError`, each carries the exit
code of CONTRACT.md (1 runtime failure, 2 usage or configuration), and the command line
maps any of them to one line on stderr and that code."""

from __future__ import annotations

from pathlib import Path

import pytest

from setsmart.cli import main
from setsmart.cloud import CloudAuthError, CloudBusyError, CloudConfigError, CloudError
from setsmart.cloud.errors import CloudPermissionError
from setsmart.config import ConfigError
from setsmart.config.importers import ImportSourceError, OutputError, OutputExistsError
from setsmart.daemon.direct import DeviceNotFound
from setsmart.daemon.runtime import RouteError
from setsmart.daemon.store import StateError
from setsmart.demo import DemoError
from setsmart.devices import SetError
from setsmart.devices.errors import DeviceError, DpMapError, EnergyStateError
from setsmart.errors import SetsmartError, UsageError
from setsmart.history.database import HistoryError
from setsmart.lan.errors import ConnectFailed, LanError, WrongLocalKey
from setsmart.mqtt.remote import RemoteError
from setsmart.protocol.errors import ProtocolError
from setsmart.sim.errors import SimConfigError, SimError

MAPPINGS = Path(__file__).parent / "fixtures" / "tinytuya" / "wizard_mappings.json"

ROOTS = [ProtocolError, LanError, DeviceError, CloudError, ConfigError, SimError, RemoteError]
ROOTS += [RouteError, StateError, OutputError, ImportSourceError, DemoError, HistoryError]


@pytest.mark.parametrize("root", ROOTS, ids=lambda cls: cls.__name__)
def test_every_package_error_root_derives_from_the_one_root(root: type[Exception]) -> None:
    assert issubclass(root, SetsmartError)


USAGE = [ConfigError, UsageError, SetError, DpMapError, DeviceNotFound, ImportSourceError]
USAGE += [OutputExistsError, CloudConfigError, CloudAuthError, CloudPermissionError]
USAGE += [SimConfigError]
FAILURE = [LanError, ConnectFailed, WrongLocalKey, RemoteError, CloudError, CloudBusyError]
FAILURE += [OutputError, ProtocolError, EnergyStateError, DemoError, RouteError, StateError]


@pytest.mark.parametrize(
    ("error", "code"),
    [(cls, 2) for cls in USAGE] + [(cls, 1) for cls in FAILURE],
    ids=lambda value: value.__name__ if isinstance(value, type) else str(value),
)
def test_each_error_carries_the_contract_exit_code(error: type[SetsmartError], code: int) -> None:
    assert error.exit_code == code


def test_a_device_error_is_still_a_value_error() -> None:
    # Callers that validate values catch ValueError; the root must not take that away.
    assert issubclass(SetError, ValueError)
    assert issubclass(SimConfigError, ValueError)


def _config(tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(
        "devices:\n  - id: bferr000000000000001\n    name: desk\n"
        "    local_key: '0123456789abcdef'\n    host: 127.0.0.1\n"
    )
    return str(path)


def test_a_usage_error_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["set", "desk", "oops", "-c", _config(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "setsmart: 'oops' is not key=value (e.g. state=OFF, brightness=128, dps.1=true)\n"
    )


def test_a_device_not_configured_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "nosuch", "-c", _config(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("setsmart: nosuch: no such device")


def test_a_runtime_failure_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "out.yaml"
    assert main(["import", "tinytuya", str(MAPPINGS), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"setsmart: cannot write {target}: ")
    assert err.count("\n") == 1
