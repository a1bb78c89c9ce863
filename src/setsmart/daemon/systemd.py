"""sd_notify without a dependency: tell systemd we are ready, alive, reloading or stopping.

The protocol is one AF_UNIX datagram of newline-separated ``KEY=VALUE`` lines sent to
``$NOTIFY_SOCKET`` (a path, or an abstract socket written with a leading ``@``). Outside
systemd the variable is unset and every method does nothing.

Rules kept here:
- A notification never raises and never blocks: the socket is non-blocking and a failed
  send is logged at debug level only (systemd may have gone away; the daemon goes on).
- The watchdog is on only when ``$WATCHDOG_USEC`` is set and ``$WATCHDOG_PID``, if set,
  names this process; WATCHDOG=1 is then due every half of the timeout.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping
from typing import Final

_log = logging.getLogger(__name__)

NOTIFY_SOCKET_ENV: Final = "NOTIFY_SOCKET"
WATCHDOG_USEC_ENV: Final = "WATCHDOG_USEC"
WATCHDOG_PID_ENV: Final = "WATCHDOG_PID"
_MAX_STATUS: Final = 1024  # STATUS= is shown by `systemctl status`; keep it a line


def _socket_address(raw: str) -> str | bytes | None:
    """The address to send to, or None for one we cannot use (vsock, relative path)."""
    if raw.startswith("@"):
        return b"\0" + raw[1:].encode()
    if raw.startswith("/"):
        return raw
    return None


def _watchdog_seconds(environ: Mapping[str, str], pid: int) -> float | None:
    usec = environ.get(WATCHDOG_USEC_ENV, "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    owner = environ.get(WATCHDOG_PID_ENV)
    if owner and owner != str(pid):
        return None  # the watchdog belongs to another process (our parent, say)
    return int(usec) / 1_000_000


class Notifier:
    """A client for systemd's notification socket; a no-op when not run by systemd.

    ``environ`` and ``pid`` default to this process's; tests pass their own.
    """

    def __init__(self, environ: Mapping[str, str] | None = None, *, pid: int | None = None) -> None:
        env = os.environ if environ is None else environ
        raw = env.get(NOTIFY_SOCKET_ENV, "")
        self._address = _socket_address(raw) if raw else None
        if raw and self._address is None:
            _log.debug("sd_notify: unsupported NOTIFY_SOCKET %r, notifications off", raw)
        self._timeout = _watchdog_seconds(env, os.getpid() if pid is None else pid)
        self._socket: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        """Whether a notification socket is configured (we run under systemd, Type=notify)."""
        return self._address is not None

    @property
    def watchdog_timeout(self) -> float | None:
        """systemd's WatchdogSec= in seconds, or None when the watchdog is off."""
        return self._timeout if self.enabled else None

    @property
    def watchdog_interval(self) -> float | None:
        """How often to call :meth:`watchdog`, in seconds (half the timeout), or None."""
        timeout = self.watchdog_timeout
        return None if timeout is None else timeout / 2

    def ready(self, status: str | None = None) -> bool:
        """READY=1: start-up is complete (config loaded, MQTT connected)."""
        return self._send("READY=1", status)

    def status(self, text: str) -> bool:
        """STATUS=: one line shown by `systemctl status`."""
        return self._send(None, text)

    def watchdog(self) -> bool:
        """WATCHDOG=1: the event loop is alive. Does nothing when the watchdog is off."""
        if self.watchdog_interval is None:
            return False
        return self._send("WATCHDOG=1", None)

    def reloading(self, status: str | None = None) -> bool:
        """RELOADING=1 with MONOTONIC_USEC; call :meth:`ready` once the reload is done."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self._send(f"RELOADING=1\nMONOTONIC_USEC={usec}", status)

    def stopping(self, status: str | None = None) -> bool:
        """STOPPING=1: shutdown has begun."""
        return self._send("STOPPING=1", status)

    def notify(self, *fields: str) -> bool:
        """Send raw ``KEY=VALUE`` fields in one datagram; True if it was sent."""
        if self._address is None or not fields:
            return False
        payload = "\n".join(fields).encode()
        try:
            if self._socket is None:
                self._socket = socket.socket(
                    socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                )
                self._socket.setblocking(False)
            self._socket.sendto(payload, self._address)
        except OSError as exc:
            _log.debug("sd_notify: sending %s failed: %s", fields[0].partition("=")[0], exc)
            return False
        return True

    def close(self) -> None:
        """Close the socket; a later notification opens a new one."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send(self, state: str | None, status: str | None) -> bool:
        fields = [] if state is None else [state]
        if status is not None:
            line = " ".join(status.split())  # one line: a newline would start a new field
            fields.append(f"STATUS={line[:_MAX_STATUS]}")
        return self.notify(*fields)

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
