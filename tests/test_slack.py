"""Teams meet the coach in Slack: the real Bolt app over HTTP on 127.0.0.1, a fake Slack Web API."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from aiohttp import web

from bot.app import App, build_app
from bot.channels import slack
from bot.channels.slack import SlackChannel, SlackSender
from bot.channels.slack_blocks import slack_commands
from bot.channels.slack_installations import installation_key
from bot.clock import FixedClock
from bot.config import ROOT, Settings
from bot.events import Reply
from bot.flows import DONE
from bot.i18n import Translator
from bot.outbox import Limits, Outbox, Unreachable
from bot.store.base import OutboxEntry, OwnerRecord
from tests.fakes.journeys import BUSY_CONSULTANT, LOCAL_BAKERY
from tests.fakes.outbox import waiting_for_next_round
from tests.fakes.processes import free_port, wait_healthy
from tests.fakes.slack_api import SECRET, TOKEN, FakeSlack, Member, buttons, sign

Scenario = Callable[[FakeSlack, str, SlackChannel], Awaitable[None]]
FR = Translator("fr", ROOT / "locales")  # the fake's members have a French Slack locale


def run(
    app: App, scenario: Scenario, fake: FakeSlack | None = None, oauth_dir: Path | None = None
) -> FakeSlack:
    """Serve the Bolt app on 127.0.0.1 against a fake Slack, run `scenario(fake, url, channel)`."""

    async def main() -> FakeSlack:
        server = fake or FakeSlack()
        await server.start()
        channel = SlackChannel(app.engine, app.clock, server.url)
        if oauth_dir is None:
            bolt = channel.build(SECRET, token=TOKEN)
        else:
            bolt = channel.build(
                SECRET, client_id="111.222", client_secret="oauth-secret-xyz", state_dir=oauth_dir
            )
        runner = web.AppRunner(bolt.web_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            await scenario(server, f"http://127.0.0.1:{port}", channel)
            # Let the work started by the last requests finish before the servers close.
            await server.wait_for(lambda: not any(queue.locked() for queue in channel._queues.values()))
            await asyncio.sleep(0.05)
        finally:
            await runner.cleanup()
            await server.stop()
        return server

    return asyncio.run(main())


@pytest.fixture
def slack_app(settings: Settings, clock: FixedClock) -> Iterator[App]:
    built = build_app(settings, clock=clock)
    yield built
    built.close()


def question(fake: FakeSlack, user: str, state: str) -> dict[str, Any] | None:
    """The latest message in the DM whose buttons answer `state`."""
    for message in reversed(fake.dm(user)):
        if any(str(b.get("value", "")).startswith(state + "|") for b in buttons(message)):
            return message
    return None


async def journey(
    app: App, fake: FakeSlack, member: Member, answers: dict[str, Any], language: str, typed: bool
) -> None:
    """From `/coach start` to a finished plan, by buttons and checkboxes or by typing in the DM."""
    owner = f"slack:{member.team}:{member.user}"
    await member.command("start")
    await fake.wait_for(lambda: app.store.get(owner) is not None and bool(app.store.get(owner).state))
    for _ in range(200):
        state = app.store.get(owner).state
        if state == DONE:
            return
        step = app.engine.flows.steps[state]
        value = language if state == "language" else answers[state]
        wanted = value if isinstance(value, list) else [value]
        if not step.choices:
            await member.say(str(value))
        else:
            await fake.wait_for(lambda state=state: question(fake, member.user, state) is not None)
            asked = question(fake, member.user, state)
            assert asked is not None
            if typed:
                ids = [c.id for c in step.choices]
                await member.say(", ".join(str(ids.index(v) + 1) for v in wanted))
            elif step.kind == "multiple":
                await member.tick_and_done(asked, wanted)
            else:
                await member.tap(asked, f"{state}|{wanted[0]}")
        await fake.wait_for(lambda state=state: app.store.get(owner).state != state)
    raise AssertionError("the journey did not end")


def settled(app: App, channel: SlackChannel, owner: str, done: Callable[[Any], bool]) -> Callable[[], bool]:
    """True once the owner's record shows `done` and the channel has finished answering them."""

    def check() -> bool:
        record = app.store.get(owner)
        queue = channel._queues.get(owner)
        return record is not None and done(record) and queue is not None and not queue.locked()

    return check


