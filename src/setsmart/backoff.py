"""Capped exponential backoff with jitter, for reconnects."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Shared: a Random of its own per backoff is 2.5 KB of Mersenne Twister state, per device.
_JITTER = random.Random()


@dataclass(slots=True)
class Backoff:
    """Delays of base * 2**n, capped, each scaled by a random factor in [1 - jitter, 1]."""

    base: float = 0.5
    cap: float = 60.0
    jitter: float = 0.5
    attempts: int = 0
    _random: random.Random = field(default=_JITTER, repr=False)

    def next_delay(self) -> float:
        delay: float = min(self.cap, self.base * 2.0 ** min(self.attempts, 32))
        self.attempts += 1
        return delay * (1 - self.jitter * self._random.random())

    def reset(self) -> None:
        self.attempts = 0
