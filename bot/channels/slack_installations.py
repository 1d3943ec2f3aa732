"""Slack installations kept in the coach's own store: Bolt's `AsyncInstallationStore` port.

One installation per workspace (or Enterprise Grid org), the latest replacing the earlier: the
coach only uses bot tokens. Bolt's authorizer reads it for every request and caches the
`auth.test` result per token.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from bot.store.base import Store

log = logging.getLogger(__name__)


def installation_key(enterprise_id: str | None, team_id: str | None) -> str:
    """The store's key for a workspace, or for an org-wide installation when there is no team."""
    return f"slack:{enterprise_id or '-'}:{team_id or '-'}"


def _to_doc(installation: Installation) -> dict[str, Any]:
    doc = installation.to_dict_for_copying()
    return {k: (v.timestamp() if isinstance(v, datetime) else v) for k, v in doc.items()}


class StoreInstallations(AsyncInstallationStore):
    """Keeps each workspace's installation as one document of the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        """The logger Bolt expects every installation store to have."""
        return log

    async def async_save(self, installation: Installation) -> None:
        """Keep the installation of its workspace, replacing an earlier one."""
        key = installation_key(installation.enterprise_id, installation.team_id)
        if installation.is_enterprise_install:
            key = installation_key(installation.enterprise_id, None)
        await asyncio.to_thread(self.store.put_installation, key, _to_doc(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        """Bots are saved with their installation; a rotated token arrives through `async_save`."""
        raise NotImplementedError("bot tokens are kept with their installation")

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The workspace's installation (the coach keeps no per-user tokens)."""
        key = installation_key(enterprise_id, None if is_enterprise_install else team_id)
        doc = await asyncio.to_thread(self.store.get_installation, key)
        return Installation(**doc) if doc else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's bot: its token, ids and scopes."""
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return installation.to_bot() if installation else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot token (revoked)."""
        await self.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """User tokens are not kept: nothing to forget for one user; the bot's stays."""
        if user_id is None:
            await self.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's installation (uninstalled)."""
        await asyncio.to_thread(self.store.delete_installation, installation_key(enterprise_id, team_id))
