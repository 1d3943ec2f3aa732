"""The `coach` command: the channels, the reminders, and the operator's commands.

`chat` in the terminal, `telegram`, `slack`, `nudges` for reminders, and the operator's
`migrate`, `stats`, `export`, `delete`, `diagram`.

Whatever goes wrong at start-up ends in one line on standard error saying what failed and what
to do, and a non-zero exit: 2 for a setting to fix, 1 for a service that cannot be reached or
anything unexpected. SIGTERM and SIGINT (even when the parent ignores SIGINT) end every command
with exit 0.
"""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from bot import logs
from bot.config import ConfigError, Settings, Unreachable
from bot.flows import FlowError
from bot.i18n import LANGUAGES
from bot.store.base import StoreError

if TYPE_CHECKING:
    from bot.app import App

CONFIG_EXIT, FAILURE_EXIT = 2, 1
MIN_INTERVAL, MAX_INTERVAL = 1.0, 86_400.0

_COMMON = """common variables:
  COACH_DATA_DIR      folder of the TinyDB store (default: {data_dir})
  COACH_DATABASE_URL  postgresql://… to use PostgreSQL instead (run `coach migrate` first)
  COACH_LOG_LEVEL     DEBUG, INFO, WARNING (default) or ERROR; COACH_LOG_FORMAT text or json
  A .env file in the current folder is read first; the environment wins over it."""
_TELEGRAM_VARS = """  TELEGRAM_BOT_TOKEN       the bot's token from @BotFather
  TELEGRAM_WEBHOOK_SECRET  the secret Telegram sends with each webhook request (webhook mode)
  TELEGRAM_API_BASE_URL    a self-hosted Bot API server (default: Telegram's)"""
_SLACK_VARS = """  SLACK_SIGNING_SECRET     checks each request comes from Slack (HTTP mode)
  SLACK_BOT_TOKEN          one workspace's bot token (xoxb-…)
  SLACK_CLIENT_ID, SLACK_CLIENT_SECRET  OAuth: installable into many workspaces
  SLACK_APP_TOKEN          Socket Mode (xapp-…), for development without a public address
  SLACK_API_URL            the Web API's base URL (default: Slack's)"""


def _version() -> str:
    try:
        return version("coach")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the offset too, e.g. 2026-12-07T09:00:00+01:00")
    return moment


