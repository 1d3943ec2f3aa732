"""The `coach` command: `coach chat` talks to the coach in the terminal; `coach diagram` draws it."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from bot.app import build_app
from bot.config import ConfigError, Settings
from bot.flows import FlowError
from bot.i18n import LANGUAGES
from bot.store.base import StoreError


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(
        prog="coach", description="Coach: social media coaching for small businesses."
    )
    commands = root.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="chat with the coach in this terminal")
    chat.add_argument("--user", default=_default_user(), help="who you are (your progress is kept under it)")
    chat.add_argument("--lang", choices=LANGUAGES, help="language to start in (default: French)")
    commands.add_parser("diagram", help="print docs/flows.md (the flows as a Mermaid diagram)")
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the `coach` command."""
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        logging.basicConfig(
            level=settings.log_level,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        if args.command == "diagram":
            from bot import flows
            from bot.diagram import document

            sys.stdout.write(document(flows.load(settings.flows_dir)))
            return 0
        app = build_app(settings)
    except (ConfigError, FlowError, StoreError) as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 2
    try:
        from bot.channels.terminal import TerminalChat

        return TerminalChat(app.engine, app.clock, args.user, args.lang).run()
    finally:
        app.close()


if __name__ == "__main__":
    sys.exit(main())
