"""Fuzzing: random bytes and mutated valid frames, for every version.

Nothing but our ProtocolError subclasses may come out: `receive_data` never raises (all
goes into Fault events), `FrameReader.feed` returns frames or ProtocolErrors, and
`decode_datagram` raises only DiscoveryError. The reader never holds more than one
frame of the largest allowed length, and a valid frame after garbage is still decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol import (
    VERSIONS,
    AppRequest,
    Beacon,
    ClientSession,
    DeviceError,
    DeviceSession,
    DiscoveryError,
    Fault,
    HandshakeComplete,
    ProtocolError,
    Push,
    Reply,
    Request,
    Version,
    decode_datagram,
    encode_beacon,
    encode_devinfo_request,
)
from setsmart.protocol.constants import (
    HEADER_6699_LEN,
    MAX_FRAME_LEN,
    PREFIX_55AA_BYTES,
    PREFIX_6699_BYTES,
    SUFFIX_LEN,
)
from setsmart.protocol.frame import Frame, FrameReader

from .strategies import DEVICE_ID, PROFILE, compact, versions

KEY = b"fuzz-local-key!!"
LONGEST_FRAME = HEADER_6699_LEN + MAX_FRAME_LEN + SUFFIX_LEN
"""The longest frame the length limit lets through: a 6699 frame, whose length field
counts neither its 18-byte header nor its 4-byte suffix. The reader waits for at most
one byte less than that (a 55AA frame: 16 + MAX_FRAME_LEN)."""


@dataclass
class Pair:
    """Our two ends after their handshake, with frames each side sends."""

    client: ClientSession
    device: DeviceSession
    to_client: list[bytes]
    to_device: list[bytes]


def _pair(version: Version) -> Pair:
    client = ClientSession(DEVICE_ID, KEY, version, nonce=lambda n: b"c" * n, clock=lambda: 7)
    device = DeviceSession(DEVICE_ID, KEY, version, nonce=lambda n: b"d" * n, clock=lambda: 7)
    handshake = [b""]
    if client.start() == []:
        handshake.append(client.data_to_send())
        device.receive_data(handshake[-1])
        handshake.append(device.data_to_send())
        client.receive_data(handshake[-1])
        handshake.append(client.data_to_send())
        assert device.receive_data(handshake[-1]) == [HandshakeComplete()]
    to_device = [
        handshake[1] if len(handshake) > 1 else b"",
        client.query().data,
        client.control({"1": True, "2": "x" * 40}).data,
        client.heartbeat().data,
        client.update_dps([18, 19]).data,
        client.control({"1": "x" * 200}).data,
    ]
    to_client = [
        handshake[2] if len(handshake) > 2 else b"",
        device.reply(2, 10, {"dps": {"1": True}}),
        device.status(0, 8, {"1": False, "20": 1000}),
        device.reply(3, 7, None),
        device.error(4, 10, b"json obj data unvalid"),
        device.error(5, 16, b"data format error", encrypted=True),
        device.raw(6, 0x40, b"\x01\x02\x03"),
        device.reply(7, 10, {"dps": {"1": "x" * 200}}),
    ]
    return Pair(client, device, [f for f in to_client if f], [f for f in to_device if f])


PAIRS = {version: _pair(version) for version in VERSIONS}
"""Built once: the frames are only read from."""


@st.composite
def mutated(draw: st.DrawFn, frames: list[bytes]) -> bytes:
    """One to three valid frames run together, then bit flips, cuts, splices and edits."""
    data = bytearray(b"".join(draw(st.lists(st.sampled_from(frames), min_size=1, max_size=3))))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "splice", "delete", "length", "prefix"]))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "splice":
            other = draw(st.sampled_from(frames))
            start = draw(st.integers(0, len(other)))
            data[at:at] = other[start : draw(st.integers(start, len(other)))]
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 32))]
        elif op == "length":  # a length field at a boundary, wherever it lands
            value = draw(st.sampled_from([0, 1, 27, 28, 40, MAX_FRAME_LEN, MAX_FRAME_LEN + 1]))
            data[at : at + 4] = value.to_bytes(4, "big")
        else:
            data[at:at] = draw(st.sampled_from([PREFIX_55AA_BYTES, PREFIX_6699_BYTES]))
    return bytes(data)


@st.composite
def bogus_headers(draw: st.DrawFn) -> bytes:
    """A prefix and a header of random fields, with a length near the limits, then bytes."""
    prefix = draw(st.sampled_from([PREFIX_55AA_BYTES, PREFIX_6699_BYTES]))
    length = draw(
        st.one_of(
            st.integers(0, 64),
            st.integers(MAX_FRAME_LEN - 64, MAX_FRAME_LEN + 64),
            st.just(0xFFFFFFFF),
        )
    )
    fields = draw(st.binary(min_size=8, max_size=10))
    return prefix + fields + length.to_bytes(4, "big") + draw(st.binary(max_size=128))


def garbage(frames: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=512), mutated(frames), bogus_headers())


@st.composite
def pieces(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """`data` cut into reads of random sizes."""
    out, at = [], 0
    while at < len(data):
        size = draw(st.integers(1, max(1, min(len(data) - at, 200))))
        out.append(data[at : at + size])
        at += size
    return out


@st.composite
def streams(draw: st.DrawFn, to_client: bool) -> tuple[Version, bool, list[bytes]]:
    """(version, handshake done, reads): garbage and frames for one end, in pieces."""
    version = draw(versions)
    pair = PAIRS[version]
    frames = pair.to_client if to_client else pair.to_device
    data = b"".join(
        draw(st.lists(st.one_of(garbage(frames), st.sampled_from(frames)), min_size=1, max_size=4))
    )
    return version, draw(st.booleans()), draw(pieces(data))


def _client(version: Version, *, ready: bool) -> ClientSession:
    """A client after its handshake, or one still negotiating (3.1-3.3: ready either way)."""
    if ready:
        return _pair(version).client
    client = ClientSession(DEVICE_ID, KEY, version, nonce=lambda n: b"c" * n)
    client.start()
    return client


def _device(version: Version, *, ready: bool) -> DeviceSession:
    """A device after the handshake, or one awaiting START (3.1-3.3: ready either way)."""
    if ready:
        return _pair(version).device
    return DeviceSession(DEVICE_ID, KEY, version)


@PROFILE
@given(stream=streams(to_client=True))
def test_client_receive_data_never_raises(stream: tuple[Version, bool, list[bytes]]) -> None:
    version, ready, reads = stream
    client = _client(version, ready=ready)
    for read in reads:
        for event in client.receive_data(read):
            assert isinstance(event, HandshakeComplete | Reply | Push | DeviceError | Fault)
            if isinstance(event, Fault):
                assert isinstance(event.error, ProtocolError)


@PROFILE
@given(stream=streams(to_client=False))
def test_device_receive_data_never_raises(stream: tuple[Version, bool, list[bytes]]) -> None:
    version, ready, reads = stream
    device = _device(version, ready=ready)
    for read in reads:
        for event in device.receive_data(read):
            assert isinstance(event, HandshakeComplete | Request | Fault)
            if isinstance(event, Fault):
                assert isinstance(event.error, ProtocolError)


@PROFILE
@given(stream=streams(to_client=True), big=bogus_headers())
def test_the_reader_yields_only_frames_and_protocol_errors_and_never_overfills(
    stream: tuple[Version, bool, list[bytes]], big: bytes
) -> None:
    version, _, reads = stream
    pair = _pair(version)
    reader = FrameReader(pair.client.codec.framing, pair.client.codec.frame_key, retcode=True)
    for read in [*reads, big, bytes(LONGEST_FRAME)]:
        for item in reader.feed(read):
            assert isinstance(item, Frame | ProtocolError)
        assert reader.buffered < LONGEST_FRAME


datagrams = st.one_of(
    st.binary(max_size=600),
    mutated(
        [encode_beacon({"gwId": "g" * 20, "ip": "10.0.0.1", "version": v}, v) for v in VERSIONS]
        + [encode_devinfo_request("10.0.0.2")]
    ),
    bogus_headers(),
)


@PROFILE
@given(data=datagrams)
def test_decode_datagram_raises_only_discovery_errors(data: bytes) -> None:
    try:
        result = decode_datagram(data)
    except DiscoveryError:
        return
    assert isinstance(result, Beacon | AppRequest)


# --- Resync ---------------------------------------------------------------------------

AFTER = {"dps": {"99": "after-the-garbage"}}
"""The content of the valid frame: no frame of the corpus carries it."""


@st.composite
def garbage_then_valid(draw: st.DrawFn, to_client: bool) -> tuple[Pair, list[bytes]]:
    """A fresh pair, and reads holding garbage then one valid frame for one end.

    The other framing's prefix in the garbage would mean the device speaks another
    version (fatal, by design), so it is taken out. Garbage may announce a frame of up
    to the maximum length: the reads end with as many bytes, which complete it, so that
    it fails and the reader looks again from just after its prefix.
    """
    version = draw(versions)
    pair = _pair(version)
    frames = pair.to_client if to_client else pair.to_device
    other = PREFIX_55AA_BYTES if version == "3.5" else PREFIX_6699_BYTES
    valid = (
        pair.device.reply(77, 10, AFTER) if to_client else pair.client.control(AFTER["dps"]).data
    )
    # A frame that lost as many bytes as the valid frame has: its length field then
    # reaches exactly to the valid frame's suffix.
    cut_short = st.sampled_from(frames).map(lambda f: f[: len(f) - len(valid)])
    junk = draw(st.one_of(garbage(frames), cut_short))
    while other in junk:  # taking one out can join two halves into another
        junk = junk.replace(other, b"")
    return pair, [*draw(pieces(junk + valid)), b"\xff" * LONGEST_FRAME]


@PROFILE
@given(case=garbage_then_valid(to_client=True))
def test_a_client_still_reads_a_valid_frame_after_garbage(
    case: tuple[Pair, list[bytes]],
) -> None:
    pair, reads = case
    events = [event for read in reads for event in pair.client.receive_data(read)]
    assert Reply(77, 10, 0, AFTER) in events


@PROFILE
@given(case=garbage_then_valid(to_client=False))
def test_a_device_still_reads_a_valid_frame_after_garbage(
    case: tuple[Pair, list[bytes]],
) -> None:
    pair, reads = case
    events = [event for read in reads for event in pair.device.receive_data(read)]
    assert any(isinstance(e, Request) and e.dps == AFTER["dps"] for e in events)


@PROFILE
@given(case=garbage_then_valid(to_client=True))
def test_the_reader_still_yields_a_valid_frame_after_garbage(
    case: tuple[Pair, list[bytes]],
) -> None:
    pair, reads = case
    codec = pair.client.codec
    reader = FrameReader(codec.framing, codec.frame_key, retcode=True)
    frames = [item for read in reads for item in reader.feed(read) if isinstance(item, Frame)]
    assert any(frame.seqno == 77 and codec.open(frame).text == compact(AFTER) for frame in frames)


# --- A whole conversation, cut anywhere -------------------------------------------------


def _conversation(version: Version) -> tuple[bytes, bytes]:
    """Every byte each end receives in one connection: handshake, then three exchanges."""
    client = ClientSession(DEVICE_ID, KEY, version, nonce=lambda n: b"c" * n, clock=lambda: 7)
    device = DeviceSession(DEVICE_ID, KEY, version, nonce=lambda n: b"d" * n, clock=lambda: 7)
    to_device, to_client = b"", b""
    if client.start() == []:
        to_device += (start := client.data_to_send())
        device.receive_data(start)
        to_client += (answer := device.data_to_send())
        client.receive_data(answer)
        to_device += (finish := client.data_to_send())
        device.receive_data(finish)
    for out in (client.query(), client.control({"1": True}), client.heartbeat()):
        to_device += out.data
        to_client += device.reply(device.reply_seqno(out.seqno), out.cmd, {"ok": out.seqno})
    return to_device, to_client


@PROFILE
@given(version=versions, data=st.data())
def test_a_conversation_cut_anywhere_gives_the_same_events(
    version: Version, data: st.DataObject
) -> None:
    # The frames after FINISH are sealed with the session key: they must be read with it
    # even when they come in the same read as the handshake's last frame.
    to_device, to_client = _conversation(version)
    client = ClientSession(DEVICE_ID, KEY, version, nonce=lambda n: b"c" * n)
    device = DeviceSession(DEVICE_ID, KEY, version, nonce=lambda n: b"d" * n)
    client.start()
    client_events = [e for read in data.draw(pieces(to_client)) for e in client.receive_data(read)]
    device_events = [e for read in data.draw(pieces(to_device)) for e in device.receive_data(read)]
    assert not any(isinstance(e, Fault) for e in [*client_events, *device_events])
    assert [type(e) for e in client_events][-3:] == [Reply] * 3
    assert [type(e) for e in device_events][-3:] == [Request] * 3
