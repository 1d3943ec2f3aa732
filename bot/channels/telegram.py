"""The Telegram channel: the real python-telegram-bot `Application`, translating only.

An update becomes an `InboundEvent` (owner `telegram:<user id>`, event id `tg:<update id>` so a
redelivered update is handled once); each `Reply` becomes a message, its choices an inline
keyboard whose `callback_data` is `<step>|<choice>`. After a tap the question is edited to show
the answer and loses its keyboard, so a second tap does nothing. A multiple choice toggles ☑/☐
on its buttons and is sent with "Done". One owner's updates are handled in order, different
owners' concurrently. Texts are sent as plain text: nothing an owner typed is read as markup.
The engine keeps the replies in the owner's outbox in the same write as the answer, and the
update is confirmed to Telegram once that write is done; the replies then go out through the
outbox (`bot.outbox`), the one delivery path, with its rate limit and retries, which this
module only feeds with one-call sends and a translation of Telegram's errors. Answering the
button press (`answerCallbackQuery`) and marking the answer on the question are best effort:
their failure never stops the engine or the replies.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

# Durations from PTB as timedelta (22.2+), without its deprecation warning about the old float.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    ExtBot,
    TypeHandler,
)

from bot.channels.telegram_http import AiohttpRequest
from bot.channels.text import split_text
from bot.clock import Clock
from bot.commands import COMMANDS
from bot.engine import Engine
from bot.events import InboundEvent, Reply
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language
from bot.outbox import Limits, Outbox, Refused, RetryLater, TransientError, Unreachable, reply_entry_id
from bot.pictures.caption import caption_length
from bot.pictures.studio import MissingPicture, Pictures, picture, ready

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_CALLBACK = 64
MAX_CAPTION = 1024
CHECKED, UNCHECKED = "☑ ", "☐ "
DONE_MARK = "="
CONNECTIONS = 8
"""Connections kept to the Bot API: Telegram's 30 messages a second with answers taking up to a
quarter of a second need 8."""


def owner_id(user_id: int) -> str:
    """The engine's id for a Telegram user."""
    return f"{CHANNEL}:{user_id}"


def bot_urls(base_url: str | None) -> tuple[str, str]:
    """The Bot API's URLs (methods, files) under `base_url` (a self-hosted server, a test's fake)."""
    root = (base_url or "https://api.telegram.org").rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


def callback_data(step: str | None, choice: str) -> str:
    """The button's data: which question, which option; Telegram allows 64 bytes."""
    data = f"{step or ''}|{choice}"
    if len(data.encode()) > MAX_CALLBACK:
        raise ValueError(f"callback data over {MAX_CALLBACK} bytes: {data!r}")
    return data


def keyboard(reply: Reply, checked: Sequence[str] = ()) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a reply: one button per row, toggles and Done for a multiple choice."""
    if not reply.choices:
        return None
    if not reply.multiple:
        rows = [
            [InlineKeyboardButton(c.label, callback_data=callback_data(reply.step, c.id))]
            for c in reply.choices
        ]
        return InlineKeyboardMarkup(rows)
    rows = [
        [
            InlineKeyboardButton(
                (CHECKED if c.id in checked else UNCHECKED) + c.label,
                callback_data=callback_data(reply.step, "~" + c.id),
            )
        ]
        for c in reply.choices
    ]
    rows.append(
        [InlineKeyboardButton(reply.done_label or "OK", callback_data=callback_data(reply.step, DONE_MARK))]
    )
    return InlineKeyboardMarkup(rows)


def _toggled(markup: InlineKeyboardMarkup, choice: str) -> tuple[InlineKeyboardMarkup, list[str]]:
    """Flip one option of a multiple-choice keyboard; return it and the options now checked."""
    rows, checked = [], []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            data = str(button.callback_data or "")
            text = button.text
            if data.endswith("|~" + choice):
                text = (
                    (UNCHECKED + text[len(CHECKED) :])
                    if text.startswith(CHECKED)
                    else (CHECKED + text[len(UNCHECKED) :] if text.startswith(UNCHECKED) else text)
                )
            if text.startswith(CHECKED):
                checked.append(data.split("|~", 1)[1])
            new_row.append(InlineKeyboardButton(text, callback_data=data))
        rows.append(new_row)
    return InlineKeyboardMarkup(rows), checked


def _checked(markup: InlineKeyboardMarkup | None) -> list[str]:
    if markup is None:
        return []
    return [
        str(b.callback_data).split("|~", 1)[1]
        for row in markup.inline_keyboard
        for b in row
        if b.text.startswith(CHECKED) and "|~" in str(b.callback_data)
    ]


class ConfirmWhenHandled(ExtBot[Any]):
    """A bot that asks for more updates only once the ones it has are handled.

    Telegram forgets updates as soon as the next `getUpdates` names a later offset, and
    python-telegram-bot asks again right after queueing a batch: an update queued but not yet
    handled when the process dies would be lost. Waiting until the batch is handled (stored)
    means such an update is fetched again after a restart, and handled once: its id is kept
    with the owner's answer.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unhandled: set[int] = set()
        self._drained = asyncio.Event()
        self._drained.set()

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Wait for the previous batch to be handled, then fetch (and so confirm it)."""
        await self._drained.wait()
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            self._unhandled.update(u.update_id for u in updates)
            self._drained.clear()
        return updates

    def handled(self, update_id: int) -> None:
        """Note that an update's handling is over (answered, or failed for good)."""
        self._unhandled.discard(update_id)
        if not self._unhandled:
            self._drained.set()


