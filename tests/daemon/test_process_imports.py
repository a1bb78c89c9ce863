"""What `setsmart run` imports: a daemon without `cloud:` never loads httpx; structlog
comes without rich, greenlet or colorama (all installed here, by the test tools); package
data is read without importlib.resources (zipfile), saves are made without tempfile
(shutil, bz2, lzma), "did you mean" loads difflib only when it is said; JSON is read by
orjson and json, not msgspec (and typing_extensions, which it brings); CRC32 is zlib's,
not zlib-ng's (and the gzip it imports); and the demo's simulated devices, the importers and
the code of the commands that talk to devices or to a running daemon stay out: memory the
daemon would keep forever."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, Dev, config_text
from tests.support.broker import running_broker
from tests.support.mqtt_client import recorder

pytestmark = pytest.mark.timeout(60)

# The CLI's `run`, then, at exit, the names of every module the process imported.
SCRIPT = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), flush=True))
from setsmart.cli import main
sys.exit(main(sys.argv[1:]))
"""
HEAVY = (
    *("httpx", "httpcore", "h11", "rich", "pygments", "greenlet", "colorama", "ctypes"),
    *("zipfile", "tempfile", "shutil", "bz2", "lzma", "difflib", "msgspec", "typing_extensions"),
    *("zlib_ng", "gzip"),
)
# What the other commands use: the importers, and talking to devices or a running daemon.
CLI_ONLY = (
    *("setsmart.config.importers", "setsmart.daemon.cloud_commands", "setsmart.daemon.control"),
    *("setsmart.daemon.direct", "setsmart.mqtt.remote", "setsmart.lan.scan"),
)


@pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("httpx", "rich", "greenlet")),
    reason="the test shows something only where httpx, rich and greenlet are installed",
)
async def test_a_cloudless_daemon_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfimports000000000001", KEY, "3.4", "plug", host="127.0.0.44") as plug,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
    ):
        config = tmp_path / "config.yaml"
        config.write_text(config_text(broker, [Dev("lamp", plug)]))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SCRIPT,
            "run",
            "-c",
            str(config),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "SETSMART_STATE_DIR": str(tmp_path / "state")},
        )
        try:
            await mqtt.wait_for(f"{BASE}/lamp", lambda m: b'"state"' in m.payload)
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(15):
                out, err = await proc.communicate()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0, err.decode()
    modules = json.loads(out.decode().splitlines()[-1])
    assert "setsmart.daemon.supervisor" in modules, "the daemon ran"
    loaded = sorted({name.split(".")[0] for name in modules} & set(HEAVY))
    assert loaded == []
    assert [name for name in modules if name.startswith(("setsmart.sim", "setsmart.demo"))] == []
    assert [name for name in modules if name.startswith(CLI_ONLY)] == []


def test_the_cloud_client_is_still_importable_from_the_package() -> None:
    from setsmart import cloud
    from setsmart.cloud import CloudClient
    from setsmart.cloud.client import CloudClient as Direct

    assert CloudClient is Direct is cloud.CloudClient
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = cloud.Nothing
