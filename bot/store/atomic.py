"""Replace a file atomically: no half-written file after `kill -9`, and with fsync none after a power cut."""

from __future__ import annotations

import os
from pathlib import Path


def replace_file(path: Path, tmp: Path, payload: bytes, fsync: bool) -> None:
    """Write `payload` to `tmp`, then swap it in for `path`; with `fsync`, the data and the folder too."""
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