def _interval(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise argparse.ArgumentTypeError(f"between {MIN_INTERVAL:g} and {MAX_INTERVAL:g} seconds, not {text}")
    return seconds


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    """The command line: each subcommand says what it does and the variables it reads."""
    root = argparse.ArgumentParser(
        prog="coach",
        description="Coach: social media coaching for small businesses.",
        epilog="`coach COMMAND --help` says what each command does and the variables it reads.",
    )
    root.add_argument("--version", action="version", version=f"coach {_version()}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _COMMON.format(data_dir=Settings().data_dir)

    def command(name: str, summary: str, description: str, variables: str = "") -> argparse.ArgumentParser:
        epilog = (f"variables:\n{variables}\n\n" if variables else "") + common
        return commands.add_parser(
            name,
            help=summary,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    chat = command(
        "chat",
        "chat with the coach in this terminal",
        "Chat with the coach in this terminal. Progress is saved after every answer under the data "
        "folder; run it again to resume. Piped input is read one answer per line.",
    )
    chat.add_argument("--user", default=_default_user(), help="who you are (your progress is kept under it)")
    chat.add_argument("--lang", choices=LANGUAGES, help="language to start in (default: French)")
    nudges = command(
        "nudges",
        "claim due reminders and deliver them (runs until stopped)",
        "Sweep for due reminders and deliver them through every channel configured (Telegram, "
        "Slack), every --interval seconds until SIGTERM or Ctrl-C, or once for cron. A channel "
        "that cannot be reached is tried again each round; the others go on.",
        _TELEGRAM_VARS + "\n" + _SLACK_VARS,
    )
    nudges.add_argument("--once", action="store_true", help="one sweep, then exit (for cron)")
    nudges.add_argument(
        "--at", type=_moment, help="pretend it is this time (ISO 8601 with offset); implies --once"
    )
    nudges.add_argument("--dry-run", action="store_true", help="list what would be sent, change nothing")
    nudges.add_argument(
        "--interval", type=_interval, default=60.0, help="seconds between sweeps, 1 to 86400 (default 60)"
    )
    nudges.add_argument("--health-port", type=_port, help="serve GET /healthz on this port (127.0.0.1)")
    feeds = command(
        "feeds",
        "fetch the owners' feeds and count their new posts",
        "Fetch the feeds owners follow (/feeds) and count their new posts, until SIGTERM or Ctrl-C, "
        "or one round with --once.",
        "  COACH_FEEDS_ALLOW_PRIVATE  1 to let feeds on private addresses be fetched (tests only: unsafe)",
    )
    feeds.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    telegram = command(
        "telegram",
        "run the Telegram bot (TELEGRAM_BOT_TOKEN)",
        "Run the Telegram bot until SIGTERM or Ctrl-C: long polling, or a webhook with "
        "--webhook-url. It sends the reminders too.",
        _TELEGRAM_VARS,
    )
    telegram.add_argument("--webhook-url", help="public HTTPS URL Telegram posts to (default: long polling)")
    telegram.add_argument(
        "--listen", default="127.0.0.1", help="address the webhook or health server listens on"
    )
    telegram.add_argument("--port", type=_port, default=8443, help="port the webhook server listens on")
    telegram.add_argument(
        "--health-port", type=_port, help="in long polling, serve GET /healthz on this port"
    )
    telegram.add_argument(
        "--sweep-interval", type=_interval, default=60.0, help="seconds between reminder sweeps (default 60)"
    )
    slack = command(
        "slack",
        "run the Slack app (SLACK_BOT_TOKEN or OAuth, SLACK_SIGNING_SECRET; see manifest.yml)",
        "Run the Slack app until SIGTERM or Ctrl-C: HTTP on --listen:--port (/slack/events, "
        "/healthz), or Socket Mode when SLACK_APP_TOKEN is set. It sends the reminders too.",
        _SLACK_VARS,
    )
    slack.add_argument("--listen", default="127.0.0.1", help="address the HTTP server listens on")
    slack.add_argument(
        "--port", type=_port, default=3000, help="port the HTTP server listens on (default 3000)"
    )
    slack.add_argument(
        "--sweep-interval", type=_interval, default=60.0, help="seconds between reminder sweeps (default 60)"
    )
    command(
        "migrate",
        "create or update the PostgreSQL schema (COACH_DATABASE_URL)",
        "Create or update the PostgreSQL schema; safe to run again. On TinyDB there is nothing to do.",
    )
    command(
        "stats",
        "owners by module, plans completed, reminders sent and reacted to",
        "Print owners by module reached, plans completed, reminders sent and reacted to. Reads "
        "only: works while the bot runs, and on a read-only copy of the data folder.",
    )
    export = command(
        "export",
        "print everything stored about one owner, as JSON",
        "Print everything stored about one owner as JSON. Reads only, like `stats`.",
    )
    export.add_argument("--owner", required=True, help="the owner's id, e.g. telegram:123456 or slack:T1:U2")
    delete = command(
        "delete",
        "erase everything stored about one owner",
        "Erase everything stored about one owner; works while the bot runs.",
    )
    delete.add_argument("--owner", required=True, help="the owner's id, e.g. telegram:123456 or slack:T1:U2")
    delete.add_argument("--yes", action="store_true", help="confirm: the erasure cannot be undone")
    command("diagram", "print docs/flows.md (the flows as a Mermaid diagram)", "Print docs/flows.md.")
    return root


def _stop_on_signals() -> dict[int, Any]:
    """SIGTERM and SIGINT end the command as Ctrl-C does, even when the parent ignores SIGINT.

    Asynchronous parts replace these with their own handlers while their loop runs. Return the
    handlers replaced, to put back.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    return {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}


def _load_dotenv() -> None:
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)


def main(argv: list[str] | None = None) -> int:
    """Run the `coach` command; one line on standard error for anything that stops it."""
    replaced = _stop_on_signals()
    try:
        _load_dotenv()
        args = parser().parse_args(argv)
        return _run(args)
    except KeyboardInterrupt:
        return 0
    except (ConfigError, FlowError) as exc:
        return _fail(str(exc), CONFIG_EXIT)
    except StoreError as exc:
        return _fail(str(exc), CONFIG_EXIT)
    except Unreachable as exc:
        return _fail(str(exc), FAILURE_EXIT)
    except Exception as exc:  # the last line of defence: one redacted line, never a traceback
        logs.excepthook(type(exc), exc, exc.__traceback__)
        return FAILURE_EXIT
    finally:
        for signum, handler in replaced.items():
            signal.signal(signum, handler)


def _fail(message: str, code: int) -> int:
    print(logs.redact(f"coach: {' '.join(message.split())}"), file=sys.stderr, flush=True)
    return code


def _run(args: argparse.Namespace) -> int:
    from bot.app import build_app

    settings = Settings.from_env()
    logs.configure(settings.log_level, settings.secrets, settings.log_format)
    if args.command == "diagram":
        from bot import flows
        from bot.diagram import document

        sys.stdout.write(document(flows.load(settings.flows_dir)))
        return 0
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "delete" and not args.yes:
        raise ConfigError(f"erasing {args.owner} cannot be undone: add --yes to confirm")
    reading = args.command in ("stats", "export")
    app = build_app(settings, readonly=reading, shared=args.command == "delete")
    try:
        if args.command == "telegram":
            from bot.channels.telegram_process import run_telegram

            return run_telegram(
                app, args.webhook_url, args.listen, args.port, args.health_port, args.sweep_interval
            )
        if args.command == "slack":
            from bot.channels.slack_process import run_slack

            return run_slack(app, args.listen, args.port, args.sweep_interval)
        if args.command in ("stats", "export", "delete"):
            return _operator(app, args)
        if args.command == "nudges":
            from bot.channels.senders import open_senders
            from bot.nudges.loop import run_nudges

            return run_nudges(
                app,
                once=args.once or args.at is not None,
                at=args.at,
                dry_run=args.dry_run,
                interval=args.interval,
                senders=open_senders,
                health_port=args.health_port,
            )
        if args.command == "feeds":
            from bot.feeds.polling import run_feeds

            return run_feeds(app, once=args.once)
        from bot.channels.terminal import TerminalChat

        return TerminalChat(app.engine, app.clock, args.user, args.lang, files=settings.data_dir).run()
    finally:
        app.close()


def _migrate(settings: Settings) -> int:
    if not settings.database_url:
        print("coach: nothing to migrate: TinyDB (the default store) needs no migration")
        return 0
    from bot.store.postgres import migrate

    before, after = migrate(settings.database_url)
    print(f"schema at version {after}" + (f" (was {before})" if before != after else ", already up to date"))
    return 0


def _operator(app: App, args: argparse.Namespace) -> int:
    """`stats`, `export --owner`, `delete --owner --yes`."""
    from bot import data_rights, stats

    if args.command == "stats":
        sys.stdout.write(stats.render(stats.collect(app.store, app.engine.flows), app.engine.flows))
        return 0
    with app.store.lock(args.owner):
        record = app.store.get(args.owner)
        if record is None:
            print(f"coach: no owner {args.owner!r} on file", file=sys.stderr)
            return 1
        if args.command == "export":
            sys.stdout.write(data_rights.export_document(record, app.clock.now()))
            return 0
        app.store.delete(args.owner)
    data_rights.erase_exports(app.settings.data_dir, args.owner)
    app.engine.pictures.forget(args.owner)
    print(f"{args.owner} erased")
    return 0


if __name__ == "__main__":
    sys.exit(main())
