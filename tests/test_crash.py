"""A writer killed with SIGKILL at any moment leaves a readable store with every acked answer."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.store.tinydb import TinyDBStore

CYCLES = int(os.environ.get("COACH_CRASH_CYCLES", "25"))


def _run_and_kill(data_dir: Path, after: float, log: Path) -> list[dict]:
    with log.open("w") as out, (log.with_suffix(".err")).open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.writer", str(data_dir)], cwd=ROOT, stdout=out, stderr=err
        )
        time.sleep(after)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    stderr = log.with_suffix(".err").read_text()
    assert "Traceback" not in stderr, stderr
    lines = log.read_text().splitlines(keepends=True)
    return [json.loads(line) for line in lines if line.endswith("\n")]


@pytest.mark.parametrize("seed", [7])
def test_a_writer_killed_many_times_loses_no_acknowledged_answer(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    data = tmp_path / "data"
    total_acks = 0
    for _ in range(CYCLES):
        acks = _run_and_kill(data, after=rng.uniform(0.6, 1.6), log=tmp_path / "acks.log")
        total_acks += len(acks)
        store = TinyDBStore(data)  # opens: the lock died with the writer
        for owner in store.owner_ids():
            store.get(owner)  # every file readable
        for ack in acks:
            record = store.get(ack["owner"])
            assert record is not None, ack
            assert record.answers[ack["step"]] == ack["value"], ack
        store.close()
    assert total_acks > CYCLES, "the writer should have acknowledged answers before being killed"
