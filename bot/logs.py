"""Logging set-up that never lets a secret through, whatever library writes the record.

HTTP clients log request URLs (Telegram's carry the bot token); every record is rendered and
the secrets replaced before any handler writes it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "[secret]"


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's rendered message (and its exception text)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redacted, and drop the arguments."""
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        for secret in self.secrets:
            message = message.replace(secret, REDACTED)
        record.msg, record.args = message, None
        return True


def configure(level: str, secrets: Iterable[str]) -> None:
    """Log to standard error at `level`, redacting `secrets` from every record."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO; keep it to warnings unless debugging.
    logging.getLogger("httpx").setLevel(level if level == "DEBUG" else "WARNING")
