"""The live-event hub: latest states, the recent log, listeners that fall behind dropped."""

from __future__ import annotations

from setsmart.daemon.events import EventHub


async def test_a_listener_gets_events_in_order_and_a_slow_one_is_dropped() -> None:
    hub = EventHub(limit=3, log_kept=2)
    with hub.listen() as fast, hub.listen() as slow:
        hub.state("plug", {"state": "ON"})
        assert await fast.next() == ("state", {"device": "plug", "state": {"state": "ON"}})
        for n in range(4):
            hub.publish("log", {"level": "info", "message": str(n)})
            assert await fast.next() == ("log", {"level": "info", "message": str(n)})
        assert slow.closed
        seen = [await slow.next() for _ in range(4)]
        assert seen[-1] is None  # the end of its stream, after what it had room for
    assert hub.states == {"plug": {"state": "ON"}}
    assert [entry["message"] for entry in hub.log(10)] == ["2", "3"]
    assert hub.log(1) == [{"level": "info", "message": "3"}]
    assert hub.log(0) == []
    hub.forget("plug")
    assert hub.states == {}
    hub.publish("state", {})  # nobody listening: nothing kept but states and the log
