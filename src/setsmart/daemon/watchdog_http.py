"""The HTTP GET of a watchdog whose target is a URL (apart, so that httpx is imported
only by a daemon that has such a watchdog)."""

from __future__ import annotations

import httpx


class HttpProbe:
    """GETs one URL; any HTTP answer is a success. Raises TimeoutError, or ConnectionError
    with httpx's reason; `close()` when done."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        # trust_env off: a proxy from the environment would answer for the target.
        self._client = httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False)

    async def get(self) -> None:
        try:
            await self._client.get(self.url)
        except httpx.TimeoutException:
            raise TimeoutError from None
        except httpx.HTTPError as exc:
            raise ConnectionError(str(exc) or type(exc).__name__) from None

    async def close(self) -> None:
        await self._client.aclose()
