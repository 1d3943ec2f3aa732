"""The Slack channel: a real `slack-bolt` `AsyncApp`, translating only.

`/coach <command>` and the Home tab's button start or steer the conversation; the conversation
itself runs in the owner's direct message with the bot: choices as Block Kit buttons (a
multiple choice as checkboxes and Done), free text as DM messages, and each answered question
updated to show the answer without its buttons. Owners are `slack:<team>:<user>`; a new
owner's language is their Slack locale. Every request is acknowledged first and worked on
after, one owner's events in arrival order. Slack's retries of an event carry the same
`event_id`, which the engine handles once. The replies are kept in the owner's outbox with the
answer and go out through it (`bot.outbox`, the one delivery path, with its rate limit per
workspace and its retries); this module sends one message per call and translates Slack's
errors. Marking the answer on the question and the Home tab are best effort: their failure
never stops the engine or the replies.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.channels import slack_blocks as kit
from bot.channels.slack_installations import StoreInstallations
from bot.clock import Clock
from bot.engine import Engine
from bot.events import Attachment, InboundEvent, Reply
from bot.i18n import DEFAULT_LANGUAGE, Translator, normalise_language
from bot.outbox import (
    Limits,
    Outbox,
    Refused,
    RetryLater,
    TransientError,
    Unreachable,
    mark_unreachable,
    reply_entry_id,
)
from bot.pictures.studio import MissingPicture, picture, ready

log = logging.getLogger(__name__)
# Bolt also reads SLACK_BOT_TOKEN itself and warns that the client's (the same token) wins.
logging.getLogger("slack_bolt.AsyncApp").addFilter(lambda record: "will be unused" not in record.getMessage())

CHANNEL = "slack"
SCOPES = ("commands", "chat:write", "files:write", "im:history", "im:write", "users:read")
DEFAULT_API_URL = "https://slack.com/api/"
ALT_TEXT_MAX = 1000
"""Slack's limit on an image's alternative text."""
PROCESSING_TRIES = 5
PROCESSING_WAIT = 0.5
"""A message showing a picture just uploaded: tries, and the first wait in seconds (then doubled)."""
API_TIMEOUT = 10
"""Seconds a Web API call may take before it is abandoned (and retried by the outbox)."""
LIMITS = Limits(per_second=20.0, per_chat_per_second=1.0)
"""Slack allows about one message a second per conversation, and a budget per workspace."""
GONE = frozenset(
    {
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "team_access_not_granted",
        "missing_scope",
    }
)
"""Slack errors that mean the owner cannot be reached until something changes on their side."""


def failure(error: SlackApiError) -> tuple[str, int, bool]:
    """What Slack said: its error code, the HTTP status, and whether trying again later may work.

    An answer that is not JSON comes with the raw HTTP response, not a Slack response.
    """
    response = error.response
    status = int(getattr(response, "status_code", 0) or getattr(response, "status", 0) or 0)
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    if code is None:
        return "unreadable answer", status, True
    return str(code), status, status == 429 or status >= 500


def owner_id(team_id: str, user_id: str) -> str:
    """The engine's id for a Slack user of a workspace."""
    return f"{CHANNEL}:{team_id}:{user_id}"


def split_owner(owner: str) -> tuple[str, str]:
    """The workspace and user of an owner id."""
    _, team, user = owner.split(":", 2)
    return team, user


def web_client(api_url: str | None, token: str | None = None, timeout: float = API_TIMEOUT) -> AsyncWebClient:
    """A Web API client that tries each call once: the outbox owns the one retry policy.

    A call gets API_TIMEOUT seconds, not slack_sdk's 30: an owner waiting longer should rather
    have the message from the outbox's next try.
    """
    return AsyncWebClient(
        token=token, base_url=api_url or DEFAULT_API_URL, timeout=int(timeout), retry_handlers=[]
    )


