"""The `coach` command: `chat` in the terminal, `telegram`, `slack`, `nudges` for reminders, `diagram`."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from bot import logs
from bot.app import App, build_app
from bot.config import ConfigError, Settings
from bot.flows import FlowError
from bot.i18n import LANGUAGES
from bot.store.base import StoreError


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


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(
        prog="coach", description="Coach: social media coaching for small businesses."
    )
    commands = root.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="chat with the coach in this terminal")
    chat.add_argument("--user", default=_default_user(), help="who you are (your progress is kept under it)")
    chat.add_argument("--lang", choices=LANGUAGES, help="language to start in (default: French)")
    nudges = commands.add_parser("nudges", help="claim due reminders and deliver them (runs until stopped)")
    nudges.add_argument("--once", action="store_true", help="one sweep, then exit (for cron)")
    nudges.add_argument(
        "--at", type=_moment, help="pretend it is this time (ISO 8601 with offset); implies --once"
    )
    nudges.add_argument("--dry-run", action="store_true", help="list what would be sent, change nothing")
    nudges.add_argument("--interval", type=float, default=60.0, help="seconds between sweeps (default 60)")
    feeds = commands.add_parser("feeds", help="fetch the owners' feeds and count their new posts")
    feeds.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    telegram = commands.add_parser("telegram", help="run the Telegram bot (TELEGRAM_BOT_TOKEN)")
    telegram.add_argument("--webhook-url", help="public HTTPS URL Telegram posts to (default: long polling)")
    telegram.add_argument("--listen", default="127.0.0.1", help="address the webhook server listens on")
    telegram.add_argument("--port", type=int, default=8443, help="port the webhook server listens on")
    slack = commands.add_parser(
        "slack", help="run the Slack app (SLACK_BOT_TOKEN or OAuth, SLACK_SIGNING_SECRET; see manifest.yml)"
    )
    slack.add_argument("--listen", default="127.0.0.1", help="address the HTTP server listens on")
    slack.add_argument(
        "--port", type=int, default=3000, help="port the HTTP server listens on (default 3000)"
    )
    commands.add_parser("migrate", help="create or update the PostgreSQL schema (COACH_DATABASE_URL)")
    commands.add_parser("stats", help="owners by module, plans completed, reminders sent and reacted to")
    export = commands.add_parser("export", help="print everything stored about one owner, as JSON")
    export.add_argument("--owner", required=True, help="the owner's id, e.g. telegram:123456 or slack:T1:U2")
    delete = commands.add_parser("delete", help="erase everything stored about one owner")
    delete.add_argument("--owner", required=True, help="the owner's id, e.g. telegram:123456 or slack:T1:U2")
    delete.add_argument("--yes", action="store_true", help="confirm: the erasure cannot be undone")
    commands.add_parser("diagram", help="print docs/flows.md (the flows as a Mermaid diagram)")
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the `coach` command."""
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        logs.configure(settings.log_level, settings.secrets)
        if args.command == "diagram":
            from bot import flows
            from bot.diagram import document

            sys.stdout.write(document(flows.load(settings.flows_dir)))
            return 0
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "delete" and not args.yes:
            raise ConfigError(f"erasing {args.owner} cannot be undone: add --yes to confirm")
        app = build_app(settings)
    except (ConfigError, FlowError, StoreError) as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "telegram":
            from bot.channels.telegram_process import run_telegram

            return run_telegram(app, args.webhook_url, args.listen, args.port)
        if args.command == "slack":
            from bot.channels.slack_process import run_slack

            return run_slack(app, args.listen, args.port)
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
            )
        if args.command == "feeds":
            from bot.feeds.polling import run_feeds

            return run_feeds(app, once=args.once)
        from bot.channels.terminal import TerminalChat

        return TerminalChat(app.engine, app.clock, args.user, args.lang).run()
    except ConfigError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 2
    finally:
        app.close()


def _migrate(settings: Settings) -> int:
    if not settings.database_url:
        raise ConfigError("COACH_DATABASE_URL is not set: TinyDB (the default) needs no migration")
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
    print(f"{args.owner} erased")
    return 0


if __name__ == "__main__":
    sys.exit(main())
