"""A plain python-telegram-bot bot, the way its examples write one: a `ConversationHandler`.

It asks a small business owner ten questions, one message per answer (the next question; a
short correction when an answer is not a number), and sums them up at the end. State lives in
`context.user_data` in memory, nothing is written to disk, the library's `AIORateLimiter`
holds the sending rate. `benchmarks/telegram_updates.py` runs it beside the coach, against the
same fake Bot API in the same run, to compare the CPU spent per update and the messages sent.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

QUESTIONS = [
    ("name", "Quel est le nom de votre commerce ?", False),
    ("sector", "Votre secteur ? 1 Alimentation, 2 Commerce, 3 Services", False),
    ("market", "Vos clients sont-ils 1 du quartier, 2 de la région, 3 de partout ?", False),
    ("team", "Combien de personnes dans l'équipe ?", True),
    ("networks", "Sur quels réseaux êtes-vous ? 1 Facebook, 2 Instagram, 3 LinkedIn", False),
    ("posts", "Combien de publications par mois aujourd'hui ?", True),
    ("hours", "Combien d'heures par semaine pouvez-vous y consacrer ?", True),
    ("goal", "Votre objectif ? 1 Être connu, 2 Vendre, 3 Fidéliser", False),
    ("budget", "Quel budget mensuel, en euros ?", True),
    ("owner", "Qui s'en occupera ? 1 Moi, 2 Un salarié, 3 Une agence", False),
]
ANSWERS = ["/start", "Boulangerie Dupain", "1", "1", "3", "1, 2", "4", "3", "2", "50", "1"]
"""What an owner types, from `/start` to the summary."""


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Greet and ask the first question."""
    assert update.message is not None and context.user_data is not None
    context.user_data.clear()
    await update.message.reply_text("Bonjour ! " + QUESTIONS[0][1])
    return 0


def answer(index: int) -> Any:
    """The handler of question `index`: keep the answer, ask the next, or sum up."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and update.message.text is not None
        assert context.user_data is not None
        key, _, numeric = QUESTIONS[index]
        text = update.message.text.strip()
        if numeric and not text.isdigit():
            await update.message.reply_text("Un nombre, s'il vous plaît.")
            return index
        context.user_data[key] = text
        if index + 1 < len(QUESTIONS):
            await update.message.reply_text(QUESTIONS[index + 1][1])
            return index + 1
        summary = ", ".join(f"{k}: {context.user_data[k]}" for k, _, _ in QUESTIONS)
        await update.message.reply_text("Merci ! " + summary)
        return ConversationHandler.END

    return handle


def build(
    token: str, base_url: str, overall_per_second: float = 30, transport: str = "httpx"
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, pointed at a (fake) Bot API server.

    `transport` "httpx" is PTB's own, as its examples use; "aiohttp" is the coach's
    (`bot.channels.telegram_http`), to compare the two bots on the same transport.
    """
    builder = (
        ApplicationBuilder().token(token).base_url(f"{base_url}/bot").base_file_url(f"{base_url}/file/bot")
    )
    if transport == "aiohttp":
        from bot.channels.telegram import CONNECTIONS
        from bot.channels.telegram_http import AiohttpRequest

        builder = builder.request(AiohttpRequest(CONNECTIONS)).get_updates_request(AiohttpRequest())
    if overall_per_second:
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=overall_per_second))
    application = builder.build()
    text = filters.TEXT & ~filters.COMMAND
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={n: [MessageHandler(text, answer(n))] for n in range(len(QUESTIONS))},
            fallbacks=[CommandHandler("start", start)],
        )
    )
    return application