async def _started(fake: FakeSlack, member: Member) -> None:
    """`/coach start`: the language comes from the Slack locale, the first question asks the name."""
    await member.command("start")
    await fake.wait_for(lambda: started(fake, member.user))
    assert question(fake, member.user, "language") is None, "the language question is not asked"


def texts(fake: FakeSlack, user: str) -> list[str]:
    """Everything shown in the DM, block texts included."""
    return [
        "\n".join(
            [m["text"]] + [e["text"] for b in m["blocks"] for e in [b.get("text") or {}] if "text" in e]
        )
        for m in fake.dm(user)
    ]


def asks(fake: FakeSlack, user: str, step: str) -> list[str]:
    """What was shown in the DM that asks the question of `step` (in French)."""
    return [text for text in texts(fake, user) if FR.tr(f"{step}.text") in text]


def started(fake: FakeSlack, user: str) -> bool:
    """True once `/coach start` was answered in the DM: the welcome with the first question."""
    return any(FR.tr("welcome.text") in text for text in asks(fake, user, "business_name"))


# --- whole journeys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "language", "locale", "typed", "cost"),
    [
        (LOCAL_BAKERY, "fr", "fr-FR", False, "415,28\xa0€"),
        (BUSY_CONSULTANT, "en", "en-GB", True, "€751.11"),
    ],
)
def test_a_whole_journey_from_coach_start_to_a_plan_in_slack(
    slack_app: App, answers: dict[str, Any], language: str, locale: str, typed: bool, cost: str
) -> None:
    user = "U42"

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", user)
        await journey(slack_app, fake, member, answers, language, typed)
        await fake.wait_for(lambda: any(cost in text for text in texts(fake, user)))
        await fake.wait_for(lambda: cost in json.dumps(fake.views.get(user, {}), ensure_ascii=False))

    fake = run(slack_app, scenario, FakeSlack(locales={user: locale}, zones={user: "America/Montreal"}))
    record = slack_app.store.get(f"slack:T111:{user}")
    assert record.state == DONE and record.language == language
    assert fake.sent("users.info"), "a new owner's language comes from their Slack locale"
    assert record.prefs.timezone == "America/Montreal", "and their time zone: reminders at their hour"
    answered = [m for m in fake.dm(user) if any(b["type"] == "context" for b in m["blocks"])]
    if not typed:
        assert answered, "tapped questions are updated to show the answer"
        assert all(not buttons(m) for m in answered), "answered questions lose their buttons"
    assert all(len(m["blocks"]) <= 50 for m in fake.dm(user))
    home = json.dumps(fake.views[user], ensure_ascii=False)
    assert ("Votre plan" if language == "fr" else "Your plan") in home
    # The coaching is the same on Slack: the lessons of this owner's risks, and the warnings.
    said = "\n".join(texts(fake, user))
    t = slack_app.engine.translators[language]
    assert record.taught and all(t.tr(f"topic.{topic}") in said for topic in record.taught)
    if answers is BUSY_CONSULTANT:
        assert "Let's be honest" in said and record.answers["plan_cadence"] == 1


def test_a_slash_command_typed_elsewhere_is_answered_privately_in_the_dm(slack_app: App) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U7")
        response = await member.command("start", channel="C0GENERAL")
        assert response.status == 200
        notice = await response.text()  # a plain-text answer to a slash command is shown only to its author
        assert "/coach" not in notice and "conversation privée" in notice
        await fake.wait_for(lambda: started(fake, "U7"))

    fake = run(slack_app, scenario)
    assert not fake.messages.get("C0GENERAL"), "nothing is posted in the public channel"


def test_commands_in_texts_are_shown_as_slash_coach() -> None:
    assert slack_commands("Tapez /plan ou /posted instagram; https://x.io/plan reste.") == (
        "Tapez /coach plan ou /coach posted instagram; https://x.io/plan reste."
    )


def test_pending_with_a_number_is_kept(slack_app: App) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U8")
        await member.command("start")
        await fake.wait_for(lambda: slack_app.store.get("slack:T111:U8") is not None)
        await member.command("pending 3")
        await fake.wait_for(lambda: slack_app.store.get("slack:T111:U8").waiting.count == 3)

    run(slack_app, scenario)


# --- security and delivery ------------------------------------------------------------------------


