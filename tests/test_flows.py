"""The flows are valid data, carry every coaching topic, and their diagram is current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import flows as flow_files
from bot.config import ROOT
from bot.diagram import document
from bot.flows import FlowError, Flows

# The 29 topic ids of the coaching catalogue (shared/coaching-topics.md), copied here on purpose:
# if one disappears from flows/topics.yaml or from every step, this test says which.
TOPIC_IDS = {
    "human_resources",
    "accept_loss_of_control",
    "content_capacity",
    "no_strategy",
    "no_objectives_audience",
    "no_budget",
    "limited_staff",
    "reputation_fear",
    "no_time",
    "no_results",
    "local_only",
    "word_of_mouth",
    "social_for_selling",
    "self_promotion",
    "be_everywhere",
    "big_brand_envy",
    "free_myth",
    "irregular_posting",
    "unanswered_users",
    "no_listening",
    "no_engagement",
    "no_reply_comments",
    "criticism_ignored",
    "inauthentic",
    "not_transparent",
    "no_value",
    "all_commercial",
    "impersonal",
    "expect_fast_results",
}


def test_the_catalogue_lists_all_29_topics(journey: Flows) -> None:
    assert len(TOPIC_IDS) == 29
    assert set(journey.topics) == TOPIC_IDS


def test_every_topic_is_carried_by_a_step_with_its_source(journey: Flows) -> None:
    carried = {topic: step for step in journey.steps.values() for topic in step.topics}
    assert TOPIC_IDS - set(carried) == set()
    for topic, step in carried.items():
        assert journey.topics[topic].source in step.sources


def test_modules_come_in_the_planned_order(journey: Flows) -> None:
    assert [m.id for m in journey.modules] == ["onboarding", "diagnosis", "plan"]
    assert {t.module for t in journey.topics.values()} == {"prerequisites", "misconceptions", "mistakes"}


def test_every_topic_can_be_diagnosed_and_is_ranked(journey: Flows) -> None:
    for topic in journey.topics.values():
        assert topic.signals, f"{topic.id} has no signal: the coach could never see this risk"
        assert 1 <= topic.severity <= 10
    legal = journey.topics["not_transparent"]
    assert legal.severity == max(t.severity for t in journey.topics.values())


def test_the_probes_are_statements_to_tick_not_negative_questions(journey: Flows) -> None:
    for probe in ("beliefs", "habits"):
        step = journey.steps[probe]
        assert step.kind == "multiple"
        assert any(c.exclusive for c in step.choices), "a 'none of these' option"


def test_the_plan_has_every_field(journey: Flows) -> None:
    fields = {s.plan_field for s in journey.plan_steps()}
    assert {
        "objectives",
        "audience",
        "networks",
        "cadence",
        "promo_share",
        "reply_time",
        "hours",
        "hourly_rate",
        "responsible",
        "listening",
    } <= fields


def test_the_committed_diagram_is_current(journey: Flows) -> None:
    committed = (ROOT / "docs" / "flows.md").read_text(encoding="utf-8")
    assert committed == document(journey), "run `make docs` to regenerate docs/flows.md"


# --- broken flows are refused at start-up, naming the file and the step ----------------------


@pytest.fixture
def flow_copy(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", target)
    return target


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "00_onboarding.yaml",
            "- {to: posts_per_month_now}",
            "- {to: no_such_step}",
            "00_onboarding.yaml: step networks_now: `next` goes to unknown step 'no_such_step'",
        ),
        (
            "00_onboarding.yaml",
            "- id: market",
            "- id: sector",
            "00_onboarding.yaml: step sector: duplicate id",
        ),
        (
            "20_plan.yaml",
            "topic: no_budget",
            "topic: no_such_topic",
            "20_plan.yaml: step plan_budget: unknown topic 'no_such_topic'",
        ),
        (
            "00_onboarding.yaml",
            "kind: number\n    text: posts_per_month_now.text",
            "kind: numbr\n    text: posts_per_month_now.text",
            "00_onboarding.yaml: step posts_per_month_now: kind must be one of",
        ),
        (
            "10_diagnosis.yaml",
            'when: {has_accounts: "no"}',
            "when: {has_accounts: no}",
            "10_diagnosis.yaml: step beliefs: condition on 'has_accounts' is a boolean",
        ),
        (
            "20_plan.yaml",
            "when: {plan_hourly_rate: 0}",
            "when: {plan_hourly_rat: 0}",
            "20_plan.yaml: step plan_hourly_rate: condition on unknown step 'plan_hourly_rat'",
        ),
        (
            "topics.yaml",
            "severity: 10",
            "severity: 11",
            "topics.yaml: topic not_transparent: needs a `severity` from 1 to 10",
        ),
        (
            "20_plan.yaml",
            "preset: {derive: audience}",
            "preset: {derive: audiences}",
            "20_plan.yaml: step plan_audience: `preset` derives unknown value 'audiences'",
        ),
    ],
)
def test_a_broken_flow_is_refused_with_file_and_step(
    flow_copy: Path, file: str, old: str, new: str, expected: str
) -> None:
    _edit(flow_copy, file, old, new)
    with pytest.raises(FlowError) as caught:
        flow_files.load(flow_copy)
    assert expected in str(caught.value)


def test_an_unreachable_step_is_refused(flow_copy: Path) -> None:
    # Only the rate of 0 leads to the owner's own hour; without that branch it cannot be reached.
    _edit(flow_copy, "20_plan.yaml", "{to: plan_own_hour, when:", "{to: plan_budget, when:")
    with pytest.raises(FlowError, match=r"step plan_own_hour: unreachable"):
        flow_files.load(flow_copy)


def test_a_source_must_match_its_topic(flow_copy: Path) -> None:
    _edit(flow_copy, "20_plan.yaml", "topic: no_budget\n    source: B1", "topic: no_budget\n    source: B2")
    with pytest.raises(FlowError, match=r"step plan_budget: topic no_budget comes from B1"):
        flow_files.load(flow_copy)
