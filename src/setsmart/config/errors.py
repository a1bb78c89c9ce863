"""Configuration errors: each one a single line naming the file, the line and the key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from setsmart.errors import UsageError


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem found in a configuration file."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(UsageError):
    """The configuration cannot be used.

    ``file``, ``line``, ``path`` and ``message`` describe the first problem (by line);
    ``issues`` holds every problem found, and ``str()`` gives one line per problem.
    Messages never contain a secret value.
    """

    def __init__(
        self,
        file: str,
        line: int | None,
        path: str,
        message: str,
        *,
        more: Sequence[ConfigIssue] = (),
    ) -> None:
        self.issues: tuple[ConfigIssue, ...] = (ConfigIssue(file, line, path, message), *more)
        self.file = file
        self.line = line
        self.path = path
        self.message = message
        super().__init__(str(self))

    @classmethod
    def from_issues(cls, issues: Sequence[ConfigIssue]) -> ConfigError:
        """Build one error from several issues, sorted by line (file-level issues first)."""
        if not issues:
            raise ValueError("a ConfigError needs at least one issue")
        ordered = sorted(issues, key=lambda issue: -1 if issue.line is None else issue.line)
        first = ordered[0]
        return cls(first.file, first.line, first.path, first.message, more=ordered[1:])

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)
