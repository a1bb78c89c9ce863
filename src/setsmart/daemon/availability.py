"""When a device counts as online: no flapping on a brief reconnect.

Online: a live session whose heartbeats are answered (the link says so at once).
Offline: only once the session has been down for `grace` seconds, or after
`max_failures` reconnects in a row failed, whichever comes first; at once when the
device is known to be out of reach (a gateway says so of its sub-device). Back online
the moment the link is up again (its state is read first).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Availability:
    grace: float = 20.0
    max_failures: int = 3
    online: bool = False
    down_since: float | None = None
    failures: int = 0

    def up(self) -> bool:
        """The session is up; returns True when this changes the availability."""
        changed = not self.online
        self.online, self.down_since, self.failures = True, None, 0
        return changed

    def down(self, now: float, *, at_once: bool = False) -> bool:
        """The session is down or a reconnect failed; True when the device turns offline
        (`at_once`: known to be unreachable, no grace)."""
        if self.down_since is None:
            self.down_since = now
        self.failures += 1
        if at_once and self.online:
            self.online = False
            return True
        return self.check(now)

    def asleep(self) -> None:
        """A sleeping device's session ended: not connected, and no grace runs (its sleep
        window decides whether it is online)."""
        self.online, self.down_since, self.failures = False, None, 0

    def check(self, now: float) -> bool:
        """Re-evaluate with time passing; True when the device turns offline now."""
        if not self.online or self.down_since is None:
            return False
        if self.failures >= self.max_failures or now - self.down_since >= self.grace:
            self.online = False
            return True
        return False

    @property
    def deadline(self) -> float | None:
        """When `check` may turn the device offline (None: nothing pending)."""
        if not self.online or self.down_since is None:
            return None
        return self.down_since + self.grace
