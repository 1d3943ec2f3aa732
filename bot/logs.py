"""Logging set-up that never lets a secret through, whatever library writes the record.

HTTP clients log request URLs (Telegram's carry the bot token) and, at debug level, response
bodies (Slack's OAuth answer carries each workspace's bot token): every record is rendered, and
the configured secrets and anything shaped like a Slack token replaced, before any handler
writes it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

REDACTED = "[secret]"
SLACK_TOKEN = re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]{6,}")


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
        message = SLACK_TOKEN.sub(REDACTED, message)
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
