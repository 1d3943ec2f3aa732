"""Pictures for the channels: a reference in a reply becomes PNG or PDF bytes, drawn or found kept.

A channel asks `Pictures.file(owner, attachment)` when it sends a reply that carries a picture,
from a worker thread (drawing takes a tenth of a second or more: never on the event loop). The
picture is drawn from the owner's record as it is then, unless the same one was drawn before
(the shelf knows it by a digest of its inputs). For the weekly push, `prepare` draws the
claimed charts ahead, in worker processes when there are many (matplotlib holds the GIL, so
threads would not use a second core), so that sending is not slowed by drawing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
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

    def prepare(self, wanted: Iterable[tuple[str, Attachment]], workers: int = 0) -> int:
        """Draw ahead the charts among `wanted` (owner, attachment) not kept yet; return how many.

        With POOL_FROM charts or more, they are drawn by `workers` processes (one per core by
        default); fewer are drawn here.
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
        from bot.pictures import chart

        count = workers or os.cpu_count() or 1
        if len(jobs) < POOL_FROM or count < 2:
            for job in jobs:
                self.shelf.keep(
                    job.owner_id, job.name, job.digest, chart.draw(job.series, self.translators[job.language])
                )
            return len(jobs)
        # Spawned, not forked: the parent may run threads (a bot, a pool of connections).
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
            chunks = max(1, len(jobs) // (count * 8))
            for job, png in pool.map(
                _draw_in_worker, jobs, [str(self.localedir)] * len(jobs), chunksize=chunks
            ):
                self.shelf.keep(job.owner_id, job.name, job.digest, png)
        return len(jobs)

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
    return await asyncio.to_thread(pictures.file, owner_id, attachment)