def test_a_forged_or_stale_request_is_refused_and_nothing_is_done(slack_app: App) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        forged = Member(url + "/slack/events", "T111", "U9", secret="not-the-secret-at-all")
        assert (await forged.command("start")).status == 401
        body = b"command=%2Fcoach&text=start&team_id=T111&user_id=U9&trigger_id=x"
        old = sign(body, at=time.time() - 6 * 60)
        async with aiohttp.ClientSession() as session:
            headers = {"Content-Type": "application/x-www-form-urlencoded", **old}
            async with session.post(url + "/slack/events", data=body, headers=headers) as response:
                assert response.status == 401
        await asyncio.sleep(0.3)

    fake = run(slack_app, scenario)
    assert slack_app.store.get("slack:T111:U9") is None
    assert not fake.sent("chat.postMessage")


def test_an_event_retried_by_slack_is_handled_once(slack_app: App) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U10")
        await _started(fake, member)
        await member.say("Fournil Martin", event_id="EvSAME")
        named = settled(slack_app, channel, "slack:T111:U10", lambda r: "business_name" in r.answers)
        await fake.wait_for(named)
        await fake.wait_for(lambda: bool(asks(fake, "U10", "sector")))
        before = len(fake.dm("U10"))
        for retry in (1, 2, 3):
            assert (await member.say("Fournil Martin", event_id="EvSAME", retry=retry)).status == 200
        await member.command("progress")
        await fake.wait_for(lambda: any("étape" in t for t in texts(fake, "U10")[before:]))
        await fake.wait_for(settled(slack_app, channel, "slack:T111:U10", lambda r: True))
        await asyncio.sleep(0.2)
        assert len(fake.dm("U10")) == before + 1, "only /progress was answered (its text with the question)"
        assert len(asks(fake, "U10", "sector")) == 2, "the question comes with /progress, not on its own"

    run(slack_app, scenario)
    record = slack_app.store.get("slack:T111:U10")
    assert record.history.count("business_name") <= 1


def test_an_owner_exports_their_data_as_a_file_then_erases_it(slack_app: App) -> None:
    owner = "slack:T111:U20"

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U20")
        await _started(fake, member)
        await member.say("Fournil Martin")
        await fake.wait_for(settled(slack_app, channel, owner, lambda r: "business_name" in r.answers))
        await member.command("export")
        await fake.wait_for(lambda: bool(fake.files["DU20"]))
        await member.command("delete")
        await fake.wait_for(lambda: question(fake, "U20", "@delete") is not None)
        asked = question(fake, "U20", "@delete")
        assert asked is not None
        await member.tap(asked, "@delete|delete:yes")
        await fake.wait_for(lambda: slack_app.store.get(owner) is None)
        await fake.wait_for(
            lambda: "/coach start" in json.dumps(fake.views.get("U20", {}), ensure_ascii=False)
        )

    fake = run(slack_app, scenario)
    exported = fake.files["DU20"][0]
    assert exported["name"].endswith(".json") and "Fournil Martin" in exported["content"]
    assert json.loads(exported["content"])["owner"]["owner_id"] == owner
    assert owner not in list(slack_app.store.owner_ids())


def test_a_slow_slack_still_gets_its_ack_in_time(slack_app: App) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.delays["chat.postMessage"] = 4.0  # longer than Slack's 3 s
        member = Member(url + "/slack/events", "T111", "U11")
        response = await member.command("start")
        assert response.status == 200
        assert not fake.dm("U11"), "the ack came before the slow work finished"
        del fake.delays["chat.postMessage"]
        await fake.wait_for(lambda: len(fake.dm("U11")) >= 1, timeout=15)

    run(slack_app, scenario)


def test_a_429_from_slack_is_waited_out_and_nothing_is_dropped(slack_app: App) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.fail("chat.postMessage", 429, retry_after=1, times=2)
        member = Member(url + "/slack/events", "T111", "U12")
        await member.command("start")
        await fake.wait_for(lambda: started(fake, "U12"), timeout=15)
        await member.say("Fournil Martin")
        await fake.wait_for(lambda: bool(asks(fake, "U12", "sector")), timeout=15)

    fake = run(slack_app, scenario)
    assert len(fake.dm("U12")) == 2, "the welcome with the first question, then the next question"
    assert len(fake.sent("chat.postMessage")) == len(fake.dm("U12")) + 2, "each refused post was retried"


