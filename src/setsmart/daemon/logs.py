"""Logging for the daemon and the CLI: structlog in front, stdlib logging behind, secrets out.

Configured once in ``main()`` with :func:`configure_logging`. Everything, structlog loggers
and stdlib loggers alike (httpx, asyncio), goes through one stdlib handler whose
formatter runs the same chain: timestamp, exception text, redaction, renderer.

- Not a terminal (journald, a pipe): JSON lines with an ISO 8601 UTC timestamp. When the
  stream is journald's (``$JOURNAL_STREAM``), each line starts with a ``<N>`` syslog
  priority that journald strips and keeps as the PRIORITY field.
- A terminal: structlog's key-value console format, coloured unless ``$NO_COLOR``.
- ``device=<name>`` comes from contextvars: :func:`bind_device` in a device's task puts
  it on every line that task logs, stdlib lines included.
- Redaction runs last before rendering, so nothing escapes it: every registered secret
  is masked wherever it appears (message, values, nested containers, exception text),
  and so is the value of any key named like a secret (``local_key``, ``password``,
  ``api_secret``, ``token``...), in the event dict and in ``key=value`` text.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, TextIO

from setsmart._structlog import structlog
from setsmart.config.secret import Secret
from setsmart.daemon.secretset import SecretSet

if TYPE_CHECKING:
    from structlog.typing import EventDict, Processor, WrappedLogger

MASK: Final = "**********"
#: A registered secret shorter than this is masked only where it is a whole value:
#: masking a 2-character password inside every line would garble the whole log.
MIN_SECRET_LENGTH: Final = 4
LEVELS: Final = ("debug", "info", "warning", "error", "critical")
_HANDLER_NAME: Final = "setsmart"
_NOISY_LOGGERS: Final = ("httpx", "httpcore")  # one INFO line per HTTP request
_SENSITIVE_NAMES = r"local_?key|password|passwd|secret|access_?token|refresh_?token|token"
_SECRET_KEY = re.compile(rf"(?:^|_)(?:{_SENSITIVE_NAMES})$", re.IGNORECASE)
_SECRET_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9])(?P<key>(?:\w*_)?(?:{_SENSITIVE_NAMES}))"
    r"(?P<sep>[\"']?\s*[:=]\s*)"
    r"(?:(?P<quote>[\"'])[^\"'\n]*(?P=quote)|[^\s\"',;&)}\]]+)",
    re.IGNORECASE,
)
# journald reads a leading "<N>" as the line's syslog priority.
_SYSLOG_PRIORITY: Final = {
    "critical": 2,
    "exception": 3,
    "error": 3,
    "warning": 4,
    "warn": 4,
    "info": 6,
    "debug": 7,
}


class LoggingConfigError(ValueError):
    """An unknown log level was asked for."""


class Redactor:
    """A structlog processor masking secrets anywhere in an event dict."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._short: frozenset[str] = frozenset()
        self._long = SecretSet()

    def register(self, value: str | Secret) -> None:
        """Mask ``value`` from now on (a new local key, a reloaded password)."""
        text = value.reveal() if isinstance(value, Secret) else value
        if not text:
            return
        with self._lock:
            if len(text) < MIN_SECRET_LENGTH:
                self._short = self._short | {text}
            else:
                self._long.add(text)

    def clear(self) -> None:
        """Forget every registered secret (tests)."""
        with self._lock:
            self._short = frozenset()
            self._long.clear()

    def text(self, text: str) -> str:
        """``text`` with every secret, and every ``secret_key=value``, masked."""
        if text in self._short:
            return MASK
        return _SECRET_IN_TEXT.sub(_mask_match, self._long.sub(MASK, text))

    def value(self, value: object) -> object:
        """A copy of ``value`` with secrets masked; objects become their redacted repr."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {key: self._item(key, item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            items = [self.value(item) for item in value]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, bytes | bytearray):
            return self._bytes(bytes(value))
        return self.text(repr(value))

    def _item(self, key: object, value: object) -> object:
        if value is not None and isinstance(key, str) and _SECRET_KEY.search(key):
            return MASK
        return self.value(value)

    def _bytes(self, value: bytes) -> bytes:
        for secret in self._short:
            if value == secret.encode():
                return MASK.encode()
        return self._long.sub_bytes(MASK, value)

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        try:
            return {key: self._item(key, value) for key, value in event_dict.items()}
        except Exception as exc:  # noqa: BLE001 - an unredacted line must never get out
            return {"event": f"log line dropped: redaction failed ({type(exc).__name__})"}


def _mask_match(match: re.Match[str]) -> str:
    quote = match["quote"] or ""
    return f"{match['key']}{match['sep']}{quote}{MASK}{quote}"


_redactor = Redactor()


def register_secret(value: str | Secret) -> None:
    """Mask ``value`` in every log line from now on."""
    _redactor.register(value)


def redact(text: str) -> str:
    """``text`` with every registered secret masked: for text leaving by another way
    than the log (an MQTT ``bridge/log`` message, an error printed by the CLI)."""
    return _redactor.text(text)


def secrets_in(obj: object) -> Iterator[Secret]:
    """Every :class:`Secret` in a configuration (dataclasses, mappings, sequences)."""
    if isinstance(obj, Secret):
        yield obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for field in dataclasses.fields(obj):
            yield from secrets_in(getattr(obj, field.name))
    elif isinstance(obj, Mapping):
        for item in obj.values():
            yield from secrets_in(item)
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from secrets_in(item)


@contextlib.contextmanager
def bind_device(name: str) -> Iterator[None]:
    """Within the block, every log line of this task (and tasks it starts) has ``device``."""
    with structlog.contextvars.bound_contextvars(device=name):
        yield


def device_context(name: str) -> contextvars.Context:
    """A copy of the current context with ``device`` bound: every task started in it
    (``create_task(..., context=...)``) logs its device, and they share the one context."""
    context = contextvars.copy_context()
    context.run(structlog.contextvars.bind_contextvars, device=name)
    return context


def set_device(name: str | None) -> None:
    """Bind ``device`` for the rest of the current task (None unbinds it)."""
    if name is None:
        structlog.contextvars.unbind_contextvars("device")
    else:
        structlog.contextvars.bind_contextvars(device=name)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger routed through the configured handler."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def configure_logging(
    *,
    level: str = "info",
    json: bool | None = None,
    stream: TextIO | None = None,
    secrets: Iterable[str | Secret] = (),
    environ: Mapping[str, str] | None = None,
) -> None:
    """Set up logging for the process; calling it again replaces the previous setup.

    ``json`` None chooses by the stream: JSON lines unless it is a terminal. ``stream``
    defaults to the current ``sys.stderr``. ``secrets`` are added to those already
    registered (registrations are never dropped).
    """
    numeric = _numeric_level(level)
    out = sys.stderr if stream is None else stream
    env = os.environ if environ is None else environ
    tty = _isatty(out)
    use_json = not tty if json is None else json
    for secret in secrets:
        register_secret(secret)

    renderer: Processor
    if use_json:
        timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
        renderer = _leading_keys_first(structlog.processors.JSONRenderer(sort_keys=False))
    else:
        timestamper = structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False)
        renderer = structlog.dev.ConsoleRenderer(
            colors=tty and "NO_COLOR" not in env,
            exception_formatter=structlog.dev.plain_traceback,
        )
    processors: list[Processor] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        timestamper,
        structlog.processors.format_exc_info,
        _redactor,
        renderer,
    ]
    if _is_journal_stream(out, env):
        processors.append(_journal_priority)
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=processors,
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
        ],
    )
    handler = _Handler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    _remove_our_handler(root)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    logging.captureWarnings(True)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class _Handler(logging.StreamHandler[TextIO]):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - stdlib name
        # The stdlib default prints the record's message and arguments: unredacted.
        with contextlib.suppress(Exception):  # nowhere left to report it
            self.stream.write(f"setsmart: a {record.levelname} log line could not be written\n")


def reset_logging() -> None:
    """Undo :func:`configure_logging` and forget registered secrets (tests)."""
    root = logging.getLogger()
    _remove_our_handler(root)
    root.setLevel(logging.WARNING)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.captureWarnings(False)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    _redactor.clear()


def _numeric_level(level: str) -> int:
    name = level.lower()
    if name not in LEVELS:
        raise LoggingConfigError(f"unknown log level {level!r}: use one of {', '.join(LEVELS)}")
    return logging.getLevelNamesMapping()[name.upper()]


def _remove_our_handler(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
            handler.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or minimal stream
        return False


def _is_journal_stream(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether ``stream`` is the journald stream systemd connected us to."""
    device, _, inode = environ.get("JOURNAL_STREAM", "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        stat = os.fstat(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return False
    return (stat.st_dev, stat.st_ino) == (int(device), int(inode))


_LEADING_KEYS: Final = ("timestamp", "level", "device", "event", "logger")


def _leading_keys_first(renderer: Processor) -> Processor:
    """A JSON line reads best with when, how bad, which device and what first."""

    def render(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> Any:
        ordered = {key: event_dict[key] for key in _LEADING_KEYS if key in event_dict}
        ordered.update(event_dict)
        return renderer(logger, method_name, ordered)

    return render


def _journal_priority(logger: WrappedLogger, method_name: str, rendered: Any) -> str:
    # The last step, after the renderer: ``rendered`` is the line itself.
    return f"<{_SYSLOG_PRIORITY.get(method_name, 6)}>{rendered}"
