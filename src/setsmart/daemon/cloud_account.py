"""The daemon's one Tuya cloud account: the shared client, its routes and its quota.

Cloud projects have a monthly allowance of API calls. The account carries the month's
call count over restarts (saved in the state directory every `energy.SAVE_EVERY` seconds
when it changed, when a warning is given and at close), warns on `bridge/log` at 80 % of
the allowance and when it is reached, and counts failed calls. Every device gets its
`CloudRoute` here; requests started on behalf of MQTT (firmware) are tracked so that
closing the account (a reload that changes `cloud:`, or the end) cancels them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from setsmart.cloud import CallBudget, CloudError
from setsmart.config import CloudConfig, DeviceConfig
from setsmart.daemon.cloud_route import CloudRoute, CloudTuning, make_client
from setsmart.daemon.saver import StateSaver
from setsmart.daemon.store import CloudUsage, StateError, load_cloud_usage, save_cloud_usage
from setsmart.mqtt.payloads import LogLevel

if TYPE_CHECKING:
    from setsmart.cloud import CloudClient


@dataclass(eq=False, slots=True)
class CloudAccount:
    saver: StateSaver
    tuning: CloudTuning
    #: A line for `bridge/log`.
    report: Callable[[LogLevel, str], None]
    #: Starts a task the owner watches (None when the owner is not running).
    spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None] | None]
    client: CloudClient | None = field(init=False, default=None)
    usage: CloudUsage = field(init=False, default_factory=CloudUsage)
    _saved_calls: int = field(init=False, default=0)
    _requests: set[asyncio.Task[None]] = field(init=False, default_factory=set)

    def load(self) -> list[StateError]:
        """Read the call count of an earlier run; the problems found."""
        loaded = load_cloud_usage(self.saver.store)
        self.usage = loaded.value
        self._saved_calls = loaded.value.calls
        return list(loaded.problems)

    def open(self, settings: CloudConfig | None) -> None:
        """Make the shared client, when the configuration has a cloud section."""
        self.client = None
        if settings is None:
            return
        try:
            client = make_client(settings, self.tuning, on_budget=self._on_budget)
        except CloudError as exc:
            self.report("error", f"the Tuya cloud is not used: {exc}")
            return
        client.restore_calls(self.usage.month, self.usage.calls)
        self.client = client
        budget = client.call_budget
        if budget.warning:
            self._on_budget(budget)

    async def close(self) -> None:
        """Cancel the requests under way, close the client and save the count."""
        for task in list(self._requests):
            task.cancel()
        client, self.client = self.client, None
        if client is None:
            return
        self.usage = self._usage_now(client)
        await client.aclose()
        usage = self.usage
        if usage.calls != self._saved_calls and self.saver.write_now(save_cloud_usage, usage):
            self._saved_calls = usage.calls

    def route(self, config: DeviceConfig) -> CloudRoute | None:
        """The device's way through the cloud; None without a client."""
        if self.client is None:
            return None
        return CloudRoute(self.client, config.id, config.name, on_failure=self._count_failure)

    def track(self, task: asyncio.Task[None]) -> None:
        """A request through the cloud, cancelled if the account closes first."""
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def save_usage(self) -> None:
        """Save the month's count if it changed since the last save."""
        if self.client is None:
            return
        usage = self.usage = self._usage_now(self.client)
        if usage.calls != self._saved_calls:
            copy = CloudUsage(usage.month, usage.calls, usage.failures)
            if await self.saver.write(save_cloud_usage, copy):
                self._saved_calls = copy.calls  # saves end in the order asked

    def _count_failure(self) -> None:
        if self.client is not None:
            self.usage = self._usage_now(self.client)
        self.usage.failures += 1

    def _usage_now(self, client: CloudClient) -> CloudUsage:
        budget = client.call_budget
        failures = self.usage.failures if budget.month == self.usage.month else 0
        return CloudUsage(budget.month, budget.calls, failures)

    def _on_budget(self, budget: CallBudget) -> None:
        share = round(100 * budget.calls / budget.limit)
        if budget.calls >= budget.limit:
            state = (
                f"the plan's monthly allowance of about {budget.limit} calls is reached; "
                "the cloud may refuse calls until next month"
            )
        else:
            state = (
                f"{share}% of the plan's monthly allowance of about {budget.limit} calls; "
                "past it the cloud may refuse calls until next month"
            )
        self.report(
            "warning",
            f"the Tuya cloud has been called {budget.calls} times this month ({budget.month}): "
            f"{state}. Give devices their local_key, or raise cloud.poll, to call it less",
        )
        self.spawn(self.save_usage(), "save-usage")