def test_the_home_tab_welcomes_a_newcomer_then_shows_progress(slack_app: App) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U13")
        await member.open_home()
        await fake.wait_for(lambda: "U13" in fake.views)
        assert "/coach start" in json.dumps(fake.views["U13"], ensure_ascii=False)
        await member.command("start")
        await fake.wait_for(lambda: "Où vous en êtes" in json.dumps(fake.views["U13"], ensure_ascii=False))
        count = len(fake.sent("views.publish"))
        await member.command("help")  # nothing on the Home tab changes: not published again
        await fake.wait_for(lambda: any("/coach posted" in t for t in texts(fake, "U13")))
        await asyncio.sleep(0.1)
        assert len(fake.sent("views.publish")) == count

    run(slack_app, scenario)


def test_typed_text_is_never_read_as_markup_or_a_mention(slack_app: App) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U14")
        await _started(fake, member)
        await member.say("<!channel> *Chez <@U1>* & co")
        await fake.wait_for(lambda: slack_app.store.get("slack:T111:U14").answers.get("business_name"))
        await fake.wait_for(lambda: bool(asks(fake, "U14", "sector")))
        await member.command("plan")  # the plan so far shows the name as typed
        await fake.wait_for(lambda: any("<!channel> *Chez <@U1>* & co" in t for t in texts(fake, "U14")))

    fake = run(slack_app, scenario)
    for message in fake.sent("chat.postMessage"):
        assert "<!channel>" not in message["text"] and "<@U1>" not in message["text"]
        for block in message["blocks"]:
            if "text" in block:
                assert block["text"]["type"] == "plain_text"


# --- workspaces ---------------------------------------------------------------------------------------


def test_a_workspace_installs_the_app_with_oauth_and_uses_it(slack_app: App, tmp_path: Path) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.add_install("code-abc", team="T222", token="xoxb-222-new-workspace")
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/slack/install") as page:
                assert page.status == 200
                html = await page.text()
                # The browser keeps the state cookie (Secure: sent back over HTTPS, so by hand here).
                cookie = page.headers["Set-Cookie"].split(";", 1)[0]
            link = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', html)
            assert link is not None
            query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
            assert "chat:write" in query["scope"][0] and query["client_id"] == ["111.222"]
            redirect = f"{url}/slack/oauth_redirect?code=code-abc&state={query['state'][0]}"
            async with session.get(redirect, headers={"Cookie": cookie}) as done:
                assert done.status == 200, await done.text()
        installed = slack_app.store.get_installation(installation_key(None, "T222"))
        assert installed is not None and installed["bot_token"] == "xoxb-222-new-workspace"
        member = Member(url + "/slack/events", "T222", "U1")
        await member.command("start")
        await fake.wait_for(lambda: started(fake, "U1"))
        used = {token for name, _, token in fake.calls if name == "chat.postMessage"}
        assert used == {"xoxb-222-new-workspace"}

    run(slack_app, scenario, FakeSlack(tokens={}), oauth_dir=tmp_path / "state")


def test_an_install_with_a_forged_state_is_refused(slack_app: App, tmp_path: Path) -> None:
    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.add_install("code-abc", team="T222", token="xoxb-222-new-workspace")
        redirect = f"{url}/slack/oauth_redirect?code=code-abc&state=forged"
        async with aiohttp.ClientSession() as session, session.get(redirect) as done:
            assert done.status >= 400
        assert slack_app.store.get_installation(installation_key(None, "T222")) is None

    run(slack_app, scenario, FakeSlack(tokens={}), oauth_dir=tmp_path / "state")


@pytest.mark.parametrize(
    "event",
    [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}],
    ids=["app_uninstalled", "tokens_revoked"],
)
def test_an_uninstalled_workspace_gets_no_more_reminders_but_keeps_its_data(
    slack_app: App, tmp_path: Path, event: dict[str, Any]
) -> None:
    slack_app.store.put_installation(
        installation_key(None, "T333"),
        {
            "team_id": "T333",
            "bot_token": "xoxb-333-gone-soon",
            "bot_id": "B1",
            "bot_user_id": "U0BOT",
            "installed_at": 1.0,
        },
    )
    for user in ("UA", "UB"):
        slack_app.store.put(
            OwnerRecord(
                f"slack:T333:{user}",
                "slack",
                "fr",
                "sector",
                answers={"x": 1},
                next_check_at="2026-11-24T09:00:00+00:00",
            )
        )

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T333", "UA")
        response = await member.event(event)
        assert response.status == 200
        await fake.wait_for(lambda: slack_app.store.get_installation(installation_key(None, "T333")) is None)
        await fake.wait_for(lambda: not slack_app.store.get("slack:T333:UB").active)
        with pytest.raises(Unreachable):
            await SlackSender(channel).send("slack:T333:UA", Reply("Rappel"))

    run(slack_app, scenario, FakeSlack(tokens={"xoxb-333-gone-soon": "T333"}), oauth_dir=tmp_path / "state")
    for user in ("UA", "UB"):
        record = slack_app.store.get(f"slack:T333:{user}")
        assert record.answers == {"x": 1} and record.next_check_at is None


