"""What can go wrong in an import besides a malformed input file (that is a ConfigError)."""

from __future__ import annotations


class ImportSourceError(Exception):
    """The import cannot start: nothing says which account to import, or the account is unknown."""


class OutputError(Exception):
    """The imported configuration could not be written."""


class OutputExistsError(OutputError):
    """The output file exists and overwriting it was not asked for (``--force``)."""
