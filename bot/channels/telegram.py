"""The Telegram channel: the real python-telegram-bot `Application`, translating only.

An update becomes an `InboundEvent` (owner `telegram:<user id>`, event id `tg:<update id>` so a
redelivered update is handled once); each `Reply` becomes a message, its choices an inline
keyboard whose `callback_data` is `<step>|<choice>`. After a tap the question is edited to show
the answer and loses its keyboard, so a second tap does nothing. A multiple choice toggles ☑/☐
on its buttons and is sent with "Done". One owner's updates are handled in order, different
owners' concurrently. Texts are sent as plain text: nothing an owner typed is read as markup.
The engine keeps the replies in the owner's outbox in the same write as the answer; each is
marked as it goes out, so a process killed in between leaves them for the next round.
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
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    ExtBot,
    TypeHandler,
)
from telegram.request import HTTPXRequest
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from bot.channels.text import split_text
from bot.clock import Clock
from bot.commands import COMMANDS
from bot.engine import Engine
from bot.events import InboundEvent, Reply
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language
from bot.outbox import (
    RetryLater,
    TransientError,
    Unreachable,
    give_back,
    mark_delivered,
    mark_unreachable,
    new_holder,
    reply_entry_id,
)
from bot.pictures.studio import MissingPicture, Pictures, picture

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_CALLBACK = 64
MAX_CAPTION = 1024
CHECKED, UNCHECKED = "☑ ", "☐ "
DONE_MARK = "="


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
    """Connects the engine to a Telegram `Application`."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.deliverer = new_holder(engine.store)  # holds the replies this process is sending
        self._warned_groups: set[int] = set()

    def build(
        self,
        token: str,
        base_url: str | None = None,
        retries: int = 3,
        after_init: Callable[[Any], Awaitable[None]] | None = None,
        before_stop: Callable[[Any], Coroutine[Any, Any, None]] | None = None,
        overall_per_second: float = 30,
    ) -> Application[Any, Any, Any, Any, Any, Any]:
        """The Application, pointed at `base_url` (a self-hosted Bot API server, or a test's fake).

        `run_polling` (or `serve_webhook`) sets the command menu, then calls `after_init`, once started,
        and `before_stop` when stopping.
        Sending is held to `overall_per_second` (Telegram's ~30/s; 0 lifts it, for benchmarks).
        """

        async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
            await self.set_commands(application)
            if after_init is not None:
                await after_init(application)

        limiter = AIORateLimiter(overall_max_rate=overall_per_second, max_retries=retries)
        api, files = bot_urls(base_url)
        bot = ConfirmWhenHandled(
            token,
            base_url=api,
            base_file_url=files,
            request=HTTPXRequest(connection_pool_size=256),
            get_updates_request=HTTPXRequest(),
            rate_limiter=limiter,
        )
        builder = ApplicationBuilder().bot(bot)
        builder = builder.concurrent_updates(PerOwnerProcessor()).post_init(post_init)
        if before_stop is not None:
            builder = builder.post_stop(before_stop)
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
        """Translate one update, ask the engine, send its replies; then let it be confirmed."""
        try:
            await self._on_update(update, context)
        finally:
            if isinstance(context.bot, ConfirmWhenHandled):
                context.bot.handled(update.update_id)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or user.is_bot:
            return
        if chat.type != "private":
            await self._only_private(update, context)
            return
        language = normalise_language(user.language_code)
        base = {"event_id": f"tg:{update.update_id}", "language": language}
        at = self.engine_now()
        if update.callback_query is not None:
            await self._on_tap(update.callback_query, owner_id(user.id), base, context)
            return
        message = update.message
        if update.edited_message is not None:
            await self._say(context, chat.id, owner_id(user.id), "telegram.edited", language)
            return
        if message is None:
            return
        if message.text is None:
            await self._say(context, chat.id, owner_id(user.id), "telegram.unsupported", language)
            return
        text = message.text
        event = InboundEvent.from_text(owner_id(user.id), CHANNEL, at, text, **base)
        await self._handle(context, chat.id, event)

    async def _on_tap(
        self, query: CallbackQuery, owner: str, base: dict[str, Any], context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        step, _, choice = str(query.data or "").partition("|")
        message = query.message if isinstance(query.message, Message) else None
        if choice.startswith("~") and message is not None and message.reply_markup is not None:
            markup, _ = _toggled(message.reply_markup, choice[1:])
            await query.answer()
            await query.edit_message_reply_markup(reply_markup=markup)
            return
        choices = (
            tuple(_checked(message.reply_markup if message else None)) if choice == DONE_MARK else (choice,)
        )
        await query.answer()
        if not choices:
            return
        event = InboundEvent(owner, CHANNEL, self.engine_now(), choices=choices, step=step or None, **base)
        replies = await asyncio.to_thread(self.engine.handle, event, self.deliverer)
        if message is not None and replies is not None:
            labels = [
                b.text.removeprefix(CHECKED)
                for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
                for b in row
                if str(b.callback_data).split("|", 1)[1].lstrip("~") in choices
            ]
            try:
                await query.edit_message_text(f"{message.text}\n\n→ {', '.join(labels)}", reply_markup=None)
            except BadRequest as error:  # the message is too old or unchanged: the answer stands
                log.info("could not mark the answer on the question: %s", error)
        chat_id = message.chat_id if message is not None else int(owner.split(":", 1)[1])
        await self._send_all(context, chat_id, owner, replies, reply_entry_id(event))

    async def _handle(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, event: InboundEvent) -> None:
        replies = await asyncio.to_thread(self.engine.handle, event, self.deliverer)
        await self._send_all(context, chat_id, event.owner_id, replies, reply_entry_id(event))

    async def _only_private(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        assert chat is not None
        if chat.id in self._warned_groups:
            return
        self._warned_groups.add(chat.id)
        user = update.effective_user
        language = normalise_language(user.language_code if user else None) or DEFAULT_LANGUAGE
        await context.bot.send_message(chat.id, self.engine.translators[language].tr("telegram.private_only"))

    async def _say(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, owner: str, key: str, language: str | None
    ) -> None:
        record = await asyncio.to_thread(self.engine.store.get, owner)
        lang = record.language if record else (language or DEFAULT_LANGUAGE)
        await context.bot.send_message(chat_id, self.engine.translators[lang].tr(key))

    # --- outbound ---------------------------------------------------------------------------

    async def _send_all(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, owner: str, replies: list[Reply], entry: str
    ) -> None:
        """Send the replies the engine kept in the owner's outbox, noting each one as it goes out."""
        store = self.engine.store
        for index, reply in enumerate(replies):
            try:
                data = await picture(self.engine.pictures, owner, reply)
                await send_reply(context.bot, chat_id, reply, data=data)
            except Forbidden:
                log.info("owner %s blocked the bot: marked inactive", owner)
                await asyncio.to_thread(mark_unreachable, store, owner)
                await asyncio.to_thread(give_back, store, owner, entry, True)
                return
            except (BadRequest, MissingPicture):
                log.exception("Telegram refused a reply to %s, or its picture is gone; it is dropped", owner)
            except TelegramError as error:  # still failing after the retries: the next round sends it
                log.warning("could not answer %s now (%s): the rest waits in their outbox", owner, error)
                await asyncio.to_thread(give_back, store, owner, entry)
                return
            await asyncio.to_thread(mark_delivered, store, owner, entry, index + 1)

    def engine_now(self) -> datetime:
        """The time stamped on events."""
        return self.clock.now()


async def send_reply(
    bot: Any, chat_id: int, reply: Reply, attempts: int = 5, data: bytes | None = None
) -> None:
    """Send one reply: its text (split if long), the keyboard on the last part; or its file.

    A file (`data`, the bytes of the reply's attachment) goes as a photo or a document, with the
    text as its caption when it fits Telegram's 1,024 characters, else followed by the text.
    429s are waited out by the rate limiter, and here once its retries ran out; timeouts and 5xx
    are retried here with backoff (each retry logged as a warning), so a reply is not lost to a
    passing fault. A 400 (the request itself is wrong) is not retried.
    """
    attachment = reply.attachment
    text = reply.text
    if attachment is not None:
        content = data if data is not None else attachment.content.encode()
        payload = InputFile(content, filename=attachment.name)
        caption = text if len(text) <= MAX_CAPTION else None
        send = bot.send_photo if attachment.kind == "photo" else bot.send_document
        async for attempt in _retrying(attempts):
            with attempt:
                await send(chat_id, payload, caption=caption)
        if caption is not None or not text:
            return
    parts = split_text(text, MAX_TEXT)
    for index, part in enumerate(parts):
        markup = keyboard(reply) if index == len(parts) - 1 else None
        async for attempt in _retrying(attempts):
            with attempt:
                await bot.send_message(chat_id, part, reply_markup=markup)


def _retrying(attempts: int) -> AsyncRetrying:
    return AsyncRetrying(
        retry=retry_if_exception(_transient),
        wait=_wait,
        stop=stop_after_attempt(attempts),
        before_sleep=_log_retry,
        reraise=True,
    )


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("Telegram call failed (%r): try %d again in %.1f s", error, state.attempt_number + 1, wait)


def _wait(state: RetryCallState) -> float:
    """What a 429 asks, once the rate limiter's own retries ran out; else exponential backoff."""
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, RetryAfter):
        after = error.retry_after
        return after.total_seconds() if hasattr(after, "total_seconds") else float(after)
    return float(_backoff(state))


_backoff = wait_exponential(multiplier=0.2, max=10)


def _transient(error: BaseException) -> bool:
    """A timeout, a reset, a 5xx, a 429 storm, or an answer that is not JSON: worth another try."""
    if isinstance(error, NetworkError | RetryAfter):
        return not isinstance(error, BadRequest)
    return type(error) is TelegramError and "Invalid server response" in str(error)


class TelegramSender:
    """Delivers outbox messages (nudges) through the bot, mapping errors for the outbox."""

    def __init__(self, bot: Any, pictures: Pictures) -> None:
        self.bot = bot
        self.pictures = pictures

    async def send(self, owner: str, reply: Reply) -> None:
        """Send one message to the owner's private chat (its id is the user id)."""
        chat_id = int(owner.split(":", 1)[1])
        try:
            data = await picture(self.pictures, owner, reply)
            await send_reply(self.bot, chat_id, reply, data=data)
        except RetryAfter as error:
            after = error.retry_after
            raise RetryLater(
                after.total_seconds() if hasattr(after, "total_seconds") else float(after)
            ) from error
        except Forbidden as error:
            raise Unreachable(str(error)) from error
        except (BadRequest, MissingPicture):
            log.exception("Telegram refused a message to %s, or its picture is gone; it is dropped", owner)
        except TelegramError as error:  # a timeout, a 5xx, a garbled answer: again later
            raise TransientError(str(error)) from error
