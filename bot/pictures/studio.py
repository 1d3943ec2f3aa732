"""Pictures for the channels: a reference in a reply becomes PNG or PDF bytes, drawn or found kept.

A channel asks `Pictures.file(owner, attachment)` when it sends a reply that carries a picture,
from a worker thread (drawing takes a tenth of a second or more: never on the event loop). The
picture is drawn from the owner's record as it is then, unless the same one was drawn before
(the shelf knows it by a digest of its inputs). For the weekly push, `prepare` draws the
claimed charts ahead, in worker processes when there are many (matplotlib holds the GIL, so
threads would not use a second core), so that sending is not slowed by drawing. With
`background`, it returns at once and draws while the push goes out: a memo whose chart is still
being drawn waits for it (`picture`), and the others go meanwhile, so a push takes the longer of
drawing and sending, not both. The worker processes run at a lower priority than the bot, whose
answers to owners talking meanwhile come first.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.events import Attachment, Reply
from bot.flows import Flows
from bot.i18n import Translator
from bot.pictures.replies import series_of
from bot.pictures.shelf import Shelf
from bot.pictures.weeks import WeekSeries
from bot.store.base import OwnerRecord, Store

log = logging.getLogger(__name__)
POOL_FROM = 64
"""Charts to draw at once from which worker processes are worth their start (about a second)."""
CHUNK = 8
"""Charts a worker process draws per task: results come back in order, a few at a time."""
NICENESS = 10
"""How much lower the drawing processes' priority is than the bot's (Unix `nice`)."""


class MissingPicture(LookupError):
    """A picture cannot be drawn: its owner is gone, or the reference is unknown."""


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@dataclass(frozen=True)
class _Job:
    """One chart to draw in a worker process: the plain figures and the language."""

    owner_id: str
    name: str
    digest: str
    series: WeekSeries
    language: str


_worker_translators: dict[str, Translator] = {}


def _lower_priority() -> None:
    """In a drawing process: yield the cores to the bot when it has work (owners waiting)."""
    with contextlib.suppress(OSError):  # not allowed here: drawing still works, at the same priority
        os.nice(NICENESS)


def _draw_in_worker(job: _Job, localedir: str) -> tuple[_Job, bytes]:
    from bot.pictures import chart

    translator = _worker_translators.get(job.language)
    if translator is None:
        translator = _worker_translators[job.language] = Translator(job.language, Path(localedir))
    return job, chart.draw(job.series, translator)


class Pictures:
    """Draws the pictures an owner is sent and keeps them on a shelf."""

    def __init__(
        self,
        flows: Flows,
        store: Store,
        translators: Mapping[str, Translator],
        localedir: Path,
        folder: Path | None = None,
    ) -> None:
        self.flows = flows
        self.store = store
        self.translators = translators
        self.localedir = localedir
        self.shelf = Shelf(folder)
        self._drawing: dict[tuple[str, str], Future[None]] = {}
        """Charts being drawn ahead in the background, by owner and name, until they are kept."""
        self._guard = threading.Lock()
        self._closed = threading.Event()

    def file(self, owner_id: str, attachment: Attachment) -> bytes:
        """The bytes to send for an attachment: its text, or the picture it names."""
        if attachment.ref is None:
            return attachment.content.encode()
        from bot.pictures import card, chart  # matplotlib loads with the first picture, not at start

        kind, _, detail = attachment.ref.partition(":")
        record = self.store.get(owner_id)
        if record is None:
            raise MissingPicture(f"no owner {owner_id}")
        t = self.translators[record.language]
        if kind == "chart":
            job = self._chart_job(owner_id, detail, record, t)
            kept = self.shelf.fetch(owner_id, job.name, job.digest)
            if kept is None:
                kept = chart.draw(job.series, t)
                self.shelf.keep(owner_id, job.name, job.digest, kept)
            return kept
        if kind == "card" and detail in ("png", "pdf"):
            now = datetime.fromisoformat(record.updated_at or record.created_at)
            plan = card.plan_card(record, self.flows, t, now)
            digest = _digest(plan, t.language)
            kept = self.shelf.fetch(owner_id, "card-" + detail, digest)
            if kept is None:
                png, pdf = card.draw(plan, t)
                self.shelf.keep(owner_id, "card-png", digest, png)
                self.shelf.keep(owner_id, "card-pdf", digest, pdf)
                kept = png if detail == "png" else pdf
            return kept
        raise MissingPicture(f"unknown picture {attachment.ref!r}")

    def _series(self, record: OwnerRecord, t: Translator, end: str) -> WeekSeries:
        """The figures of a chart reference, `end` being its last day, from the owner's record."""
        try:
            last = date.fromisoformat(end)
        except ValueError as error:
            raise MissingPicture(f"bad chart date {end!r}") from error
        return series_of(record, self.flows, t, last)

    def _chart_job(self, owner_id: str, end: str, record: OwnerRecord, t: Translator) -> _Job:
        """A chart to draw: kept by owner and last day (one per week for the check-ins)."""
        series = self._series(record, t, end)
        return _Job(owner_id, "chart-" + end, _digest(series, t.language), series, t.language)

    def prepare(
        self, wanted: Iterable[tuple[str, Attachment]], workers: int = 0, background: bool = False
    ) -> int:
        """Draw ahead the charts among `wanted` (owner, attachment) not kept yet; return how many.

        With POOL_FROM charts or more, they are drawn by `workers` processes (one per core by
        default); fewer are drawn here. With `background`, a thread draws them and this returns
        at once; `pending` tells which are still being drawn.
        """
        jobs: list[_Job] = []
        for owner_id, attachment in wanted:
            if attachment.ref is None or not attachment.ref.startswith("chart:"):
                continue
            record = self.store.get(owner_id)
            if record is None:
                continue
            t = self.translators[record.language]
            job = self._chart_job(owner_id, attachment.ref[6:], record, t)
            if self.shelf.fetch(owner_id, job.name, job.digest) is None:
                jobs.append(job)
        if not background:
            self._draw(jobs, workers)
            return len(jobs)
        with self._guard:  # one drawing per chart: those already under way are left to it
            jobs = [job for job in jobs if (job.owner_id, job.name) not in self._drawing]
            for job in jobs:
                self._drawing[(job.owner_id, job.name)] = Future()
        threading.Thread(target=self._draw, args=(jobs, workers), name="pictures-ahead", daemon=True).start()
        return len(jobs)

    def pending(self, owner_id: str, attachment: Attachment) -> Future[None] | None:
        """The drawing ahead of this picture, while it is under way (None: drawn, or not ahead)."""
        if attachment.ref is None or not attachment.ref.startswith("chart:"):
            return None
        with self._guard:
            return self._drawing.get((owner_id, "chart-" + attachment.ref[6:]))

    def _drawn(self, job: _Job, png: bytes | None) -> None:
        """Keep a chart drawn ahead (None: not drawn after all), and tell whoever waits for it."""
        if png is not None:
            self.shelf.keep(job.owner_id, job.name, job.digest, png)
        with self._guard:
            waiting = self._drawing.pop((job.owner_id, job.name), None)
        if waiting is not None and waiting.set_running_or_notify_cancel():
            waiting.set_result(None)

    def _draw(self, jobs: list[_Job], workers: int) -> None:
        """Draw `jobs` in order, keeping each as it comes; those left at `close` are let go."""
        from bot.pictures import chart

        done = 0
        try:
            count = workers or os.cpu_count() or 1
            if len(jobs) < POOL_FROM or count < 2:
                for job in jobs:
                    if self._closed.is_set():
                        break
                    self._drawn(job, chart.draw(job.series, self.translators[job.language]))
                    done += 1
                return
            # Spawned, not forked: the parent may run threads (a bot, a pool of connections).
            pool = ProcessPoolExecutor(
                count, mp_context=multiprocessing.get_context("spawn"), initializer=_lower_priority
            )
            try:
                localedir = [str(self.localedir)] * len(jobs)
                for job, png in pool.map(_draw_in_worker, jobs, localedir, chunksize=CHUNK):
                    self._drawn(job, png)
                    done += 1
                    if self._closed.is_set():
                        break
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        except Exception:  # a drawing failed: what is left is drawn when it is sent
            log.exception("drawing charts ahead stopped after %d of %d", done, len(jobs))
        finally:
            for job in jobs[done:]:
                self._drawn(job, None)

    def close(self) -> None:
        """Stop drawing ahead (what is left is drawn when sent, if ever)."""
        self._closed.set()

    def forget(self, owner_id: str) -> None:
        """Erase the owner's kept pictures."""
        self.shelf.forget(owner_id)