class SlackChannel:
    """Connects the engine to a Bolt `AsyncApp`: in one workspace (a bot token) or many (OAuth)."""

    def __init__(
        self, engine: Engine, clock: Clock, api_url: str | None = None, outbox: Outbox | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.api_url = api_url or DEFAULT_API_URL
        self.api_timeout: float = API_TIMEOUT
        """Seconds a Web API call may take (set before `build`)."""
        self.outbox = outbox or Outbox(engine.store, {}, {})
        """Delivers the replies and the reminders, shared with the nudge loop of the process."""
        self.outbox.add(CHANNEL, SlackSender(self), LIMITS)
        self._aside_tasks: set[asyncio.Future[None]] = set()
        self.installations: StoreInstallations | None = None
        self.token: str | None = None
        self._queues: dict[str, asyncio.Lock] = {}
        self._dms: dict[str, str] = {}
        self._homes: dict[str, str] = {}
        self._home_charts: dict[str, tuple[str, str]] = {}
        self._languages: dict[str, str] = {}
        self._zones: dict[str, str] = {}  # a new owner's Slack time zone, until their record exists
        self._client: AsyncWebClient | None = None

    def build(
        self,
        signing_secret: str,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        state_dir: Path | None = None,
    ) -> AsyncApp:
        """The Bolt app: with `token` for one workspace, or with OAuth for installing into many."""
        client = web_client(self.api_url, token, self.api_timeout)
        if token:
            self.token = token
            app = AsyncApp(signing_secret=signing_secret, client=client)  # the client carries the token
        else:
            self.installations = StoreInstallations(self.engine.store)
            oauth = AsyncOAuthSettings(
                client_id=client_id,
                client_secret=client_secret,
                scopes=list(SCOPES),
                installation_store=self.installations,
                installation_store_bot_only=True,
                state_store=FileOAuthStateStore(
                    expiration_seconds=600, base_dir=str(state_dir or Path("data") / "slack-oauth-state")
                ),
            )
            authorize = AsyncInstallationStoreAuthorize(
                installation_store=self.installations,
                client_id=client_id,
                client_secret=client_secret,
                bot_only=True,
                cache_enabled=True,
                client=client,
                logger=log,
            )
            # An AsyncAuthorize instance is taken as is; the stub only names plain functions.
            app = AsyncApp(
                signing_secret=signing_secret,
                client=client,
                oauth_settings=oauth,
                authorize=authorize,  # type: ignore[arg-type]
            )
        app.command("/coach")(self.on_command)
        app.action(re.compile(r"^coach\."))(self.on_action)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("app_uninstalled")(self.on_uninstalled)
        app.event("tokens_revoked")(self.on_tokens_revoked)
        app.event(re.compile(".*"))(self.on_other_event)  # last: any other event is acknowledged
        return app

    def now(self) -> datetime:
        """The time stamped on events."""
        return self.clock.now()

    # --- inbound ----------------------------------------------------------------------------

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        """`/coach <command> [args]`: acknowledge at once, then answer in the owner's DM."""
        team, user = str(command.get("team_id", "")), str(command.get("user_id", ""))
        owner = owner_id(team, user)
        if self._dms.get(owner) == command.get("channel_id"):
            await ack()
        else:  # typed elsewhere: say where the answer goes, only to them
            await ack(text=kit.slack_commands(self._translator(owner).tr("slack.dm_notice")))
        words = str(command.get("text", "")).strip() or "start"
        event = InboundEvent.from_text(
            owner, CHANNEL, self.now(), "/" + words.removeprefix("/"), event_id=self._event_id(command)
        )
        await self._handle(client, team, user, event)

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A button or checkbox: answer the question it belongs to, then mark it answered."""
        await ack()
        action = (body.get("actions") or [{}])[0]
        action_id = str(action.get("action_id", ""))
        team = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")
        user = str((body.get("user") or {}).get("id", ""))
        owner = owner_id(team, user)
        if action_id.startswith(kit.MULTI):
            return  # a box ticked: the answer is read from all of them on Done
        if action_id == kit.HOME_START:
            event = InboundEvent(owner, CHANNEL, self.now(), command="start", event_id=self._event_id(body))
            await self._handle(client, team, user, event)
            return
        step, _, choice = str(action.get("value", "")).partition("|")
        if action_id == kit.DONE:
            ticked = kit.selected((body.get("state") or {}).get("values") or {})
            choices, labels = tuple(v for v, _ in ticked), [label for _, label in ticked]
        else:
            choices, labels = (choice,), [str((action.get("text") or {}).get("text", ""))]
        if not choices or not choices[0]:
            return
        event = InboundEvent(
            owner, CHANNEL, self.now(), choices=choices, step=step or None, event_id=self._event_id(body)
        )
        message = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id", ""))

        async def mark_answered() -> None:
            if not message.get("ts") or not channel:
                return
            blocks = kit.answered(message.get("blocks") or [], labels)
            await client.chat_update(
                channel=channel, ts=message["ts"], text=message.get("text", ""), blocks=blocks
            )

        await self._handle(client, team, user, event, before_replies=mark_answered)

    async def on_message(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        """A message in the owner's DM with the bot: their typed answer."""
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        team = str(body.get("team_id") or event.get("team") or "")
        user = str(event.get("user") or "")
        if not user:
            return
        owner = owner_id(team, user)
        self._dms[owner] = str(event.get("channel", ""))
        subtype = event.get("subtype")
        if subtype == "message_changed":
            await self._say(client, team, user, "slack.edited")
            return
        if subtype is not None or not isinstance(event.get("text"), str):
            if subtype in (None, "file_share"):
                await self._say(client, team, user, "slack.unsupported")
            return
        inbound = InboundEvent.from_text(
            owner, CHANNEL, self.now(), str(event["text"]), event_id=self._event_id(body)
        )
        await self._handle(client, team, user, inbound)

    async def on_home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The owner opened the Home tab: show their progress and plan."""
        if event.get("tab") != "home":
            return
        team = str(body.get("team_id") or "")
        user = str(event.get("user") or "")
        if user:
            await _best_effort("views.publish", self.publish_home(client, team, user, force=True))

    async def on_other_event(self, event: dict[str, Any]) -> None:
        """An event the coach does not use: acknowledged (so Slack does not retry it), ignored."""
        log.debug("ignored a Slack event of type %s", event.get("type"))

    async def on_uninstalled(self, context: AsyncBoltContext) -> None:
        """The workspace removed the app: forget its token, stop reminders, keep the owners' data."""
        await self._workspace_gone(context.enterprise_id, context.team_id)

    async def on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """The bot token was revoked: as for an uninstall; revoked user tokens do not matter here."""
        if (event.get("tokens") or {}).get("bot"):
            await self._workspace_gone(context.enterprise_id, context.team_id)

    # --- the conversation -------------------------------------------------------------------

    async def _handle(
        self,
        client: AsyncWebClient,
        team: str,
        user: str,
        event: InboundEvent,
        before_replies: Any = None,
    ) -> None:
        owner = event.owner_id
        async with self._queues.setdefault(owner, asyncio.Lock()):
            if owner not in self._languages:  # maybe a new owner: their Slack locale
                language = await self._language(client, owner, user)
                zone = self._zones.pop(owner, None)
                event = InboundEvent(**{**vars(event), "language": language, "timezone": zone})
            replies = await asyncio.to_thread(self.engine.handle, event, self.outbox.deliverer)
            if not replies:
                return  # a retried event, handled already
            if before_replies is not None:
                self._aside(_best_effort("chat.update", before_replies()))
            await self.outbox.deliver_replies(owner, reply_entry_id(event), replies)
            self._aside(_best_effort("views.publish", self.publish_home(client, team, user)))

    def _aside(self, call: Any) -> None:
        """Run a best-effort call beside the handling, which does not wait for it."""
        task = asyncio.ensure_future(call)
        self._aside_tasks.add(task)
        task.add_done_callback(self._aside_tasks.discard)

    async def _say(self, client: AsyncWebClient, team: str, user: str, key: str) -> None:
        owner = owner_id(team, user)
        record = await asyncio.to_thread(self.engine.store.get, owner)
        text = self.engine.translators[record.language if record else DEFAULT_LANGUAGE].tr(key)
        await self.outbox.send_now(CHANNEL, owner, Reply(text))

    async def _language(self, client: AsyncWebClient, owner: str, user: str) -> str | None:
        """A new owner's language, from their Slack locale; None for an owner already known."""
        if await asyncio.to_thread(self.engine.store.get, owner) is not None:
            return None
        try:
            info = await client.users_info(user=user, include_locale=True)
        except SlackApiError as error:
            log.info("no locale for %s: %s", owner, failure(error)[0])
            return DEFAULT_LANGUAGE
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:  # the owner is not kept waiting
            log.info("no locale for %s: %r", owner, error)
            return DEFAULT_LANGUAGE
        profile = info.get("user") or {}
        if profile.get("tz"):  # their time zone too: reminders at their hour without asking
            self._zones[owner] = str(profile["tz"])
        return normalise_language(str(profile.get("locale") or "")) or DEFAULT_LANGUAGE

    def _translator(self, owner: str) -> Translator:
        """The owner's language as last seen (read nothing: this runs before the ack)."""
        return self.engine.translators[self._languages.get(owner, DEFAULT_LANGUAGE)]

    @staticmethod
    def _event_id(body: dict[str, Any]) -> str | None:
        key = body.get("event_id") or body.get("trigger_id")
        return f"slack:{key}" if key else None

    async def open_dm(self, client: AsyncWebClient, owner: str, user: str) -> str:
        """The id of the owner's DM with the bot (opened once, then remembered)."""
        channel = self._dms.get(owner)
        if channel is None:
            opened = await client.conversations_open(users=user)
            channel = str((opened.get("channel") or {}).get("id"))
            self._dms[owner] = channel
        return channel

    async def publish_home(self, client: AsyncWebClient, team: str, user: str, force: bool = False) -> None:
        """Show the owner's Home tab; only when it changed, unless `force`."""
        owner = owner_id(team, user)
        overview = await asyncio.to_thread(self.engine.overview, owner, self.now())
        language = (
            overview.language if overview else (await self._language(client, owner, user) or DEFAULT_LANGUAGE)
        )
        self._languages[owner] = language
        chart = await self._home_chart(client, owner, overview.chart) if overview else None
        view = kit.home_view(overview, self.engine.translators[language], chart)
        digest = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()
        if not force and self._homes.get(owner) == digest:
            return
        await client.views_publish(user_id=user, view=view)
        self._homes[owner] = digest

    async def _home_chart(self, client: AsyncWebClient, owner: str, chart: Reply | None) -> str | None:
        """The id of the owner's chart uploaded for the Home tab (again only when it changed)."""
        if chart is None or chart.attachment is None:
            return None
        try:
            data = await picture(self.engine.pictures, owner, chart)
            if data is None:
                return None
            digest = hashlib.sha256(data).hexdigest()
            kept = self._home_charts.get(owner)
            if kept is not None and kept[0] == digest:
                return kept[1]
            name = chart.attachment.name
            uploaded = await client.files_upload_v2(  # shared with no one: shown in the Home tab only
                file=data, filename=name, title=name, alt_txt=chart.text[:ALT_TEXT_MAX]
            )
        except (SlackApiError, MissingPicture) as error:
            log.warning("no chart on the Home tab of %s: %r", owner, error)
            return None
        file_id = str((uploaded.get("file") or {}).get("id"))
        self._home_charts[owner] = (digest, file_id)
        return file_id

    async def _workspace_gone(self, enterprise_id: str | None, team_id: str | None) -> None:
        if self.installations is not None:
            await self.installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        prefix = owner_id(team_id or "", "")

        def stop_reminders() -> int:
            owners = [o for o in self.engine.store.owner_ids() if o.startswith(prefix)]
            for owner in owners:
                mark_unreachable(self.engine.store, owner)
            return len(owners)

        count = await asyncio.to_thread(stop_reminders)
        log.info("workspace %s is gone: reminders stopped for %d owners, their data kept", team_id, count)

    # --- outbound, outside a request (reminders) --------------------------------------------

    async def client_for(self, team: str) -> AsyncWebClient | None:
        """A client with the workspace's bot token, or None when it is not installed (any more)."""
        if self.token:
            if self._client is None:
                self._client = web_client(self.api_url, self.token, self.api_timeout)
            return self._client
        assert self.installations is not None
        # Looked up each time: a reinstall brings a new token, an uninstall takes it away.
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
        return web_client(self.api_url, bot.bot_token, self.api_timeout) if bot else None


async def post(client: AsyncWebClient, channel: str, reply: Reply, data: bytes | None = None) -> None:
    """Send one reply to a channel: split if long, its choices on the last part; a file uploaded.

    A file is the attachment's text, or `data` (a picture's bytes); an image gets the reply's
    text as its alternative text too, for screen readers. A picture with buttons (the weekly
    memo and its chart) is one message: the image, uploaded privately, shown in its blocks.
    """
    attachment = reply.attachment
    if attachment is not None and attachment.kind == "photo" and data is not None and reply.choices:
        await _post_with_picture(client, channel, reply, attachment, data)
        return
    if attachment is not None:
        body: dict[str, Any] = {"file": data} if data is not None else {"content": attachment.content}
        if attachment.kind == "photo":
            body["alt_txt"] = reply.text[:ALT_TEXT_MAX]
        await client.files_upload_v2(
            channel=channel,
            filename=attachment.name,
            title=attachment.name,
            initial_comment=kit.escape(kit.slack_commands(reply.text)),
            **body,
        )
        return
    for text, blocks in kit.messages(reply):
        await client.chat_postMessage(channel=channel, text=text, blocks=blocks)


def _file_not_ready(error: BaseException) -> bool:
    """Slack refused an image block because the file just uploaded is still being processed."""
    if not isinstance(error, SlackApiError):
        return False
    data = getattr(error.response, "data", None)
    if not isinstance(data, dict) or data.get("error") != "invalid_blocks":
        return False
    return any("slack_file" in str(problem) for problem in data.get("errors") or [])


async def _post_with_picture(
    client: AsyncWebClient, channel: str, reply: Reply, attachment: Attachment, data: bytes
) -> None:
    """One message: the reply's text, its picture and its buttons.

    The picture is uploaded shared with no one and shown by an image block. Slack processes an
    upload after answering it, and refuses meanwhile a message that shows it ("invalid slack
    file"): the message is tried again a few times over some seconds, then left to the outbox.
    """
    alt = (attachment.content or reply.text)[:ALT_TEXT_MAX]
    uploaded = await client.files_upload_v2(
        file=data, filename=attachment.name, title=attachment.name, alt_txt=alt
    )
    picture = kit.image(str((uploaded.get("file") or {}).get("id")), alt)
    for text, blocks in kit.messages(reply, picture):
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_file_not_ready),
                wait=wait_exponential(multiplier=PROCESSING_WAIT, max=8 * PROCESSING_WAIT),
                stop=stop_after_attempt(PROCESSING_TRIES),
                reraise=True,
            ):
                with attempt:
                    await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except SlackApiError as error:
            if _file_not_ready(error):
                raise TransientError("Slack is still processing the picture") from error
            raise


