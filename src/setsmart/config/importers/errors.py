"""What can go wrong in an import besides a malformed input file (that is a ConfigError)."""

from __future__ import annotations

from setsmart.errors import EXIT_USAGE, SetsmartError, UsageError


class ImportSourceError(UsageError):
    """The import cannot start: nothing says which account to import, or the account is unknown."""


class OutputError(SetsmartError):
    """The imported configuration could not be written."""


class OutputExistsError(OutputError):
    """The output file exists and overwriting it was not asked for (``--force``)."""

    exit_code = EXIT_USAGE
