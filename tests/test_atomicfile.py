"""A file replaced atomically: the new text, readable by its owner only, no leftover."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from setsmart.atomicfile import leftovers, replace_file


def test_a_replaced_file_holds_the_new_bytes_for_its_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    target.chmod(0o644)
    old_umask = os.umask(0o277)  # a umask that would leave the owner read-only
    try:
        replace_file(target, b"new", sync_directory=True)
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(target) == []


def test_a_failed_write_leaves_the_old_file_and_no_leftover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")

    def no_space(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        replace_file(target, b"new")
    assert target.read_text() == "old"
    assert leftovers(target) == []


def test_leftovers_are_the_temporary_files_of_that_target_only(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    crashed = tmp_path / ".state.json.123-0.tmp"
    crashed.write_text("half")
    (tmp_path / ".other.json.123-0.tmp").write_text("half")
    assert leftovers(target) == [crashed]