async def picture(pictures: Pictures | None, owner_id: str, reply: Reply) -> bytes | None:
    """The bytes of a reply's picture, drawn in a worker thread; None when it carries none.

    A picture that cannot be drawn any more (its owner was erased meanwhile) raises
    MissingPicture; channels drop such a message.
    """
    attachment = reply.attachment
    if attachment is None or attachment.ref is None:
        return None
    if pictures is None:
        raise MissingPicture(f"no pictures here to draw {attachment.ref!r}")
    drawing = pictures.pending(owner_id, attachment)
    if drawing is not None:  # being drawn ahead: wait for it rather than draw it twice
        # Shielded: a waiter cancelled (a shutdown) must not cancel the drawing others wait for.
        await asyncio.shield(asyncio.wrap_future(drawing))
    return await asyncio.to_thread(pictures.file, owner_id, attachment)


async def ready(pictures: Pictures | None, owner_id: str, reply: Reply) -> None:
    """Have a reply's picture drawn, or wait for its drawing ahead, before it is sent.

    Senders await this before taking their place under the platform's limits (`Sender.ready`),
    so that a memo waiting for its chart holds up no one. A picture that cannot be drawn is
    left for the send to find out (and refuse).
    """
    with contextlib.suppress(MissingPicture):
        await picture(pictures, owner_id, reply)
