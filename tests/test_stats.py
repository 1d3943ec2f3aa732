"""The operator sees how the coach is doing: `coach stats`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot import stats
from bot.app import App
from bot.clock import FixedClock
from bot.nudges.runner import NudgeRunner
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk
from tests.fakes.processes import run_coach


def test_stats_count_owners_by_module_plans_and_reminders_sent_and_reacted_to(
    app: App, clock: FixedClock
) -> None:
    done = OwnerChat(app.engine, clock, "telegram:1", language="fr")
    done.say("/start")
    walk(done, LOCAL_BAKERY)
    quiet = OwnerChat(app.engine, clock, "telegram:2", language="fr")
    quiet.say("/start")
    walk(quiet, LOCAL_BAKERY)
    halfway = OwnerChat(app.engine, clock, "telegram:3", language="fr")
    halfway.say("/start")
    halfway.tap("fr")

    clock.advance(timedelta(days=7, hours=2))
    claimed = NudgeRunner(app.engine).sweep(clock.now())
    assert {c.owner_id for c in claimed} == {"telegram:1", "telegram:2"}
    done.say("/posted")  # telegram:1 answers the reminder; telegram:2 does not

    counted = stats.collect(app.store, app.engine.flows)
    assert counted.owners == 3 and counted.plans_completed == 2
    assert counted.by_module["plan done"] == 2 and counted.by_module["onboarding"] == 1
    kinds = {c.kind for c in claimed}
    assert sum(counted.nudges_sent[k] for k in kinds) == len(claimed)
    assert sum(counted.nudges_reacted.values()) == 1
    report = stats.render(counted, app.engine.flows)
    assert "plans completed   2" in report and "onboarding" in report


def test_coach_stats_prints_the_report(tmp_path: Path) -> None:
    env = {"COACH_DATA_DIR": str(tmp_path / "data"), "COACH_FSYNC": "0"}
    run_coach(["chat", "--user", "ana"], env, "/start\n1\n")
    done = run_coach(["stats"], env)
    assert done.returncode == 0, done.stderr
    assert "owners            1" in done.stdout and "onboarding" in done.stdout
