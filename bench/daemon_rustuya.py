"""rustuya-bridge (PyPI pyrustuyabridge) in a process of its own, for the daemon benchmarks.

Prints one JSON line before the bridge starts (its version, this process's RSS with the
interpreter and the extension loaded but no device yet), then runs the bridge until
SIGTERM or SIGINT. Exit code 3 and a JSON line with "unavailable" when it is not installed.

    .venv/bin/python -m bench.daemon_rustuya --broker mqtt://127.0.0.1:1883 --state-file F
"""

from __future__ import annotations

import argparse
import json
import sys

from bench.measure import pin_to_cpu, raise_fd_limit, rss_mb
from bench.peers import peer_version

ROOT = "rustuya"
# One message per change carrying every changed DP as a JSON object, on a topic per
# device: the closest to setsmart's one state message per change.
EVENT_TOPIC = "{root}/event/{type}/{id}"
PAYLOAD_TEMPLATE = "{dps}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Run rustuya-bridge for a benchmark.")
    parser.add_argument("--broker", required=True, help="mqtt://host:port")
    parser.add_argument("--state-file", required=True, help="its device list (JSON)")
    parser.add_argument("--log-level", default="warn")
    parser.add_argument("--cpu", type=int, default=None, help="pin the bridge to this CPU")
    args = parser.parse_args()
    pin_to_cpu(args.cpu)  # before the extension starts its runtime threads
    raise_fd_limit()
    try:
        from pyrustuyabridge import PyBridgeServer
    except ImportError as exc:
        print(json.dumps({"unavailable": f"pyrustuyabridge is not installed: {exc}"}), flush=True)
        sys.exit(3)
    server = PyBridgeServer(
        mqtt_broker=args.broker,
        mqtt_root_topic=ROOT,
        mqtt_event_topic=EVENT_TOPIC,
        mqtt_payload_template=PAYLOAD_TEMPLATE,
        mqtt_client_id="bench-rustuya-bridge",
        state_file=args.state_file,
        log_level=args.log_level,
    )
    hello = {
        "peer_version": peer_version("pyrustuyabridge") or "unknown",
        "rss_before_start_mb": rss_mb(),
        "config": server.config_snapshot(),
    }
    print(json.dumps(hello, default=str), flush=True)
    server.start()  # blocks; SIGTERM ends it after its own MQTT clean-up


if __name__ == "__main__":
    main()
