"""Logging and last-resort error output that never let a secret through, whatever writes them.

HTTP clients log request URLs (Telegram's carry the bot token) and, at debug level, response
bodies (Slack's OAuth answer carries each workspace's bot token); a library's exception may
quote a token (python-telegram-bot's `InvalidToken` does) or a database URL. So redaction is
the last thing before any byte is written: the formatter of the one log handler, and the hooks
that print an exception nobody caught. Both replace the configured secrets and anything shaped
like one: a Telegram bot token, a Slack token (`xoxb-`, `xapp-`, …), the password of a URL.

Logs are plain lines, or one JSON object per line with `COACH_LOG_FORMAT=json`; a warning or
error repeated by every retry is written once per spell (`OncePerSpell`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

REDACTED = "[secret]"
QUIET = 600.0
"""Seconds during which a repeated warning or error is not written again."""
MAX_REMEMBERED = 1000
_VARYING = re.compile(r"[\w:.-]*\d[\w:.-]*")
MIN_SECRET = 6
"""Shorter configured values are not looked for (they would blot out ordinary words)."""

_SHAPES = (
    # A Slack token of any kind: bot, user, app-level, refresh, configuration.
    (re.compile(r"\b(?:xox[a-z]|xapp|xoxe\.xox[a-z])-[A-Za-z0-9-]{6,}"), REDACTED),
    # A Telegram bot token: the bot's id, a colon, its secret part (also inside `/bot<token>/`).
    (re.compile(r"(?:(?<=/bot)|(?<![\w:]))\d{3,}:[A-Za-z0-9_-]{6,}"), REDACTED),
    # The password of a URL (`postgresql://coach:pw@host`) and of a libpq key/value string.
    (re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/?#\s@]*:)[^@\s/]+(?=@)"), r"\g<head>" + REDACTED),
    (re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'[^']*'|\S+)", re.IGNORECASE), r"\g<head>" + REDACTED),
)


class Redactor:
    """Replaces the configured secrets, and anything shaped like a token, in a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by `[secret]`."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for shape, replacement in _SHAPES:
            text = shape.sub(replacement, text)
        return text


_redact = Redactor()


def redact(text: str) -> str:
    """Redact `text` with the secrets given to `configure` (token shapes only before it)."""
    return _redact(text)


class RedactingFormatter(logging.Formatter):
    """A record as one text line (its traceback below it), redacted after rendering."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """Render the record, then redact the whole of it, traceback included."""
        return self.redactor(super().format(record))


class JSONFormatter(logging.Formatter):
    """A record as one JSON object per line: time, level, logger, message, and traceback if any."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON; every text is redacted before it is encoded."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redactor(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self.redactor(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.redactor(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


class OncePerSpell(logging.Filter):
    """Lets a warning or an error through once, then drops the same one for `quiet` seconds.

    Libraries log every retry (Socket Mode reconnecting with a refused token every ten seconds,
    a poller's network errors), and a platform's 5xx storm postpones every owner's delivery:
    the operator needs the first line, and one more each `quiet` seconds while it goes on, not
    a line per try. "The same" ignores what varies between tries: ids, counts, ports. The
    outage messages of `bot.outage`, already said once per outage, always pass.
    """

    def __init__(self, quiet: float = QUIET, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.quiet = quiet
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to write the record."""
        if record.levelno < logging.WARNING or record.name == "bot.outage":
            return True
        first = record.getMessage().split("\n", 1)[0]
        key = (record.name, _VARYING.sub("#", first)[:200])
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.quiet:
            return False
        if len(self._last) > MAX_REMEMBERED:
            self._last.clear()
        self._last[key] = now
        return True


def configure(level: str, secrets: Iterable[str], format: str = "text") -> None:
    """Log to standard error at `level`, redacting `secrets`; install the last-resort hooks."""
    global _redact
    _redact = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter(_redact) if format == "json" else RedactingFormatter(_redact))
    handler.addFilter(OncePerSpell())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
    sys.excepthook = excepthook
    threading.excepthook = _thread_excepthook


def one_line(error: BaseException) -> str:
    """An exception nobody expected, as one redacted line: what it is and what to do."""
    detail = " ".join(str(error).split()) or type(error).__name__
    kind = type(error).__name__
    return redact(f"coach: unexpected error: {kind}: {detail[:300]} (COACH_LOG_LEVEL=DEBUG shows where)")


def excepthook(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None, out: TextIO | None = None
) -> None:
    """Print an uncaught exception as one redacted line; its traceback goes to the debug log only."""
    logging.getLogger("coach").debug("uncaught exception", exc_info=(kind, error, trace))
    print(one_line(error), file=out or sys.stderr, flush=True)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        excepthook(args.exc_type, args.exc_value, args.exc_traceback)
