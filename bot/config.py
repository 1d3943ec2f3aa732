"""Settings, read from the environment once at start-up and checked there."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything the coach reads from its environment."""

    data_dir: Path = Path("data")
    database_url: str = field(default="", repr=False)
    fsync: bool = True
    log_level: str = "WARNING"
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
        return cls(
            data_dir=Path(env.get("COACH_DATA_DIR", "data")),
            database_url=env.get("COACH_DATABASE_URL", "").strip(),
            fsync=fsync_raw in ("1", "true", "yes"),
            log_level=level,
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
