"""setsmart.config is a pure layer: importing it pulls in no asyncio and no I/O layers."""

from __future__ import annotations

import subprocess
import sys


def test_config_imports_no_asyncio_lan_mqtt_or_daemon() -> None:
    code = (
        "import sys, setsmart.config\n"
        "bad = [m for m in sys.modules if m == 'asyncio' or m.startswith("
        "('setsmart.lan', 'setsmart.mqtt', 'setsmart.daemon', 'setsmart.cloud'))]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(  # noqa: S603  # our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert result.stdout.strip() == ""
