"""Reading typed values out of YAML nodes, recording each problem with its line and key path.

Every getter returns a usable value (the default when the node is wrong) and records an
issue instead of raising, so that one pass over the file finds every problem. Messages
about secret values never quote the value.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeGuard, TypeVar

import yaml

from setsmart.config.envsubst import SubstitutionError, substitute
from setsmart.config.errors import ConfigIssue
from setsmart.config.secret import Secret
from setsmart.config.yamlsource import (
    MAP_TAG,
    MERGE_TAG,
    NULL_TAG,
    SEQ_TAG,
    STR_TAG,
    YamlDocument,
    line_of,
)
from setsmart.suggest import closest

T = TypeVar("T")
V = TypeVar("V")
Check = Callable[[str], str | None]
"""A validator: returns a message when the text is wrong, else ``None``."""

_IMPLICIT_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "timestamp")
)
_WHOLE_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


class InvalidValueError(Exception):
    """A value that does not fit its key; the caller records it as an issue."""


def join(path: str, key: str) -> str:
    """``mqtt`` + ``port`` -> ``mqtt.port``."""
    return f"{path}.{key}" if path else key


def describe(value: object) -> str:
    """What a YAML value is, in words, for 'must be X, got Y' messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime.date):
        return "a date"
    return f"a {type(value).__name__} value"


_TAG_WORDS = {
    NULL_TAG: "null",
    STR_TAG: "a string",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date",
}


def describe_node(node: yaml.Node) -> str:
    """What a node is, in words, without constructing (or quoting) its value."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping" if node.tag == MAP_TAG else f"a mapping tagged {node.tag}"
    if isinstance(node, yaml.SequenceNode):
        return "a list" if node.tag == SEQ_TAG else f"a list tagged {node.tag}"
    return _TAG_WORDS.get(node.tag, f"a value tagged {node.tag}")


def is_mapping(node: yaml.Node) -> TypeGuard[yaml.MappingNode]:
    """A plain YAML mapping (not a set, an omap or a custom tag)."""
    return isinstance(node, yaml.MappingNode) and node.tag == MAP_TAG


def is_sequence(node: yaml.Node) -> TypeGuard[yaml.SequenceNode]:
    """A plain YAML list."""
    return isinstance(node, yaml.SequenceNode) and node.tag == SEQ_TAG


def is_null(node: yaml.Node) -> bool:
    """Whether ``node`` is YAML null (``~``, ``null`` or nothing at all)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG


