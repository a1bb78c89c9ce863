"""Discovery as a device does it: the beacon JSON, and UDP sockets to send it from.

| version  | beacon                                                              |
|----------|---------------------------------------------------------------------|
| 3.1      | 55AA cmd 0, plain JSON (spelled "ability"), meant for UDP 6666      |
| 3.2-3.4  | 55AA cmd 0x13, AES-ECB(UDP key) JSON ("ablilty", sic), for UDP 6667 |
| 3.5      | silent; answers REQ_DEVINFO with a 6699 cmd 0x13 frame (responder)  |

The JSON follows the captures in PROTOCOL.md: 3.4 and 3.5 add `token` and `wf_cfg`.
"""

from __future__ import annotations

import socket
from typing import Any

from setsmart.protocol import Version, encode_beacon
from setsmart.sim.loopback import require_loopback, require_loopback_target


def beacon_info(device_id: str, host: str, version: Version, product_key: str) -> dict[str, Any]:
    """The JSON a device of `version` announces itself with."""
    ability = "ability" if version == "3.1" else "ablilty"  # firmware's own spelling
    info: dict[str, Any] = {
        "ip": host,
        "gwId": device_id,
        "active": 2,
        ability: 0,
        "mode": 0,
        "encrypt": True,
        "productKey": product_key,
        "version": version,
    }
    if version in ("3.4", "3.5"):
        info["token"] = True
        info["wf_cfg"] = True
    return info


def beacon_datagram(device_id: str, host: str, version: Version, product_key: str) -> bytes:
    """The datagram itself, in the framing of `version`."""
    return encode_beacon(beacon_info(device_id, host, version, product_key), version)


class UdpSenders:
    """One UDP socket per loopback source address, shared by the devices living there.

    Datagrams leave from the device's own address, as a real device's would. Sending is
    a non-blocking `sendto`: a datagram the kernel cannot take at once is dropped, which
    is what UDP promises anyway.
    """

    def __init__(self) -> None:
        self._sockets: dict[str, socket.socket] = {}

    def send(self, source: str, data: bytes, target: tuple[str, int]) -> bool:
        """Send `data` from `source` to the loopback `target`; False when it was dropped."""
        require_loopback_target(target, "UDP target")
        sock = self._sockets.get(source)
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setblocking(False)
            try:
                sock.bind((require_loopback(source, "UDP source"), 0))
            except OSError:
                sock.close()
                raise
            self._sockets[source] = sock
        try:
            sock.sendto(data, target)
        except OSError:  # buffer full, or an ICMP error left on the socket
            return False
        return True

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()
