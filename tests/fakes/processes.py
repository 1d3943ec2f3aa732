"""Running `coach` as a real command in tests and benchmarks: a free port, a run, a wait for health."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bot.config import ROOT

T = TypeVar("T")


def free_port() -> int:
    """A TCP port nobody listens on, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_coach(
    args: list[str], env: Mapping[str, str], stdin: str = "", cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run `coach <args>` to its end with `env` added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


async def wait_healthy(url: str, timeout: float = 30.0) -> None:
    """Wait until `url` answers 200 (a server starting in another process)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not come up")
            await asyncio.sleep(0.1)


class Background:
    """An asyncio loop on its own thread: fake servers keep serving while a test waits on `coach`.

    `with Background() as loop: loop.run(fake.start())` — `run` hands a coroutine to that loop
    and waits for its result.
    """

    def __enter__(self) -> Background:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        return self

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


def start_coach(
    args: list[str], env: Mapping[str, str], ignore_sigint: bool = False, cwd: Path = ROOT
) -> subprocess.Popen[str]:
    """Start `coach <args>` in the background, its output captured; optionally with SIGINT ignored
    as a shell does for a background job (the child inherits the ignored signal)."""

    def ignore() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore if ignore_sigint else None,
    )


def wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float = 60.0) -> list[str]:
    """Read the process's standard error until a line holds `needle`; return the lines read."""
    assert process.stderr is not None
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if needle in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(timeout):
        raise TimeoutError(f"no line with {needle!r} in time; got: {''.join(lines)[-2000:]}")
    return lines
