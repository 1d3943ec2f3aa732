"""`coach stats`: how the coach is doing, for the operator, computed from the stored records."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.flows import DONE, Flows
from bot.store.base import Store, StoreError


@dataclass
class Stats:
    """Owners by module reached, plans completed, reminders sent and reacted to, activity."""

    owners: int = 0
    by_module: Counter[str] = field(default_factory=Counter)
    plans_completed: int = 0
    active: int = 0
    inactive: int = 0
    unreadable: int = 0
    nudges_sent: Counter[str] = field(default_factory=Counter)
    nudges_reacted: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {
            "owners": self.owners,
            "by_module": dict(self.by_module),
            "plans_completed": self.plans_completed,
            "active": self.active,
            "inactive": self.inactive,
            "unreadable": self.unreadable,
            "nudges": {
                kind: {"sent": self.nudges_sent[kind], "reacted": self.nudges_reacted[kind]}
                for kind in sorted(self.nudges_sent)
            },
        }


def collect(store: Store, flows: Flows) -> Stats:
    """Read every record once and count."""
    stats = Stats()
    for owner_id in store.owner_ids():
        try:
            record = store.get(owner_id)
        except StoreError:
            stats.unreadable += 1
            continue
        if record is None:
            continue
        stats.owners += 1
        if record.state == DONE:
            stats.by_module["plan done"] += 1
        elif record.state in flows.steps:
            stats.by_module[flows.module_of(record.state).id] += 1
        else:
            stats.by_module["not started"] += 1
        stats.plans_completed += bool(record.completed_at)
        stats.active += record.active
        stats.inactive += not record.active
        for kind, counts in record.nudges.counts.items():
            stats.nudges_sent[kind] += counts.sent
            stats.nudges_reacted[kind] += counts.reacted
    return stats


def render(stats: Stats, flows: Flows) -> str:
    """A plain-text report, modules in the journey's order."""
    order = [m.id for m in flows.modules] + ["plan done", "not started"]
    lines = [
        f"owners            {stats.owners}",
        f"  active          {stats.active}",
        f"  inactive        {stats.inactive}",
        f"plans completed   {stats.plans_completed}",
        "",
        "where owners are",
    ]
    lines += [f"  {name:<16}{stats.by_module[name]}" for name in order if stats.by_module[name]]
    lines += ["", "reminders         sent  reacted"]
    lines += [
        f"  {kind:<16}{stats.nudges_sent[kind]:>4}  {stats.nudges_reacted[kind]:>7}"
        for kind in sorted(stats.nudges_sent)
    ]
    if stats.unreadable:
        lines += ["", f"unreadable records: {stats.unreadable} (see the log)"]
    return "\n".join(lines) + "\n"