async def _best_effort(what: str, call: Any) -> None:
    """Make a call whose failure changes nothing for the owner's answer: one try, logged if it fails."""
    try:
        await call
    except SlackApiError as error:
        log.info("%s failed, and is let go: %s", what, failure(error)[0])
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        log.info("%s failed, and is let go: %r", what, error)


class SlackSender:
    """Sends outbox messages to owners' DMs, translating Slack's errors for the outbox."""

    def __init__(self, channel: SlackChannel) -> None:
        self.channel = channel

    def scope(self, owner_id: str) -> str:
        """One budget per workspace."""
        return split_owner(owner_id)[0]

    async def ready(self, owner: str, reply: Reply) -> None:
        """Draw the reply's picture (or wait for it to be drawn ahead) before a place is taken."""
        await ready(self.channel.engine.pictures, owner, reply)

    async def send(self, owner: str, reply: Reply) -> None:
        """Send one message, in one try; a 429 becomes RetryLater, a gone workspace or user Unreachable."""
        team, user = split_owner(owner)
        client = await self.channel.client_for(team)
        if client is None:
            raise Unreachable(f"workspace {team} is not installed")
        try:
            data = await picture(self.channel.engine.pictures, owner, reply)
            await post(client, await self.channel.open_dm(client, owner, user), reply, data)
        except MissingPicture as error:
            raise Refused(f"its picture is gone: {error}") from error
        except SlackApiError as error:
            code, status, again = failure(error)
            if status == 429:
                headers = {k.lower(): v for k, v in (error.response.headers or {}).items()}
                after = headers.get("retry-after", 1)
                raise RetryLater(float(after[0] if isinstance(after, list) else after)) from error
            if code in GONE:
                raise Unreachable(code) from error
            if again:
                raise TransientError(code) from error
            raise Refused(code) from error
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:  # reset, timeout, not JSON
            raise TransientError(repr(error)) from error
