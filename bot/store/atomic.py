"""Replace a file atomically: no half-written file after `kill -9`, and with fsync none after a power cut."""

from __future__ import annotations

import os
from pathlib import Path


def replace_file(path: Path, tmp: Path, payload: bytes, fsync: bool) -> os.stat_result:
    """Write `payload` to `tmp`, then swap it in for `path`; with `fsync`, the data and the folder too.

    Returns the new file's status: its inode, size and modification time tell this version from
    any other. Plain `os` calls, as few as the job needs: on a thread, each one hands the
    interpreter lock back and forth.
    """
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
            status = os.fstat(fd)
        finally:
            os.close(fd)
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
    return status
