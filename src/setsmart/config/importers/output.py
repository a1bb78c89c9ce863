"""Writing an import: YAML text (merged into an existing file's text when there is one),
and a private file for it (local keys are secrets: mode 0600)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import yaml

from setsmart.atomicfile import PRIVATE_MODE, replace_file
from setsmart.config.dump import dump_config
from setsmart.config.fields import is_mapping
from setsmart.config.importers.errors import OutputError, OutputExistsError
from setsmart.config.importers.model import ImportResult
from setsmart.config.model import Config
from setsmart.config.yamlsource import YamlSyntaxError, compose


def render_config(result: ImportResult, *, base: Config | None = None, header: str = "") -> str:
    """YAML for the imported devices: on their own (``header`` as comment lines on top),
    or ``base``'s file with its ``devices:`` replaced, everything else kept as written
    (comments, ``${VAR}`` references, ``X_file`` paths)."""
    devices_yaml = dump_config(Config(devices=result.devices), header=header or None)
    if base is None or base.source is None:
        return devices_yaml
    try:
        text = base.source.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise OutputError(f"cannot read {base.source} again: {error.strerror}") from None
    merged = _replace_devices(text, devices_yaml)
    try:
        root = compose(merged).root
    except YamlSyntaxError as error:
        root = None
        problem = error.message
    else:
        problem = "" if root is not None and is_mapping(root) else "no top-level mapping"
    if problem:
        raise OutputError(
            f"cannot merge the devices into {base.source} ({problem}); "
            "import without -c and copy the devices over"
        )
    return merged


def _replace_devices(text: str, devices_yaml: str) -> str:
    root = compose(text).root
    if root is not None and is_mapping(root):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "devices":
                start = text.rfind("\n", 0, key.start_mark.index) + 1
                end = _end_of_line(text, _content_end(value))
                return text[:start] + devices_yaml + text[end:]
    return text.rstrip("\n") + "\n\n" + devices_yaml


def _content_end(node: yaml.Node) -> int:
    """Where a node's text ends (a block collection's own end mark is the next token's)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False) or not node.value:
        return int(node.end_mark.index)
    last = node.value[-1]
    children = last if isinstance(node, yaml.MappingNode) else (last,)
    start = node.start_mark.index
    if any(child.start_mark.index < start for child in children):
        return int(node.end_mark.index)  # an alias of a node written elsewhere
    return max(_content_end(child) for child in children)


def _end_of_line(text: str, index: int) -> int:
    if index > 0 and text[index - 1] == "\n":
        return index  # a block scalar ends after its own newline
    newline = text.find("\n", index)
    return len(text) if newline == -1 else newline + 1


def write_private_file(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write ``text`` to a new file readable by its owner only; an existing file is
    replaced (atomically) only when ``force``. Returns the path written."""
    target = Path(path)
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory")
        if force:
            replace_file(target, text.encode())
        else:
            _create(target, text)
    except FileExistsError:
        raise OutputExistsError(f"{target} exists: give --force to replace it") from None
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror}") from None
    return target


def _create(target: Path, text: str) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), PRIVATE_MODE)  # whatever the umask
        file.write(text)


def moved_paths_note(base: Config, output: Path) -> str | None:
    """A warning when a merged file lands in another directory than ``base`` while
    ``base`` names files by relative paths (``X_file``, tls): they would point elsewhere."""
    if base.source is None or output.absolute().parent == base.source.parent:
        return None
    try:
        text = base.source.read_text(encoding="utf-8-sig")
    except OSError:
        return None
    if "_file:" not in text:
        return None
    return (
        f"{base.source.name} names files (X_file, tls); relative paths are read from the "
        f"configuration's directory: keep {output.name} in {base.source.parent} or check them"
    )