class PerOwnerProcessor(BaseUpdateProcessor):
    """Handles different chats concurrently and one chat's updates strictly in arrival order."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handling under its chat's lock (asyncio locks are first come first served)."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        async with lock:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class TelegramChannel:
    """Connects the engine to a Telegram `Application`; sends through `outbox`, shared with the reminders."""

    def __init__(self, engine: Engine, clock: Clock, outbox: Outbox | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.outbox = outbox or Outbox(engine.store, {}, {})
        self._warned_groups: set[int] = set()
        self._aside_tasks: set[asyncio.Future[None]] = set()

    def build(
        self,
        token: str,
        base_url: str | None = None,
        retries: int = 5,
        after_init: Callable[[Any], Awaitable[None]] | None = None,
        before_stop: Callable[[Any], Coroutine[Any, Any, None]] | None = None,
        overall_per_second: float = 30,
        read_timeout: float = 5.0,
    ) -> Application[Any, Any, Any, Any, Any, Any]:
        """The Application, pointed at `base_url` (a self-hosted Bot API server, or a test's fake).

        `run_polling` (or `serve_webhook`) sets the command menu, then calls `after_init`, once started,
        and `before_stop` when stopping. The bot's messages go through the outbox: `retries` tries
        each, at most `overall_per_second` (Telegram's ~30/s; 0 lifts it, for benchmarks). A call
        Telegram holds longer than `read_timeout` seconds is given up and tried again.
        """

        async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
            await self.set_commands(application)
            if after_init is not None:
                await after_init(application)

        async def post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
            if before_stop is not None:
                await before_stop(application)
            await self.outbox.close()

        api, files = bot_urls(base_url)
        bot = ConfirmWhenHandled(
            token,
            base_url=api,
            base_file_url=files,
            request=AiohttpRequest(CONNECTIONS, read_timeout=read_timeout),
            get_updates_request=AiohttpRequest(),
        )
        limits = Limits(per_second=overall_per_second or 1e9, attempts=max(1, retries))
        if not overall_per_second:
            limits = Limits(per_second=1e9, per_chat_per_second=1e9, attempts=max(1, retries))
        self.outbox.add(CHANNEL, TelegramSender(bot, self.engine.pictures), limits)
        builder = ApplicationBuilder().bot(bot)
        builder = builder.concurrent_updates(PerOwnerProcessor()).post_init(post_init).post_stop(post_stop)
        application = builder.build()
        application.add_handler(TypeHandler(Update, self.on_update))
        return application

    async def set_commands(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """The command menu, in each language, French as the default."""
        for language in LANGUAGES:
            t = self.engine.translators[language]
            commands = [BotCommand(name, t.tr("command." + name)[:256]) for name in COMMANDS]
            await application.bot.set_my_commands(commands, language_code=language)
            if language == DEFAULT_LANGUAGE:
                await application.bot.set_my_commands(commands)

    # --- inbound ----------------------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Translate one update, ask the engine, send its replies; confirm it once it is stored."""
        try:
            await self._on_update(update, context)
        finally:  # nothing was stored (an update the coach ignores), or it was confirmed already
            self._confirm(update, context)

    @staticmethod
    def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(context.bot, ConfirmWhenHandled):
            context.bot.handled(update.update_id)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or user.is_bot:
            return
        if chat.type != "private":
            await self._only_private(update)
            return
        language = normalise_language(user.language_code)
        base = {"event_id": f"tg:{update.update_id}", "language": language}
        at = self.engine_now()
        if update.callback_query is not None:
            await self._on_tap(update, update.callback_query, owner_id(user.id), base, context)
            return
        message = update.message
        if update.edited_message is not None:
            await self._say(owner_id(user.id), "telegram.edited", language)
            return
        if message is None:
            return
        text = message.text
        if message.forward_origin is not None:  # a forwarded post: its link may be in a caption, or hidden
            hidden = [e.url for e in (*message.entities, *message.caption_entities) if e.url]
            text = " ".join(part for part in (text or message.caption, *hidden) if part) or None
        if text is None:
            await self._say(owner_id(user.id), "telegram.unsupported", language)
            return
        event = InboundEvent.from_text(owner_id(user.id), CHANNEL, at, text, **base)
        await self._handle(update, context, event)

    async def _on_tap(
        self,
        update: Update,
        query: CallbackQuery,
        owner: str,
        base: dict[str, Any],
        context: ContextTypes.DEFAULT_TYPE,
    ) -> None:
        step, _, choice = str(query.data or "").partition("|")
        message = query.message if isinstance(query.message, Message) else None
        # The spinner on the button stops as soon as Telegram hears back; whatever happens to
        # that call, the tap is handled.
        self._aside(_best_effort("answerCallbackQuery", query.answer()))
        if choice.startswith("~") and message is not None and message.reply_markup is not None:
            markup, _ = _toggled(message.reply_markup, choice[1:])
            await _best_effort("editMessageReplyMarkup", query.edit_message_reply_markup(reply_markup=markup))
            return
        choices = (
            tuple(_checked(message.reply_markup if message else None)) if choice == DONE_MARK else (choice,)
        )
        if not choices:
            return
        event = InboundEvent(owner, CHANNEL, self.engine_now(), choices=choices, step=step or None, **base)
        replies = await self.outbox.in_thread(self.engine.handle, event, self.outbox.deliverer)
        self._confirm(update, context)
        if message is not None and replies:
            labels = [
                b.text.removeprefix(CHECKED)
                for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
                for b in row
                if str(b.callback_data).split("|", 1)[1].lstrip("~") in choices
            ]
            self._aside(_mark_answered(query, message, labels))
        await self.outbox.deliver_replies(owner, reply_entry_id(event), replies)

    def _aside(self, call: Coroutine[Any, Any, None]) -> None:
        """Run a best-effort call beside the handling, which does not wait for it."""
        task = asyncio.ensure_future(call)
        self._aside_tasks.add(task)
        task.add_done_callback(self._aside_tasks.discard)

    async def _handle(self, update: Update, context: ContextTypes.DEFAULT_TYPE, event: InboundEvent) -> None:
        replies = await self.outbox.in_thread(self.engine.handle, event, self.outbox.deliverer)
        self._confirm(update, context)
        await self.outbox.deliver_replies(event.owner_id, reply_entry_id(event), replies)

    async def _only_private(self, update: Update) -> None:
        chat = update.effective_chat
        assert chat is not None
        if chat.id in self._warned_groups:
            return
        self._warned_groups.add(chat.id)
        user = update.effective_user
        language = normalise_language(user.language_code if user else None) or DEFAULT_LANGUAGE
        notice = Reply(self.engine.translators[language].tr("telegram.private_only"))
        await self.outbox.send_now(CHANNEL, f"{CHANNEL}:{chat.id}", notice)

    async def _say(self, owner: str, key: str, language: str | None) -> None:
        record = await self.outbox.in_thread(self.engine.store.get, owner)
        lang = record.language if record else (language or DEFAULT_LANGUAGE)
        await self.outbox.send_now(CHANNEL, owner, Reply(self.engine.translators[lang].tr(key)))

    def engine_now(self) -> datetime:
        """The time stamped on events."""
        return self.clock.now()


async def _mark_answered(query: CallbackQuery, message: Message, labels: list[str]) -> None:
    """Show under a question the answer tapped, its buttons gone (best effort).

    A photo's question (the weekly memo under its chart) is its caption: the answer goes
    there while the caption stays within Telegram's limit; else only the buttons go.
    """
    if message.text is not None:
        text = f"{message.text}\n\n→ {', '.join(labels)}"
        await _best_effort("editMessageText", query.edit_message_text(text, reply_markup=None))
        return
    caption = f"{message.caption or ''}\n\n→ {', '.join(labels)}".lstrip("\n")
    if caption_length(caption) <= MAX_CAPTION:
        await _best_effort("editMessageCaption", query.edit_message_caption(caption, reply_markup=None))
    else:
        await _best_effort("editMessageReplyMarkup", query.edit_message_reply_markup(reply_markup=None))


async def _best_effort(what: str, call: Awaitable[Any]) -> None:
    """Make a call whose failure changes nothing for the owner's answer: one try, logged if it fails."""
    try:
        await call
    except (TelegramError, TimeoutError) as error:
        log.info("%s failed, and is let go: %r", what, error)


async def send_reply(bot: Any, chat_id: int, reply: Reply, data: bytes | None = None) -> None:
    """Send one reply, once: its text (split only past Telegram's 4,096 characters), or its file.

    The keyboard goes on the last part. A file (`data`, the bytes of the reply's attachment) goes
    as a photo or a document with the text as its caption and the keyboard under it: one
    message (the weekly memo, its chart, its check-in buttons), when the text fits Telegram's
    1,024 characters of a caption; else the file goes first, then the text with the keyboard.
    Errors are Telegram's; `TelegramSender` translates them for the outbox, which retries.
    """
    attachment = reply.attachment
    text = reply.text
    if attachment is not None:
        content = data if data is not None else attachment.content.encode()
        payload = InputFile(content, filename=attachment.name)
        fits = caption_length(text) <= MAX_CAPTION
        send = bot.send_photo if attachment.kind == "photo" else bot.send_document
        if fits:
            await send(chat_id, payload, caption=text or None, reply_markup=keyboard(reply))
            return
        log.info("a caption of %d characters: the picture and its text go apart", caption_length(text))
        await send(chat_id, payload)
    parts = split_text(text, MAX_TEXT)
    for index, part in enumerate(parts):
        markup = keyboard(reply) if index == len(parts) - 1 else None
        await bot.send_message(chat_id, part, reply_markup=markup)


def retry_after(error: RetryAfter) -> float:
    """Seconds Telegram asks to wait (a `timedelta` since PTB 22.2)."""
    after = error.retry_after
    return after.total_seconds() if hasattr(after, "total_seconds") else float(after)


class TelegramSender:
    """Sends outbox messages through the bot, translating Telegram's errors for the outbox."""

    def __init__(self, bot: Any, pictures: Pictures) -> None:
        self.bot = bot
        self.pictures = pictures
        self._scope = f"bot{str(bot.token).split(':', 1)[0]}"

    def scope(self, owner_id: str) -> str:
        """One budget per bot token, whoever the owner."""
        return self._scope

    async def ready(self, owner: str, reply: Reply) -> None:
        """Draw the reply's picture (or wait for it to be drawn ahead) before a place is taken."""
        await ready(self.pictures, owner, reply)

    async def send(self, owner: str, reply: Reply) -> None:
        """Send one message to the owner's private chat (its id is the user id), in one try."""
        chat_id = int(owner.split(":", 1)[1])
        try:
            data = await picture(self.pictures, owner, reply)
            await send_reply(self.bot, chat_id, reply, data=data)
        except RetryAfter as error:
            raise RetryLater(retry_after(error)) from error
        except Forbidden as error:
            raise Unreachable(str(error)) from error
        except BadRequest as error:
            if "chat not found" in str(error).lower():
                raise Unreachable(str(error)) from error
            raise Refused(str(error)) from error
        except MissingPicture as error:
            raise Refused(f"its picture is gone: {error}") from error
        except TelegramError as error:  # a timeout, a reset, a 5xx, an answer that is not JSON
            raise TransientError(repr(error)) from error
