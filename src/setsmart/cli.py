"""The `setsmart` command: argument parsing and output, no logic of its own."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from setsmart import __version__, eventloop
from setsmart.config import (
    Config,
    DeviceConfig,
    load_config,
    resolve_config_path,
    summary,
)
from setsmart.daemon.app import run_daemon
from setsmart.daemon.firmware import UpgradeInfo, module_document
from setsmart.daemon.logs import configure_logging
from setsmart.daemon.operations import read_history, scan_rows
from setsmart.daemon.store import default_state_dir
from setsmart.errors import SetsmartError, UsageError

if TYPE_CHECKING:
    from setsmart.config.importers import ImportResult

# The commands that talk to devices, the cloud or a running daemon, and the importers,
# import what they need when they run: `setsmart run` keeps none of it loaded (0.3 MB).

EXIT_OK = 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except SetsmartError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, told the terminal's width: without one it imports shutil (and with it
    bz2 and lzma) to ask, at every parser made, even for `setsmart run`."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_columns() - 2)  # argparse's own margin


class _Parser(argparse.ArgumentParser):
    """A parser whose help uses `_HelpFormatter`; its subcommands' parsers are of this class."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formatter_class=_HelpFormatter, **kwargs)


def _terminal_columns() -> int:
    """What shutil.get_terminal_size() says: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            columns = 0
    return columns if columns > 0 else 80


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="setsmart",
        description="Local-first control of Tuya-based Wi-Fi devices, bridged to MQTT.",
    )
    parser.add_argument("--version", action="version", version=f"setsmart {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the daemon in the foreground (systemd runs this)")
    _config_option(run)
    run.set_defaults(handler=_run)

    demo = commands.add_parser("demo", help="simulated devices, a broker and the daemon, to try it")
    _config_option(demo)
    demo.set_defaults(handler=_demo)

    check = commands.add_parser("check-config", help="validate the configuration and summarise it")
    _config_option(check)
    check.set_defaults(handler=_check_config)

    scan_cmd = commands.add_parser("scan", help="list the devices broadcasting on the LAN")
    scan_cmd.add_argument(
        "--timeout", type=float, default=18.0, metavar="S", help="seconds to listen (18)"
    )
    scan_cmd.add_argument("--json", action="store_true", help="print JSON")
    _config_option(scan_cmd)
    scan_cmd.set_defaults(handler=_scan)

    _history_options(commands.add_parser("history", help="print a device's recent readings"))

    status = commands.add_parser("status", help="print a device's state")
    status.add_argument("device", metavar="NAME|ID")
    status.add_argument(
        "--json", action="store_true", help="print the JSON of the MQTT state topic"
    )
    _config_option(status)
    status.set_defaults(handler=_status)

    set_cmd = commands.add_parser(
        "set", help="change a device: key=value ... (the keys of a /set payload)"
    )
    set_cmd.add_argument("device", metavar="NAME|ID")
    set_cmd.add_argument(
        "assignments",
        nargs="+",
        metavar="key=value",
        help="e.g. state=OFF brightness=128 dps.1=true",
    )
    _config_option(set_cmd)
    set_cmd.set_defaults(handler=_set)

    import_cmd = commands.add_parser("import", help="turn another tool's device list into YAML")
    sources = import_cmd.add_subparsers(dest="source", required=True, metavar="SOURCE")
    tinytuya = sources.add_parser("tinytuya", help="the devices.json that `tinytuya wizard` writes")
    tinytuya.add_argument("file", metavar="devices.json")
    tinytuya.add_argument(
        "-c",
        "--config",
        metavar="PATH",
        help="merge into this configuration (its other sections are kept as written)",
    )
    _output_options(tinytuya)
    tinytuya.set_defaults(handler=_import_tinytuya)

    cloud = commands.add_parser("cloud", help="the Tuya cloud project of the configuration")
    cloud_commands = cloud.add_subparsers(dest="cloud_command", required=True, metavar="COMMAND")
    cloud_import = cloud_commands.add_parser(
        "import",
        help="the configuration with every device of the app account (ids, local keys, types)",
    )
    cloud_import.add_argument(
        "--device",
        action="append",
        default=[],
        metavar="ID",
        help="any device of the app account (repeat for more accounts); "
        "default: the configured devices",
    )
    cloud_import.add_argument(
        "--uid", metavar="UID", help="the app account's uid, instead of --device"
    )
    _config_option(cloud_import)
    _output_options(cloud_import)
    cloud_import.set_defaults(handler=_cloud_import)

    firmware = commands.add_parser(
        "firmware", help="a device's firmware versions from the cloud; --upgrade starts one"
    )
    firmware.add_argument("device", metavar="NAME|ID")
    firmware.add_argument(
        "--upgrade", action="store_true", help="upgrade every module that has a new version"
    )
    firmware.add_argument("--json", action="store_true", help="print JSON")
    _config_option(firmware)
    firmware.set_defaults(handler=_firmware)
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", metavar="PATH", help="configuration file")


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write here (mode 0600) instead of to stdout"
    )
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")


def _load(args: argparse.Namespace, *, required: bool = True) -> Config | None:
    path = resolve_config_path(args.config, os.environ)
    if not required and args.config is None and not Path(path).exists():
        return None
    return load_config(path)


def _run(args: argparse.Namespace) -> int:
    return run_daemon(resolve_config_path(args.config, os.environ))


def _demo(args: argparse.Namespace) -> int:
    # Imported here: the simulated devices are no part of what `setsmart run` keeps loaded.
    from setsmart.demo import run_demo  # noqa: PLC0415

    config = _load(args, required=False) or Config()
    configure_logging(level="warning")
    eventloop.run(run_demo(config, lambda line: print(line, flush=True)))
    return EXIT_OK


def _check_config(args: argparse.Namespace) -> int:
    config = _load(args)
    assert config is not None  # noqa: S101 (required=True)
    print(summary(config))
    return EXIT_OK


def _scan(args: argparse.Namespace) -> int:
    from setsmart.lan.scan import scan  # noqa: PLC0415 (see the imports)

    config = _load(args, required=False)
    lan = (config or Config()).lan
    names = {d.id: d.name for d in config.devices} if config else {}
    sightings = eventloop.run(
        scan(bind=lan.bind, ports=lan.discovery_ports, probe=lan.probe, duration=args.timeout)
    )
    rows = scan_rows(sightings, names)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows)
    return EXIT_OK


def _print_table(rows: list[dict[str, str | None]]) -> None:
    if not rows:
        print("No devices heard. Are they on this network, and is UDP 6666/6667/7000 open?")
        return
    headers = ["ID", "ADDRESS", "VERSION", "PRODUCT KEY", "NAME"]
    cells = [
        [
            r["id"] or "",
            r["ip"] or "",
            r["version"] or "?",
            r["product_key"] or "",
            r["name"] or "-",
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    for line in [headers, *cells]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def _history_options(history: argparse.ArgumentParser) -> None:
    history.add_argument("device", metavar="NAME|ID")
    history.add_argument("--key", default="power", help="the state key (power)")
    history.add_argument(
        "--since", type=_duration, default=86400.0, metavar="AGE", help="30m, 24h, 2d (24h)"
    )
    _config_option(history)
    history.set_defaults(handler=_history)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BARS = "▁▂▃▄▅▆▇█"
_SPARK_WIDTH = 60


def _duration(text: str) -> float:
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not an age such as 30m, 24h or 2d")
    return int(number) * _UNITS[unit]


def _history(args: argparse.Namespace) -> int:
    from setsmart.daemon.direct import find_device  # noqa: PLC0415 (see the imports)

    config = _load(args)
    assert config is not None  # noqa: S101 (required=True)
    device = find_device(config, args.device)
    now = time.time()
    document = read_history(default_state_dir(), device.name, args.key, now - args.since, now)
    points = document["points"]
    assert isinstance(points, list)  # noqa: S101 (history_document's shape)
    unit = f" {document['unit']}" if document["unit"] else ""
    if not points:
        print(f"{device.name}: no {args.key} readings in that time")
        return EXIT_OK
    values = [float(p["v"]) for p in points]
    low, high = min(values), max(values)
    step = max(1, -(-len(values) // _SPARK_WIDTH))
    buckets = [values[i : i + step] for i in range(0, len(values), step)]
    spread = (high - low) or 1.0
    line = "".join(
        _BARS[round((sum(b) / len(b) - low) / spread * (len(_BARS) - 1))] for b in buckets
    )
    print(f"{device.name} {args.key}, {points[0]['t']} .. {points[-1]['t']}")
    print(line)
    last = values[-1]
    print(f"min {low:g}{unit}  max {high:g}{unit}  last {last:g}{unit}  ({len(values)} readings)")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from setsmart.daemon.control import device_status  # noqa: PLC0415
    from setsmart.daemon.direct import find_device  # noqa: PLC0415 (see the imports)

    config = _load(args)
    assert config is not None  # noqa: S101 (required=True)
    device = find_device(config, args.device)
    state = eventloop.run(device_status(config, device))
    _print_state(state, as_json=args.json)
    return EXIT_OK


def _set(args: argparse.Namespace) -> int:
    from setsmart.daemon.control import device_set  # noqa: PLC0415
    from setsmart.daemon.direct import find_device  # noqa: PLC0415 (see the imports)

    config = _load(args)
    assert config is not None  # noqa: S101 (required=True)
    device = find_device(config, args.device)
    payload = parse_assignments(args.assignments)
    state = eventloop.run(device_set(config, device, payload))
    _print_state(state, as_json=True)
    return EXIT_OK


def _print_state(state: dict[str, object], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(state, separators=(",", ":")))
        return
    for key, value in state.items():
        print(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")


def parse_assignments(assignments: Sequence[str]) -> object:
    """`state=OFF brightness=128 dps.1=true` -> `/set` JSON; a lone ON/OFF/TOGGLE stays plain."""
    if len(assignments) == 1 and assignments[0].upper() in ("ON", "OFF", "TOGGLE"):
        return assignments[0].upper()
    payload: dict[str, object] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UsageError(
                f"{item!r} is not key=value (e.g. state=OFF, brightness=128, dps.1=true)"
            )
        *parents, leaf = key.split(".")
        node = payload
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise UsageError(f"{key!r}: {part!r} is given both as a value and as an object")
            node = child
        node[leaf] = _value(raw)
    return payload


def _value(raw: str) -> object:
    """JSON when it parses (true, 128, {"h":120,"s":100}), else the text itself (OFF, #ff0000)."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _import_tinytuya(args: argparse.Namespace) -> int:
    from setsmart.config.importers import load_tinytuya, render_config  # noqa: PLC0415

    base = load_config(args.config) if args.config else None
    result = load_tinytuya(args.file, existing=base.devices if base else ())
    origin = f"{Path(args.file).name} (tinytuya)"
    _write_import(args, result, render_config(result, base=base, header=_header(origin)), base)
    return EXIT_OK


def _cloud_import(args: argparse.Namespace) -> int:
    from setsmart.config.importers import render_config  # noqa: PLC0415 (see the imports)
    from setsmart.daemon.cloud_commands import cloud_client, import_from_cloud  # noqa: PLC0415

    config = _load(args)
    assert config is not None  # noqa: S101 (required=True)

    async def fetch() -> ImportResult:
        async with cloud_client(config, "setsmart cloud import") as client:
            return await import_from_cloud(
                client, existing=config.devices, device_ids=args.device, uid=args.uid
            )

    result = eventloop.run(fetch())
    header = _header("the Tuya cloud")
    _write_import(args, result, render_config(result, base=config, header=header), config)
    return EXIT_OK


def _header(origin: str) -> str:
    day = datetime.now(UTC).date().isoformat()
    return (
        f"setsmart devices imported from {origin} on {day}.\n"
        "This file holds local keys: keep it private. Add an mqtt: section (and cloud:)\n"
        "as needed, then check it with `setsmart check-config -c FILE`."
    )


def _write_import(
    args: argparse.Namespace, result: ImportResult, text: str, base: Config | None
) -> None:
    from setsmart.config.importers import (  # noqa: PLC0415 (see the imports)
        import_summary,
        moved_paths_note,
        write_private_file,
    )

    if args.output:
        path = write_private_file(args.output, text, force=args.force)
    else:
        sys.stdout.write(text)
    print(import_summary(result), file=sys.stderr)
    if args.output:
        note = moved_paths_note(base, path) if base else None
        if note:
            print(f"note: {note}", file=sys.stderr)
        print(f"wrote {path} (mode 0600: it holds local keys)", file=sys.stderr)


# How `setsmart firmware` names Tuya's module types for people (MQTT uses module_name).
_MODULE_LABELS = {0: "Wi-Fi module", 1: "Bluetooth module", 3: "Zigbee module", 9: "MCU"}


def _firmware(args: argparse.Namespace) -> int:
    from setsmart.daemon.cloud_commands import firmware  # noqa: PLC0415
    from setsmart.daemon.direct import find_device  # noqa: PLC0415 (see the imports)

    config = _load(args)
    assert config is not None  # noqa: S101 (required=True)
    device = find_device(config, args.device)
    infos, started = eventloop.run(firmware(config, device, upgrade=args.upgrade))
    if args.json:
        _print_firmware_json(device, infos, started)
    else:
        _print_firmware(device, infos, started, asked=args.upgrade)
    return EXIT_OK


def _print_firmware_json(
    device: DeviceConfig, infos: Sequence[UpgradeInfo], started: Sequence[UpgradeInfo]
) -> None:
    modules = [
        {key: value for key, value in module_document(info).items() if key != "description"}
        for info in infos
    ]
    started_types = [info.module_type for info in started]
    document = {"name": device.name, "id": device.id, "modules": modules}
    print(json.dumps(document | {"upgrade_started": started_types}, indent=2))


def _print_firmware(
    device: DeviceConfig,
    infos: Sequence[UpgradeInfo],
    started: Sequence[UpgradeInfo],
    *,
    asked: bool,
) -> None:
    if not infos:
        print(f"{device.name} ({device.id}): the Tuya cloud lists no firmware modules")
        return
    print(f"{device.name} ({device.id}), firmware as the Tuya cloud knows it:")
    labels = [
        f"{info.module_desc or _MODULE_LABELS.get(info.module_type, 'module')} ({info.module_type})"
        for info in infos
    ]
    width = max(len(label) for label in labels)
    for label, info in zip(labels, infos, strict=True):
        print(f"  {label.ljust(width)}  {info.current_version or '?':<10}  {_upgrade_text(info)}")
    if started:
        moves = ", ".join(
            f"{_MODULE_LABELS.get(i.module_type, i.module_desc or 'module')} "
            f"{i.current_version or '?'} -> {i.upgrade_version or 'new'}"
            for i in started
        )
        print(
            f"started the upgrade of {device.name}: {moves}. The device installs it and "
            f"restarts (keep it powered); `setsmart firmware {device.name}` shows progress."
        )
    elif asked and any(info.upgrading for info in infos):
        print(f"an upgrade is already running on {device.name}")
    elif asked:
        print(f"nothing to upgrade on {device.name}: its firmware is up to date")
    elif any(info.available for info in infos):
        print(f"to upgrade: setsmart firmware {device.name} --upgrade")


def _upgrade_text(info: UpgradeInfo) -> str:
    target = info.upgrade_version or "a new version"
    return {
        0: "up to date",
        1: f"{target} available",
        2: f"upgrading to {target}",
        3: "upgraded",
        4: "the last upgrade failed",
    }.get(info.upgrade_status, f"upgrade status {info.upgrade_status}")


def _error(message: str) -> None:
    print(f"setsmart: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
