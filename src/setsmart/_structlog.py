"""structlog, imported without rich: every module of setsmart takes it from here.

structlog's package imports `structlog.dev` and `structlog.tracebacks`, which import rich
(console, traceback, pretty, syntax and pygments: 90 modules, 5 MB of the daemon's memory)
whenever it is installed, only to offer rich tracebacks. Our console renderer formats
exceptions with `plain_traceback`, so rich is hidden while structlog is imported (an
`ImportError`, which structlog handles), and visible again at once for anyone else.
"""

from __future__ import annotations

import sys

# Also hidden: colorama, which structlog's console renderer needs on Windows only (it and
# ctypes, 0.4 MB), and greenlet, for its deprecated greenlet-local context (1.1 MB).
_HIDDEN = ("rich", "greenlet") if sys.platform == "win32" else ("rich", "greenlet", "colorama")


def _import_without_rich() -> None:
    if "structlog" in sys.modules:
        return  # imported earlier by someone else: as it is
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import rich` raises ImportError
    try:
        import structlog  # noqa: F401, PLC0415 (the import this module exists for)
    finally:
        for name in hidden:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]


_import_without_rich()

import structlog  # noqa: E402 (after the import above, which it only names)

__all__ = ["structlog"]