class Reader:
    """Turns nodes into values for one file, collecting issues."""

    def __init__(
        self,
        file: str,
        document: YamlDocument,
        environ: Mapping[str, str],
        config_dir: Path,
    ) -> None:
        self.file = file
        self.document = document
        self.environ = environ
        self.config_dir = config_dir
        self.issues: list[ConfigIssue] = []

    def report(self, line: int | None, path: str, message: str) -> None:
        """Record one problem."""
        self.issues.append(ConfigIssue(self.file, line, path, message))

    # -- mappings -------------------------------------------------------------------------

    def entries(
        self, node: yaml.MappingNode, path: str, _seen: frozenset[int] = frozenset()
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The keys of a mapping (``<<`` merges resolved); a repeated key is an issue."""
        own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                for source in self._merge_sources(value_node, path, _seen | {id(node)}):
                    for name, entry in self.entries(source, path, _seen | {id(node)}).items():
                        merged.setdefault(name, entry)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.report(line_of(key_node), path, "keys must be plain names")
                continue
            name = str(key_node.value)
            if name in own:
                first = line_of(own[name][0])
                self.report(
                    line_of(key_node), join(path, name), f"duplicate key (first at line {first})"
                )
                continue
            own[name] = (key_node, value_node)
        return merged | own

    def _merge_sources(
        self, node: yaml.Node, path: str, seen: frozenset[int]
    ) -> list[yaml.MappingNode]:
        candidates = node.value if is_sequence(node) else [node]
        sources: list[yaml.MappingNode] = []
        for candidate in candidates:
            if not is_mapping(candidate):
                self.report(line_of(candidate), path, "'<<' must merge a mapping or a list of them")
            elif id(candidate) in seen:
                self.report(line_of(candidate), path, "'<<' merges a mapping into itself")
            else:
                sources.append(candidate)
        return sources

    def section(
        self, node: yaml.Node | None, path: str, keys: Sequence[str], *, line: int
    ) -> Section:
        """A mapping with a fixed set of keys; a missing or null node is an empty section.

        ``line`` is where a missing key is reported: the section's own key line.
        """
        if node is None or is_null(node):
            return Section(self, path, line, {})
        if not is_mapping(node):
            self.report(line_of(node), path, f"must be a mapping, got {describe_node(node)}")
            return Section(self, path, line, {})
        entries = self.entries(node, path)
        for name, (key_node, _) in entries.items():
            if name not in keys:
                self.report(line_of(key_node), join(path, name), unknown_key_message(name, keys))
        known = {name: entry for name, entry in entries.items() if name in keys}
        return Section(self, path, line, known)

    # -- scalars --------------------------------------------------------------------------

    def text(self, node: yaml.Node, *, secret: bool = False) -> str:
        """A string value: quoted or plain, ``${VAR}`` replaced.

        A plain scalar that YAML would read as a number, boolean or date is taken as
        written (``id: 0123`` is the string ``"0123"``; ``version: 3.3`` is ``"3.3"``).
        """
        if not isinstance(node, yaml.ScalarNode):
            raise InvalidValueError(f"must be a string, got {describe_node(node)}")
        if node.tag in _IMPLICIT_TAGS:
            return str(node.value)
        if node.tag != STR_TAG:
            raise InvalidValueError(f"unsupported YAML tag {node.tag}")
        return self._substitute(str(node.value), secret=secret)

    def value(self, node: yaml.Node, *, secret: bool = False) -> object:
        """A scalar's value as YAML types it; after ``${VAR}`` the result is typed again."""
        if not isinstance(node, yaml.ScalarNode):
            raise InvalidValueError(f"must be a single value, got {describe_node(node)}")
        if node.tag == STR_TAG and "$" in node.value:
            replaced = self._substitute(str(node.value), secret=secret)
            if replaced != node.value:
                node = self.document.resolve(replaced, node)
        try:
            return self.document.construct(node)
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or str(error)
            raise InvalidValueError(f"unsupported value: {problem}") from None

    def _substitute(self, text: str, *, secret: bool) -> str:
        try:
            return substitute(text, self.environ)
        except SubstitutionError as error:
            if secret and not _WHOLE_REFERENCE.fullmatch(text):
                # The message may quote part of the text; a secret is never quoted.
                raise InvalidValueError(
                    "a '${...}' reference in this secret cannot be replaced "
                    "(write '$${' for a literal '${')"
                ) from None
            raise InvalidValueError(str(error)) from None

    def resolve_path(self, text: str, *, credential: bool) -> Path:
        """A path from the file: relative ones against ``$CREDENTIALS_DIRECTORY``
        (credentials, when set) or the configuration file's directory."""
        path = Path(text)
        if path.is_absolute():
            return path
        credentials = self.environ.get("CREDENTIALS_DIRECTORY")
        if credential and credentials:
            return Path(credentials) / path
        return self.config_dir / path


def unknown_key_message(name: str, keys: Sequence[str]) -> str:
    """``unknown key (did you mean 'port'?)``, or the list of valid keys."""
    close = closest(name, keys)
    if close:
        return f"unknown key (did you mean '{close}'?)"
    return f"unknown key (valid keys: {', '.join(keys)})"


class Section:
    """The known keys of one mapping, read through typed getters."""

    def __init__(
        self,
        reader: Reader,
        path: str,
        line: int,
        entries: dict[str, tuple[yaml.Node, yaml.Node]],
    ) -> None:
        self.reader = reader
        self.path = path
        self.line = line
        self._entries = entries

    def path_of(self, key: str) -> str:
        """The key path of ``key`` in this section."""
        return join(self.path, key)

    def node(self, key: str) -> yaml.Node | None:
        """The value node of ``key``; ``None`` when absent or null."""
        entry = self._entries.get(key)
        if entry is None or is_null(entry[1]):
            return None
        return entry[1]

    def written(self, key: str) -> bool:
        """Whether ``key`` appears at all (even as null)."""
        return key in self._entries

    def key_line(self, key: str) -> int:
        """The line of ``key`` itself (the section's line when absent)."""
        entry = self._entries.get(key)
        return self.line if entry is None else line_of(entry[0])

    def fail(self, key: str, node: yaml.Node | None, message: str) -> None:
        """Record an issue about ``key``."""
        line = self.key_line(key) if node is None else line_of(node)
        self.reader.report(line, self.path_of(key), message)

    def missing(self, key: str, message: str = "required") -> None:
        """Record that a required ``key`` is absent."""
        self.reader.report(self.line, self.path_of(key), message)

    def _get(self, key: str, default: T, convert: Callable[[yaml.Node], V]) -> T | V:
        node = self.node(key)
        if node is None:
            return default
        try:
            return convert(node)
        except InvalidValueError as error:
            self.fail(key, node, str(error))
            return default

    def text(self, key: str, default: T, check: Check | None = None) -> str | T:
        """A string, checked by ``check``; ``default`` when absent, null or wrong."""

        def convert(node: yaml.Node) -> str:
            text = self.reader.text(node)
            problem = check(text) if check else None
            if problem:
                raise InvalidValueError(problem)
            return text

        return self._get(key, default, convert)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        """An integer in ``low..high`` (booleans refused)."""

        def convert(node: yaml.Node) -> int:
            return checked_integer(self.reader.value(node), low, high)

        return self._get(key, default, convert)

    def number(self, key: str, default: T, *, zero_allowed: bool) -> float | T:
        """A finite number of seconds, positive (or zero when ``zero_allowed``)."""

        def convert(node: yaml.Node) -> float:
            value = self.reader.value(node)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidValueError(f"must be a number, got {describe(value)}")
            if not math.isfinite(value):
                raise InvalidValueError("must be a finite number")
            if value < 0 or (value == 0 and not zero_allowed):
                floor = "0 or more" if zero_allowed else "more than 0"
                raise InvalidValueError(f"must be {floor}, got {value}")
            return float(value)

        return self._get(key, default, convert)

    def boolean(self, key: str, default: bool) -> bool:
        """``true`` or ``false``."""

        def convert(node: yaml.Node) -> bool:
            value = self.reader.value(node)
            if not isinstance(value, bool):
                raise InvalidValueError(f"must be true or false, got {describe(value)}")
            return value

        return self._get(key, default, convert)

    def secret(self, key: str, check: Check | None = None) -> Secret | None:
        """``key: VALUE`` or ``key_file: PATH``; ``check`` sees the value, messages never do."""
        file_key = f"{key}_file"
        direct, from_file = self.node(key), self.node(file_key)
        if direct is not None and from_file is not None:
            self.fail(file_key, None, f"give either {key} or {file_key}, not both")
            return None
        if direct is not None:
            used, node = key, direct
            try:
                value = Secret(self.reader.text(direct, secret=True))
            except InvalidValueError as error:
                self.fail(key, direct, str(error))
                return None
        elif from_file is not None:
            used, node = file_key, from_file
            try:
                value = self._read_secret(from_file)
            except InvalidValueError as error:
                self.fail(file_key, from_file, str(error))
                return None
        else:
            return None
        problem = check(value.reveal()) if check else None
        if problem:
            self.fail(used, node, problem)
            return None
        return value

    def _read_secret(self, node: yaml.Node) -> Secret:
        written = self.reader.text(node)
        path = self.reader.resolve_path(written, credential=True)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InvalidValueError(f"cannot read {path}: {error.strerror}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidValueError(f"{path} is not UTF-8 text") from None
        return Secret(text.rstrip("\r\n"), file=written)


def checked_integer(value: object, low: int, high: int) -> int:
    """``value`` when it is an integer (not a boolean) in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"must be an integer, got {describe(value)}")
    if not low <= value <= high:
        raise InvalidValueError(f"must be between {low} and {high}, got {value}")
    return value
