"""The registered secrets, found and masked in a text in one pass.

A regular expression alternating every secret was compiled again for each new one: with
1000 local keys that is 1000 compilations of a growing pattern, and `re` keeps the last
512 of them in its cache (50 MB). Here the secrets sit in sets, one per length; a text is
scanned once, and at each position the longest secret that starts there is masked (what
the alternation, longest first, did). Cost: one slice and one set lookup per position
and distinct length; memory: the secrets themselves.
"""

from __future__ import annotations


class SecretSet:
    """Secret strings (of at least one character) to mask in texts."""

    __slots__ = ("_by_length", "_lengths")

    def __init__(self) -> None:
        self._by_length: dict[int, frozenset[str]] = {}
        self._lengths: tuple[int, ...] = ()  # longest first

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and text in self._by_length.get(len(text), ())

    def __bool__(self) -> bool:
        return bool(self._lengths)

    def add(self, text: str) -> None:
        """Mask `text` too (safe to call from any thread: readers see the old or new sets)."""
        if not text or text in self:
            return
        size = len(text)
        by_length = dict(self._by_length)
        by_length[size] = by_length.get(size, frozenset()) | {text}
        self._by_length = by_length
        self._lengths = tuple(sorted(by_length, reverse=True))

    def clear(self) -> None:
        self._by_length, self._lengths = {}, ()

    def sub(self, mask: str, text: str) -> str:
        """`text` with every secret in it replaced by `mask`."""
        by_length, lengths = self._by_length, self._lengths
        if not lengths or len(text) < lengths[-1]:
            return text
        # Lengths paired with their sets once per call, outside the per-position loop.
        buckets = [(size, by_length[size]) for size in lengths]
        shortest = lengths[-1]
        pieces: list[str] = []
        start = position = 0
        last = len(text) - shortest
        while position <= last:
            for size, secrets in buckets:
                if text[position : position + size] in secrets:
                    pieces.append(text[start:position])
                    pieces.append(mask)
                    position += size
                    start = position
                    break
            else:
                position += 1
        if not pieces:
            return text
        pieces.append(text[start:])
        return "".join(pieces)

    def sub_bytes(self, mask: str, data: bytes) -> bytes:
        """The same for bytes, taken as UTF-8 (any other byte comes back unchanged)."""
        text = data.decode("utf-8", "surrogateescape")
        masked = self.sub(mask, text)
        return data if masked is text else masked.encode("utf-8", "surrogateescape")
