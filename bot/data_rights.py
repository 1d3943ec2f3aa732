"""The owner's data rights: everything stored about them as one readable JSON document.

`/export` hands it to the owner as a file; `/delete` (after a confirmation) erases the record,
which holds everything: answers, plan, posts, reminders sent and waiting, delivery marks.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from bot.store.base import OwnerRecord


def export_document(record: OwnerRecord, at: datetime) -> str:
    """The owner's record as indented JSON, with when it was exported."""
    doc = {"exported_at": at.isoformat(), "owner": record.to_doc()}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def export_filename(owner_id: str, at: datetime) -> str:
    """A file name safe on every system: `coach-<owner>-<date>.json`."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", owner_id).strip("-")[:80]
    return f"coach-{safe}-{at:%Y-%m-%d}.json"
