"""``${VAR}`` in string values, replaced from the environment; ``$${`` stands for ``${``."""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SubstitutionError(ValueError):
    """A ``${...}`` reference that cannot be replaced; the message names the variable."""


def substitute(text: str, environ: Mapping[str, str]) -> str:
    """Replace every ``${NAME}`` in ``text`` by ``environ[NAME]``."""
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$${", i):
            out.append("${")
            i += 3
        elif text.startswith("${", i):
            end = text.find("}", i + 2)
            if end < 0:
                raise SubstitutionError("unterminated '${' (write '$${' for a literal '${')")
            name = text[i + 2 : end]
            if not _NAME.fullmatch(name):
                raise SubstitutionError(f"'${{{name}}}' is not a valid environment variable name")
            if name not in environ:
                raise SubstitutionError(f"environment variable {name} is not set")
            out.append(environ[name])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def escape(text: str) -> str:
    """The inverse of :func:`substitute` for text that must stay literal."""
    return text.replace("${", "$${")
