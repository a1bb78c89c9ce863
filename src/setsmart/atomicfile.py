"""A file replaced atomically: a temporary file beside it, readable by its owner only,
written and fsynced, then renamed over it. A crash leaves the old file or the new one,
never half of one, and perhaps a leftover named by `leftovers`.

Not tempfile.mkstemp: tempfile brings shutil, bz2 and lzma into the daemon.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

PRIVATE_MODE = 0o600
_SUFFIX = ".tmp"
_numbers = itertools.count()


def replace_file(target: Path, data: bytes, *, sync_directory: bool = False) -> None:
    """Make `target` hold `data` (mode 0600 whatever the umask); with `sync_directory`, the
    rename itself is made durable too."""
    fd, temporary = _create_temporary(target)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), PRIVATE_MODE)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if sync_directory:
        fsync_directory(target.parent)


def leftovers(target: Path) -> list[Path]:
    """Temporary files of replacements of `target` that did not finish (or still run)."""
    return sorted(target.parent.glob(f".{target.name}.*{_SUFFIX}"))


def fsync_directory(directory: Path) -> None:
    """Make the renames in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_temporary(target: Path) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        temporary = target.with_name(f".{target.name}.{os.getpid()}-{next(_numbers)}{_SUFFIX}")
        try:
            return os.open(temporary, flags, PRIVATE_MODE), temporary
        except FileExistsError:  # a crashed replacement's leftover with the same name
            continue
