"""One check of a watchdog's target: a TCP connect, or an HTTP GET (any answer counts).

`check()` never raises for a network problem: it returns None when the target answered,
else one readable line saying why not (a name that does not resolve, a refusal, a
timeout). Any HTTP status counts as an answer: a server that answers at all proves the
way to it works, which is all that power-cycling a router could change.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from setsmart.config.watchdogs import Target

if TYPE_CHECKING:
    from setsmart.daemon.watchdog_http import HttpProbe

#: Longest a check may take, in seconds (and never longer than the time between checks).
CHECK_TIMEOUT: Final = 5.0

Address = tuple[int, str]
"""A resolved address: (socket family, IP address)."""
Resolve = Callable[[str, int], Awaitable[list[Address]]]
"""Name resolution (tests pass their own: no query leaves the machine)."""


async def resolve(host: str, port: int) -> list[Address]:
    """The system resolver's addresses for `host`; socket.gaierror when there are none."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(family, str(address[0])) for family, _, _, _, address in infos]


class TargetChecker:
    """Checks one target; `close()` when done (an HTTP target keeps a client)."""

    def __init__(self, target: Target, every: float, resolver: Resolve = resolve) -> None:
        self.target = target
        self._resolve = resolver
        self.timeout = min(CHECK_TIMEOUT, every)
        self._http: HttpProbe | None = None
        if target.url is not None:
            from setsmart.daemon.watchdog_http import HttpProbe  # noqa: PLC0415 (httpx, on use)

            self._http = HttpProbe(target.url, self.timeout)

    async def check(self) -> str | None:
        """None when the target answered, else why it did not."""
        try:
            async with asyncio.timeout(self.timeout):
                await self._attempt()
        except TimeoutError:
            return f"{self.target} did not answer within {self.timeout:g} s"
        except socket.gaierror as exc:
            return f"{self.target.host} does not resolve ({exc.strerror})"
        except OSError as exc:
            # By its errno: event loops word the same refusal differently.
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            return f"{self.target} does not answer: {reason}"
        return None

    async def _attempt(self) -> None:
        target = self.target
        # Resolved first, so that a name that resolves to nothing is said as such.
        addresses = await self._resolve(target.host, target.port)
        if self._http is not None:
            await self._http.get()
            return
        family, address = addresses[0]
        _, writer = await asyncio.open_connection(address, target.port, family=family)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
