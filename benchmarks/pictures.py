"""Drawing the pictures: one chart, one plan card, and the charts of a weekly push.

    .venv/bin/python benchmarks/pictures.py single --draws 40
    .venv/bin/python benchmarks/pictures.py push --owners 10000 --workers 2
    .venv/bin/python benchmarks/pictures.py captions --owners 30 --weeks 30

`single` draws the same owner's chart `draws` times and their card `draws // 4` times, each in a
fresh process, and reports the median and 95th-percentile time of one drawing, the bytes of
each file, and the memory: the process's peak resident size before the first drawing and after
the last, and the peak of Python allocations during one drawing (tracemalloc).

`push` puts `owners` owners on file (in memory), each with a finished plan and eight weeks of
logged posts and replies (varied, so no two charts are alike), then draws every owner's weekly
chart the way the nudge sweep does for a push (`Pictures.prepare`: worker processes, files
kept under a scratch folder), and compares the time with the time a push of that many
messages takes at 30 messages a second (Telegram's overall limit).

`captions` composes weekly memos for `owners` owners over `weeks` weeks, in French and English,
with a usual, a long and the longest business name the journey takes (80 characters), the week
varied each time (posts, offers among them, replies waiting and for how long), the tips given in
turn: how long the memo's text is against Telegram's 1,024 characters of a caption, how many
were fitted (`compose.fitted`: name shortened, source by its title, closing line left out), how
many left their tip for another week, and how many would still go apart from their chart.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.events import Attachment
from bot.store.base import Post, ReplyWait
from bot.store.memory import MemoryStore
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk

FINISHED = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
CHECKIN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris
LAST_DAY = date(2026, 11, 29)
PUSH_RATE = 30.0


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that ended (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def owner_template():
    """A record with a finished plan (the bakery), to clone."""
    clock = FixedClock(FINISHED)
    app = build_app(Settings(data_dir=Path("unused")), store=MemoryStore(), clock=clock)
    chat = OwnerChat(app.engine, clock, "bench:template", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    return chat.record()


def logged(record, rng: random.Random):
    """Eight weeks of posts (some promotional) and waits for a reply, varied per owner."""
    record.posts = []
    record.reply_waits = []
    for week in range(8):
        monday = FINISHED + timedelta(weeks=week)
        for _ in range(rng.randint(0, 5)):
            at = monday + timedelta(hours=rng.randint(1, 160))
            record.posts.append(Post(at.isoformat(), "instagram", rng.random() < 0.25))
        if rng.random() < 0.7:
            since = monday + timedelta(hours=rng.randint(1, 100))
            until = since + timedelta(hours=rng.choice([1, 3, 6, 12, 30]))
            record.reply_waits.append(ReplyWait(since.isoformat(), until.isoformat()))
    record.posts.sort(key=lambda p: p.at)
    return record


def single(draws: int) -> None:
    code = f"""
