"""The state documents a runtime publishes: only when something but `last_seen` changed,
`last_seen` last, and each one left as it was published."""

from __future__ import annotations

from setsmart.config import DeviceConfig, LanConfig
from setsmart.daemon.runtime import DeviceRuntime
from tests.daemon.test_runtime_commands import Outbox


class Recorder(Outbox):
    def __init__(self) -> None:
        self.documents: list[dict[str, object]] = []

    def state(self, device: DeviceRuntime, document: dict[str, object]) -> None:
        self.documents.append(document)


def test_a_state_is_published_again_only_when_it_changed() -> None:
    outbox = Recorder()
    runtime = DeviceRuntime(
        DeviceConfig(id="bfstate0000000000001", name="desk", type="plug"), LanConfig(), outbox
    )
    runtime._on_dps({"1": True, "19": 123}, full=True, count_energy=False)
    runtime._on_dps({"1": True}, full=False, count_energy=False)
    runtime._on_dps({"19": 456}, full=False, count_energy=False)
    runtime.republish()
    first, second, third = outbox.documents
    assert list(first)[-1] == list(second)[-1] == "last_seen"
    assert first == {
        "state": "ON",
        "power": 12.3,
        "dps": {"1": True, "19": 123},
        "source": "cloud",
        "last_seen": first["last_seen"],
    }
    assert (second["power"], second["dps"]) == (45.6, {"1": True, "19": 456})
    assert {**third, "last_seen": None} == {**second, "last_seen": None}
