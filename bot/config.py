"""Settings, read from the environment once at start-up and checked there.

A value that cannot be right (a token of the wrong shape, an unknown log format) is refused
here, in one line naming the variable and never quoting a secret, before any call is made.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LOG_FORMATS = ("text", "json")


class ConfigError(ValueError):
    """A setting is missing or wrong; the message says which and how to fix it."""


class Unreachable(RuntimeError):
    """A service the settings name (a chat platform, the database) cannot be reached right now."""


def default_data_dir() -> Path:
    r"""Where the TinyDB store lives unless COACH_DATA_DIR says: the user's data folder.

    Not a folder relative to where `coach` runs, so a chat started from another folder
    finds its progress (`~/.local/share/coach` on Linux, `~/Library/Application Support/coach`
    on macOS, `%LOCALAPPDATA%\coach` on Windows).
    """
    return platformdirs.user_data_path("coach", appauthor=False)


def _check_shapes(env: Mapping[str, str]) -> None:
    """Refuse a token that cannot be one (a stray quote or space, a token of the wrong kind)."""
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if token and not TELEGRAM_TOKEN_SHAPE.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters, "
            "digits, - or _): copy it again from @BotFather"
        )
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if secret and not WEBHOOK_SECRET_SHAPE.match(secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1-256 of A-Z a-z 0-9 _ -")
    for name, prefix, where in (
        ("SLACK_BOT_TOKEN", "xoxb-", "OAuth & Permissions"),
        ("SLACK_APP_TOKEN", "xapp-", "Basic Information, App-Level Tokens"),
    ):
        value = env.get(name, "").strip()
        if value and (not value.startswith(prefix) or any(c.isspace() for c in value)):
            raise ConfigError(f"{name} must start with {prefix} and hold no spaces: copy it from {where}")
    url = env.get("COACH_DATABASE_URL", "").strip()
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("COACH_DATABASE_URL must start with postgresql:// (e.g. postgresql://user@host/db)")


@dataclass(frozen=True)
class Settings:
    """Everything the coach reads from its environment."""

    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str = field(default="", repr=False)
    fsync: bool = True
    log_level: str = "WARNING"
    log_format: str = "text"
    flows_dir: Path = ROOT / "flows"
    locales_dir: Path = ROOT / "locales"
    telegram_token: str = field(default="", repr=False)
    telegram_api_base_url: str = ""
    telegram_webhook_secret: str = field(default="", repr=False)
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_client_id: str = ""
    slack_client_secret: str = field(default="", repr=False)
    slack_api_url: str = ""
    feeds_allow_private: bool = False
    """Fetch feeds at private addresses too: tests on 127.0.0.1 only, unsafe on a server."""

    @property
    def secrets(self) -> list[str]:
        """Values that must never appear in a log."""
        return [
            self.database_url,
            self.telegram_token,
            self.telegram_webhook_secret,
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.slack_client_secret,
        ]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the COACH_*, TELEGRAM_* and SLACK_* variables."""
        env = os.environ if env is None else env
        fsync_raw = env.get("COACH_FSYNC", "1").strip().lower()
        if fsync_raw not in ("1", "0", "true", "false", "yes", "no"):
            raise ConfigError(f"COACH_FSYNC must be 1 or 0, not {fsync_raw!r}")
        level = env.get("COACH_LOG_LEVEL", "WARNING").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"COACH_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
        log_format = env.get("COACH_LOG_FORMAT", "text").strip().lower() or "text"
        if log_format not in LOG_FORMATS:
            raise ConfigError(f"COACH_LOG_FORMAT must be text or json, not {log_format!r}")
        _check_shapes(env)
        data_dir = env.get("COACH_DATA_DIR", "").strip()
        return cls(
            data_dir=Path(data_dir).expanduser() if data_dir else default_data_dir(),
            database_url=env.get("COACH_DATABASE_URL", "").strip(),
            fsync=fsync_raw in ("1", "true", "yes"),
            log_level=level,
            log_format=log_format,
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip(),
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", "").strip(),
            slack_bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
            slack_app_token=env.get("SLACK_APP_TOKEN", "").strip(),
            slack_client_id=env.get("SLACK_CLIENT_ID", "").strip(),
            slack_client_secret=env.get("SLACK_CLIENT_SECRET", "").strip(),
            slack_api_url=env.get("SLACK_API_URL", "").strip(),
            feeds_allow_private=env.get("COACH_FEEDS_ALLOW_PRIVATE", "").strip() == "1",
        )