import json, resource, statistics, sys, time, tracemalloc, random
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from benchmarks.pictures import owner_template, logged, LAST_DAY, _rss_mib
from bot.config import ROOT
from bot.i18n import Translator
from bot.pictures import card, chart
from bot.pictures.replies import series_of
from bot.app import build_app
from bot.config import Settings
from bot.store.memory import MemoryStore
from pathlib import Path
from datetime import datetime
app = build_app(Settings(data_dir=Path("unused")), store=MemoryStore())
record = logged(owner_template(), random.Random(1))
t = Translator("fr", ROOT / "locales")
series = series_of(record, app.engine.flows, t, LAST_DAY)
plan = card.plan_card(record, app.engine.flows, t, datetime.now())
kind = sys.argv[1]
before = _rss_mib()
draw = (lambda: chart.draw(series, t)) if kind == "chart" else (lambda: card.draw(plan, t))
tracemalloc.start()
data = draw()
first_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.reset_peak()
data = draw()
steady_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
times = []
cpu = []
for _ in range({draws} if kind == "chart" else max(4, {draws} // 4)):
    start, used = time.perf_counter(), time.process_time()
    data = draw()
    times.append(time.perf_counter() - start); cpu.append(time.process_time() - used)
times.sort()
size = f"{{len(data):,}} PNG" if kind == "chart" else f"{{len(data[0]):,}} PNG + {{len(data[1]):,}} PDF"
p95 = times[int(0.95 * (len(times) - 1))]
middle, used = statistics.median(times) * 1000, statistics.median(cpu) * 1000
print(json.dumps([kind, len(times), middle, p95 * 1000, used,
      size, before, _rss_mib(), first_peak / 2**20, steady_peak / 2**20]))
"""
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| picture | drawings | median | p95 | CPU | bytes | RSS before → after | Python peak 1st / next |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in ("chart", "card"):
        out = subprocess.run([sys.executable, "-c", code, kind], capture_output=True, text=True, check=True)
        name, n, median, p95, cpu, size, before, after, first, steady = json.loads(out.stdout)
        print(
            f"| {name} | {n} | {median:.0f} ms | {p95:.0f} ms | {cpu:.0f} ms | {size} | "
            f"{before:.0f} → {after:.0f} MiB | {first:.1f} / {steady:.1f} MiB |"
        )


def push(owners: int, workers: int) -> None:
    template = owner_template()
    store = MemoryStore()
    rng = random.Random(20261130)
    for n in range(owners):
        record = copy.deepcopy(template)
        record.owner_id = f"telegram:{n}"
        store.put(logged(record, rng))
    with tempfile.TemporaryDirectory(prefix="coach-bench-pictures-") as scratch:
        app = build_app(Settings(data_dir=Path(scratch)), store=store)
        wanted = [
            (
                f"telegram:{n}",
                Attachment("chart.png", mime="image/png", kind="photo", ref=f"chart:{LAST_DAY}"),
            )
            for n in range(owners)
        ]
        before = _rss_mib()
        load = os.getloadavg()[0]
        start, cpu = time.perf_counter(), _cpu_seconds()
        drawn = app.engine.pictures.prepare(wanted, workers=workers)
        elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        kept = sum(1 for _ in (Path(scratch) / "pictures").rglob("chart-*"))
        size = sum(p.stat().st_size for p in (Path(scratch) / "pictures").rglob("chart-*"))
        again = time.perf_counter()
        assert app.engine.pictures.prepare(wanted[:1000], workers=workers) == 0
        lookup = (time.perf_counter() - again) / 1000
    sending = owners / PUSH_RATE
    per_chart = cpu / drawn
    idle = drawn * per_chart / workers  # the same work spread over `workers` cores nobody else uses
    print(
        f"CPU time (parent and workers): {cpu:.0f} s, {1000 * per_chart:.1f} ms a chart; on {workers} idle "
        f"cores {drawn} charts take about {idle:.0f} s ({workers / per_chart:.1f} charts/s), "
        f"{'within' if idle <= sending else 'OVER'} the {sending:.0f} s of sending. "
        f"Load average at the start: {load:.1f} on {os.cpu_count()} cores."
    )
    print(
        f"{owners} owners, {workers} worker processes: {drawn} charts drawn in {elapsed:.0f} s "
        f"({drawn / elapsed:.1f} charts/s, {1000 * elapsed / drawn:.1f} ms each), {kept} kept, "
        f"{size / kept / 1024:.0f} KiB each; sending {owners} messages at {PUSH_RATE:.0f}/s takes "
        f"{sending:.0f} s: drawing is {'within' if elapsed <= sending else 'OVER'} it "
        f"({100 * elapsed / sending:.0f} %). Finding a chart already drawn: {1000 * lookup:.2f} ms. "
        f"Parent RSS {before:.0f} → {_rss_mib():.0f} MiB."
    )


NAMES = {
    "usual": "Boulangerie Dupain",
    "long": "Boulangerie-Pâtisserie Artisanale Dupont & Fils",
    "longest": "Boulangerie-pâtisserie artisanale et traiteur Dupont-Lefèvre & Fils, depuis 1952"[:80],
}


def captions(owners: int, weeks: int) -> None:
    from bot.nudges import compose
    from bot.pictures.caption import caption_length

    app = build_app(Settings(data_dir=Path("unused")), store=MemoryStore())
    flows = app.engine.flows
    base = owner_template()
    rng = random.Random(1)
    limit = f"{compose.CAPTION_MAX:,}"
    print(
        f"| language | business name | memos | median | p95 | longest | fitted | tip left for another week "
        f"| still over {limit} |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for language in ("fr", "en"):
        t = app.engine.translators[language]
        for label, name in NAMES.items():
            lengths, fitted, untipped = [], 0, 0
            for _ in range(owners):
                record = copy.deepcopy(base)
                record.language, record.answers["business_name"] = language, name
                for week in range(weeks):
                    now = CHECKIN + timedelta(weeks=week)
                    posts = rng.choice([0, 1, 2, 3, 3, 4, 5])
                    share = rng.choice([0.1, 0.5])
                    record.posts = [
                        Post(
                            (now - timedelta(hours=rng.randint(1, 330))).isoformat(),
                            "instagram",
                            rng.random() < share,
                        )
                        for _ in range(posts)
                    ]
                    record.waiting.count = rng.choice([0, 0, 1, 3, 12])
                    waited = timedelta(hours=rng.choice([2, 30, 200]))
                    record.waiting.since = (now - waited).isoformat() if record.waiting.count else None
                    text = compose.memo(record, flows, t, now).text
                    lengths.append(caption_length(text))
                    tips = [topic for topic in flows.topics if t.tr(f"tip.{topic}") in text]
                    cited = all(compose.tip_text(flows, topic, t) in text for topic in tips)
                    fitted += not (name in text and t.tr("memo.checkin") in text and cited and tips)
                    untipped += t.tr("nudge.tip") not in text
            lengths.sort()
            over = sum(1 for n in lengths if n > compose.CAPTION_MAX)
            count = len(lengths)
            median, p95 = lengths[count // 2], lengths[int(0.95 * count)]
            print(
                f"| {language} | {label} ({len(name)} characters) | {count:,} | {median:,} | {p95:,} | "
                f"{lengths[-1]:,} | {fitted} ({100 * fitted / count:.1f} %) | "
                f"{untipped} ({100 * untipped / count:.1f} %) | {over} ({100 * over / count:.1f} %) |"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("single")
    one.add_argument("--draws", type=int, default=40)
    many = sub.add_parser("push")
    many.add_argument("--owners", type=int, default=10000)
    many.add_argument("--workers", type=int, default=2)
    texts = sub.add_parser("captions")
    texts.add_argument("--owners", type=int, default=30)
    texts.add_argument("--weeks", type=int, default=30)
    args = parser.parse_args()
    if args.what == "single":
        single(args.draws)
    elif args.what == "captions":
        captions(args.owners, args.weeks)
    else:
        push(args.owners, args.workers)


if __name__ == "__main__":
    main()
