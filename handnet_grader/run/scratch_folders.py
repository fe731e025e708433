"""The grader's temporary folders, and sweeping those of grading processes that were
killed.

A grading process that is killed (``kill -9``, the OOM killer, a lost Dask worker) cannot
remove its temporary folders:

- ``handnet-grading-*``: one submission's exchange with its kernel
  (``execute.GuardedExecute``). The kernel's sockets in it are named
  ``kernel-<pid>-...`` after the grading process; such a folder is stale when that
  process no longer runs, or, before any kernel started in it, after ``STALE_HOURS`` (a
  submission may run ten minutes);
- ``handnet-worker-<pid>-<start>-*``: a Dask worker's throw-away courses
  (``process_folder``), where ``<start>`` is the process's start time, so that a later
  process given the same pid is not taken for it; stale when that process is gone.

``sweep`` removes stale ones; a grading run calls it when it starts, a Dask worker before
each submission.
"""

import atexit
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "handnet-worker-"
EXCHANGE_PREFIX = "handnet-grading-"
STALE_HOURS = 6
_FOLDER = []
_NAME = re.compile(re.escape(PREFIX) + r"(\d+)-(\d+)-")
_SOCKET = re.compile(r"kernel-(\d+)-")


def start_time(pid: int) -> int | None:
    """A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or
    None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def process_folder() -> Path:
    """This process's temporary folder, made on first use and removed at a normal exit."""
    if not _FOLDER:
        pid = os.getpid()
        folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{pid}-{start_time(pid) or 0}-"))
        _FOLDER.append(folder)
        atexit.register(shutil.rmtree, folder, True)
    return _FOLDER[0]


def _stale(entry, now):
    match = _NAME.match(entry.name)
    if match:
        return start_time(int(match[1])) != int(match[2])
    if not entry.name.startswith(EXCHANGE_PREFIX):
        return False
    graders = {int(m[1]) for m in map(_SOCKET.match, os.listdir(entry.path)) if m}
    if graders:
        return all(start_time(pid) is None for pid in graders)
    return now - entry.stat(follow_symlinks=False).st_mtime > STALE_HOURS * 3600


def sweep(folder: str | Path | None = None, now: float | None = None) -> list[Path]:
    """Remove stale grading folders (see the module's docstring) from ``folder``
    (default: the system's temporary folder); returns the paths removed."""
    folder = Path(folder or tempfile.gettempdir())
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        try:
            stale = entry.is_dir(follow_symlinks=False) and _stale(entry, now)
        except OSError:  # removed meanwhile by its owner
            continue
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed
