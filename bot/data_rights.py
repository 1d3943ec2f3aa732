"""The owner's data rights: everything stored about them as one readable JSON document.

`/export` hands it to the owner as a file; `/delete` (after a confirmation) erases the record,
which holds everything: answers, plan, posts, reminders sent and waiting, delivery marks. The
terminal saves exports under the data folder, readable by the user alone, and erases them with
the record.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from bot.store.base import OwnerRecord


def export_document(record: OwnerRecord, at: datetime) -> str:
    """The owner's record as indented JSON, with when it was exported."""
    doc = {"exported_at": at.isoformat(), "owner": record.to_doc()}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def export_filename(owner_id: str, at: datetime) -> str:
    """A file name safe on every system: `coach-<owner>-<date>.json`."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", owner_id).strip("-")[:80]
    return f"coach-{safe}-{at:%Y-%m-%d}.json"


EXPORTS = "exports"
"""Where the terminal keeps the owner's exports, under the data folder: one folder per owner."""


def exports_folder(data_dir: Path, owner_id: str) -> Path:
    """The owner's exports folder (their id quoted, so two owners never share one)."""
    return data_dir / EXPORTS / quote(owner_id, safe="")


def save_export(data_dir: Path, owner_id: str, name: str, content: str) -> Path:
    """Write an export readable by this user only (folders 0700, file 0600); return its path."""
    folder = exports_folder(data_dir, owner_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for made in (folder.parent, folder):
        made.chmod(0o700)
    path = folder / Path(name).name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
    path.chmod(0o600)
    return path


def erase_exports(data_dir: Path, owner_id: str) -> bool:
    """Remove the owner's saved exports; tell whether there were any."""
    folder = exports_folder(data_dir, owner_id)
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True