def test_reminders_reach_the_owner_dm_through_the_outbox(slack_app: App) -> None:
    owner = "slack:T111:U15"
    record = OwnerRecord(owner, "slack", "fr", DONE)
    record.outbox = [OutboxEntry("weekly:2026-W48", "weekly", replies=[Reply("Votre rappel")])]
    slack_app.store.put(record)

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.fail("chat.postMessage", 429, retry_after=0)
        outbox = Outbox(slack_app.store, {"slack": SlackSender(channel)}, {"slack": Limits(max_backoff=0.1)})
        assert await outbox.deliver_all([owner]) == 1

    fake = run(slack_app, scenario)
    assert [m["text"] for m in fake.dm("U15")] == ["Votre rappel"]
    assert slack_app.store.get(owner).outbox == []


# --- the process ------------------------------------------------------------------------------------


def test_coach_slack_refuses_to_start_without_its_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["COACH_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "slack"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "SLACK_BOT_TOKEN" in done.stderr and "Traceback" not in done.stderr


def test_coach_slack_serves_http_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    async def scenario() -> None:
        fake = FakeSlack()
        await fake.start()
        port = free_port()
        env = {
            **os.environ,
            "COACH_DATA_DIR": str(tmp_path / "data"),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "COACH_LOG_LEVEL": "DEBUG",
        }
        process = start_slack(env, port)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            member = Member(f"http://127.0.0.1:{port}/slack/events", "T111", "U16")
            assert (await member.command("start")).status == 200
            await fake.wait_for(lambda: started(fake, "U16"), timeout=20)
        finally:
            process.send_signal(signal.SIGINT)
            _, err = await asyncio.to_thread(process.communicate, None, 20)  # the fake goes on answering
            await fake.stop()
        assert process.returncode == 0, err
        assert TOKEN not in err and SECRET not in err, "secrets never reach the log, even at DEBUG"

    asyncio.run(scenario())


def start_slack(env: dict[str, str], port: int | None = None) -> subprocess.Popen[str]:
    """`coach slack` in its own process (HTTP on `port`, or Socket Mode), its output captured."""
    command = [sys.executable, "-m", "bot", "slack", *(["--port", str(port)] if port else [])]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_coach_slack_in_socket_mode_answers_without_a_public_url(tmp_path: Path) -> None:
    async def scenario() -> None:
        fake = FakeSlack()
        fake.app_tokens.add("xapp-1-fake-app-level-token")
        await fake.start()
        env = {
            **os.environ,
            "COACH_DATA_DIR": str(tmp_path / "data"),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": "xapp-1-fake-app-level-token",
            "SLACK_API_URL": fake.url,
            "COACH_LOG_LEVEL": "DEBUG",
        }
        env.pop("SLACK_SIGNING_SECRET", None)
        process = start_slack(env)
        try:
            await fake.wait_for(lambda: bool(fake.sockets), timeout=30)
            command = {
                "team_id": "T111",
                "user_id": "U17",
                "channel_id": "DU17",
                "command": "/coach",
                "text": "start",
                "trigger_id": "t.17",
            }
            envelope = await fake.push("slash_commands", command)
            await fake.wait_for(lambda: any(a.get("envelope_id") == envelope for a in fake.socket_acks))
            await fake.wait_for(lambda: started(fake, "U17"), timeout=20)
        finally:
            process.send_signal(signal.SIGINT)
            _, err = await asyncio.to_thread(process.communicate, None, 20)  # the fake goes on answering
            await fake.wait_for(lambda: all(socket.closed for socket in fake.sockets))
            await fake.stop()
        assert process.returncode == 0 and "Traceback" not in err, err
        assert "xapp-1-fake-app-level-token" not in err and TOKEN not in err

    asyncio.run(scenario())


def test_the_manifest_asks_for_exactly_what_the_app_uses() -> None:
    import yaml

    from bot.channels.slack import SCOPES
    from bot.config import ROOT

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == list(SCOPES)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/coach"]
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_home_opened", "app_uninstalled", "message.im", "tokens_revoked"}
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_a_file_or_an_edited_message_gets_a_kind_answer_and_changes_nothing(slack_app: App) -> None:
    owner = "slack:T111:U21"

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U21")
        await _started(fake, member)
        await fake.wait_for(settled(slack_app, channel, owner, lambda r: r.state == "business_name"))
        photo = {
            "type": "message",
            "subtype": "file_share",
            "channel": "DU21",
            "channel_type": "im",
            "user": "U21",
            "text": "",
            "files": [{"id": "F1"}],
        }
        await member.event(photo)
        await fake.wait_for(lambda: "que du texte" in fake.dm("U21")[-1]["text"])
        edited = {
            "type": "message",
            "subtype": "message_changed",
            "channel": "DU21",
            "channel_type": "im",
            "message": {"user": "U21", "text": "Fournil"},
            "user": "U21",
        }
        await member.event(edited)
        await fake.wait_for(lambda: "modifié" in fake.dm("U21")[-1]["text"])

    run(slack_app, scenario)
    assert slack_app.store.get(owner).state == "business_name"


# --- faults from the Web API ------------------------------------------------------------------------


def test_resets_5xx_and_garbled_answers_from_slack_lose_nothing_and_send_nothing_twice(
    slack_app: App,
) -> None:
    owner = "slack:T111:U22"

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.fail("chat.postMessage", 500)
        fake.reset("chat.postMessage")
        fake.garble("chat.postMessage")
        member = Member(url + "/slack/events", "T111", "U22")
        outbox = Outbox(slack_app.store, {"slack": SlackSender(channel)}, {"slack": Limits(max_backoff=0.1)})
        await member.command("start")
        await fake.wait_for(settled(slack_app, channel, owner, lambda r: bool(r.state)), timeout=30)
        if slack_app.store.get(owner).outbox:  # what could not go now goes on the next round
            await outbox.deliver_all([owner])
        await member.say("Fournil Martin")
        await fake.wait_for(
            settled(slack_app, channel, owner, lambda r: "business_name" in r.answers), timeout=30
        )
        if slack_app.store.get(owner).outbox:
            await outbox.deliver_all([owner])

    fake = run(slack_app, scenario)
    shown = [m["text"] for m in fake.dm("U22")]
    assert len(shown) == len(set(shown)) == 2, "each reply once, none lost"
    assert started(fake, "U22") and len(asks(fake, "U22", "sector")) == 1
    assert not slack_app.store.get(owner).outbox


def test_a_call_that_times_out_is_made_again_and_the_reply_arrives_once(
    slack_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack, "API_TIMEOUT", 1)  # not 10 seconds: the test waits less
    owner = "slack:T111:U24"

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.stall("chat.postMessage", 2.5)
        member = Member(url + "/slack/events", "T111", "U24")
        await member.command("start")
        await fake.wait_for(settled(slack_app, channel, owner, lambda r: bool(r.state)), timeout=30)
        await member.say("Fournil Martin")
        await fake.wait_for(
            settled(slack_app, channel, owner, lambda r: "business_name" in r.answers), timeout=30
        )

    fake = run(slack_app, scenario)
    shown = [m["text"] for m in fake.dm("U24")]
    assert len(shown) == len(set(shown)) == 2, "each reply once, none lost"
    assert started(fake, "U24") and len(asks(fake, "U24", "sector")) == 1
    assert len(fake.sent("chat.postMessage")) == 3, "the call that timed out was made once more"
    assert not slack_app.store.get(owner).outbox


STORM_MEMBERS, STORM_429S = 20, 100


def test_a_429_storm_on_many_members_loses_nothing_and_sends_nothing_twice(slack_app: App) -> None:
    users = [f"U9{n:02}" for n in range(STORM_MEMBERS)]
    owners = [f"slack:T111:{u}" for u in users]

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.fail("chat.postMessage", 429, retry_after=1, times=STORM_429S)
        await asyncio.gather(*(Member(url + "/slack/events", "T111", u).command("start") for u in users))
        for owner in owners:
            await fake.wait_for(settled(slack_app, channel, owner, lambda r: bool(r.state)), timeout=60)
        # What the retries could not send waits in the outbox for the next round.
        outbox = Outbox(slack_app.store, {"slack": SlackSender(channel)}, {"slack": Limits(max_backoff=0.1)})
        await outbox.deliver_all(owners)

    fake = run(slack_app, scenario)
    for user, owner in zip(users, owners, strict=True):
        assert len(fake.dm(user)) == 1 and started(fake, user), f"{user}: the reply once, not lost"
        assert not slack_app.store.get(owner).outbox
    posts = len(fake.sent("chat.postMessage"))
    assert posts == STORM_MEMBERS + STORM_429S, "every refused message was tried again, no more"


def test_a_slack_down_for_long_keeps_the_replies_for_the_next_round(slack_app: App) -> None:
    owner = "slack:T111:U23"

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        fake.fail("chat.postMessage", 503, times=12)
        member = Member(url + "/slack/events", "T111", "U23")
        await member.command("start")
        await fake.wait_for(lambda: waiting_for_next_round(slack_app.store, owner), 30)
        assert not fake.dm("U23")
        fake.failures["chat.postMessage"].clear()
        outbox = Outbox(slack_app.store, {"slack": SlackSender(channel)}, {"slack": Limits(max_backoff=0.1)})
        assert await outbox.deliver_all([owner]) == 1

    fake = run(slack_app, scenario)
    assert len(fake.dm("U23")) == 1 and started(fake, "U23"), "the welcome and the question, once"
    assert not slack_app.store.get(owner).outbox


# --- hostile and odd input ---------------------------------------------------------------------------


def test_forged_buttons_unknown_events_and_huge_texts_break_nothing(slack_app: App) -> None:
    owner = "slack:T111:U24"

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U24")
        await _started(fake, member)
        await fake.wait_for(settled(slack_app, channel, owner, lambda r: r.state == "business_name"))
        unknown = await member.event({"type": "reaction_added", "user": "U24", "reaction": "tada"})
        assert unknown.status == 200
        forged = {
            "type": "button",
            "action_id": "coach.choice.0",
            "value": "plan_hours|999",
            "text": {"type": "plain_text", "text": "x"},
            "block_id": "b",
        }
        assert (await member.action(member._payload([forged], None))).status == 200
        nonsense = {**forged, "action_id": "coach.nothing", "value": "|" * 3000}
        assert (await member.action(member._payload([nonsense], None))).status == 200
        assert (await member.command("pending " + "9" * 50_000)).status == 200
        await member.say("é" * 4000)
        await member.say("<!here> <https://evil.example|cliquez> & Cie")
        await fake.wait_for(settled(slack_app, channel, owner, lambda r: r.state != "business_name"))

    fake = run(slack_app, scenario)
    record = slack_app.store.get(owner)
    assert "plan_hours" not in record.answers and record.waiting.count == 0
    assert record.answers["business_name"] == "<!here> <https://evil.example|cliquez> & Cie"
    for message in fake.sent("chat.postMessage"):
        assert "<!here>" not in message["text"] and "Traceback" not in message["text"]


def test_no_secret_reaches_the_log_even_at_debug_through_an_oauth_install(tmp_path: Path) -> None:
    installed = "xoxb-222-installed-token-abcdef"

    async def scenario() -> str:
        fake = FakeSlack(tokens={})
        fake.add_install("code-xyz", team="T222", token=installed)
        await fake.start()
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SLACK_")},
            "COACH_DATA_DIR": str(tmp_path / "data"),
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "oauth-client-secret-123",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "COACH_LOG_LEVEL": "DEBUG",
        }
        process = start_slack(env, port)
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_healthy(url + "/healthz")
            async with aiohttp.ClientSession() as session:
                async with session.get(url + "/slack/install") as page:
                    html, cookie = await page.text(), page.headers["Set-Cookie"].split(";", 1)[0]
                state = re.search(r"state=([\w-]+)", html)
                assert state is not None
                redirect = f"{url}/slack/oauth_redirect?code=code-xyz&state={state.group(1)}"
                async with session.get(redirect, headers={"Cookie": cookie}) as done:
                    assert done.status == 200
            await Member(url + "/slack/events", "T222", "U1").command("start")
            await fake.wait_for(lambda: started(fake, "U1"), timeout=20)
        finally:
            process.send_signal(signal.SIGINT)
            _, err = await asyncio.to_thread(process.communicate, None, 20)
            await fake.stop()
        return err

    err = asyncio.run(scenario())
    assert "oauth.v2.access" in err, "the debug log did record the exchange"
    for secret in (installed, "oauth-client-secret-123", SECRET):
        assert secret not in err
