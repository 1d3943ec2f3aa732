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
        assert journey.topics[topic]["source"] in step.sources


def test_modules_come_in_the_planned_order(journey: Flows) -> None:
    assert [m.id for m in journey.modules] == [
        "onboarding",
        "prerequisites",
        "misconceptions",
        "mistakes",
        "plan",
    ]
    for module in journey.modules[1:4]:
        for step_id in module.step_ids:
            for topic in journey.steps[step_id].topics:
                assert journey.topics[topic]["module"] == module.id


def test_misconceptions_are_asked_as_yes_no_and_adapt_to_the_answer(journey: Flows) -> None:
    module = next(m for m in journey.modules if m.id == "misconceptions")
    asked = [journey.steps[s] for s in module.step_ids if journey.steps[s].kind == "yesno"]
    assert len(asked) >= 9
    for step in asked:
        whens = [v.when for v in step.after]
        assert {step.id: "yes"} in whens and None in whens


def test_the_mistakes_self_check_ends_with_top_risks(journey: Flows) -> None:
    module = next(m for m in journey.modules if m.id == "mistakes")
    assert journey.steps[module.step_ids[-1]].render == "top_risks"
    checks = [journey.steps[s] for s in module.step_ids if journey.steps[s].risk_label]
    assert len(checks) == 12


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
            "20_misconceptions.yaml",
            "next: no_results",
            "next: no_such_step",
            "20_misconceptions.yaml: step no_time: `next` goes to unknown step 'no_such_step'",
        ),
        (
            "10_prerequisites.yaml",
            "- id: action_plan",
            "- id: why_social",
            "10_prerequisites.yaml: step why_social: duplicate id",
        ),
        (
            "10_prerequisites.yaml",
            "topic: no_budget",
            "topic: no_such_topic",
            "10_prerequisites.yaml: step no_budget: unknown topic 'no_such_topic'",
        ),
        (
            "00_onboarding.yaml",
            "kind: number\n    text: posts_per_month_now.text",
            "kind: numbr\n    text: posts_per_month_now.text",
            "00_onboarding.yaml: step posts_per_month_now: kind must be one of",
        ),
        (
            "30_mistakes.yaml",
            '{id: "yes", label: choice.yes, risk: 0}',
            "{id: yes, label: choice.yes, risk: 0}",
            "30_mistakes.yaml: step check_irregular_posting: a choice id is a boolean",
        ),
        (
            "20_misconceptions.yaml",
            "{market: local}",
            "{markt: local}",
            "20_misconceptions.yaml: step no_results: condition on unknown step 'markt'",
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
    # no_time always jumps over no_time_little; make reputation_fear skip it too.
    _edit(
        flow_copy, "20_misconceptions.yaml", "- {to: no_time_little, when: {hours_available: {lt: 2}}}\n", ""
    )
    with pytest.raises(FlowError, match=r"20_misconceptions.yaml: step no_time_little: unreachable"):
        flow_files.load(flow_copy)


def test_a_source_must_match_its_topic(flow_copy: Path) -> None:
    _edit(flow_copy, "10_prerequisites.yaml", "source: B1", "source: B2")
    with pytest.raises(FlowError, match=r"step no_budget: topic no_budget comes from B1"):
        flow_files.load(flow_copy)
