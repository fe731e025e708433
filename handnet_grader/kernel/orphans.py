"""What a grading kernel leaves behind ends with it.

A sandboxed kernel runs under bubblewrap, which makes the PID namespace's init and
returns as soon as the kernel has exited, before that init has: the init is left as an
orphan (a zombie once it ends, until someone waits for it). A kernel that does not stop
when asked is killed, and with it the process that started it; without the sandbox, what
the student's code started in a session of its own lives on too. Linux gives orphans to
the nearest ancestor that asked for them (a "child subreaper"), else to PID 1, which in
a container may never wait for them: measured here, every sandboxed kernel left one
zombie ``bwrap`` behind.

The grading process therefore asks for them (``adopt_orphans``) before it starts a
kernel, notes its children then (``children``), and when the kernel has stopped kills and
waits for every child that was not there before (``end_adopted``): nothing the kernel
started outlives it, not even as a zombie.
"""

import ctypes
import os
import signal
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def adopt_orphans(adopt: bool = True) -> bool:
    """Make this process the child subreaper of its descendants (Linux), or no longer
    (``adopt`` False); True if that worked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, int(adopt), 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        return False


def process_table() -> dict[int, tuple[int, str, str]]:
    """{pid: (parent pid, state, command line or ``[name]``)} of every process now (from
    /proc; zombies included, a process that ends while it is read left out)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:  # it ended while we looked
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        table[int(entry.name)] = (int(rest[1]), rest[0], command or f"[{name}]")
    return table


def descendants(pid: int, table: dict[int, tuple[int, str, str]] | None = None) -> set[int]:
    """The processes below ``pid`` in ``table`` (by default, the process table now)."""
    table = process_table() if table is None else table
    below = set()
    for other in table:
        ancestor = table[other][0]
        while ancestor not in (pid, 0, 1) and ancestor in table:
            ancestor = table[ancestor][0]
        if ancestor == pid:
            below.add(other)
    return below


def children(pid: int | None = None) -> set[int]:
    """The processes whose parent is ``pid`` (this process by default), zombies included."""
    pid = os.getpid() if pid is None else pid
    return {other for other, (parent, _, _) in process_table().items() if parent == pid}


def end_adopted(before: set[int], timeout: float = 10.0) -> list[int]:
    """Kill every child of this process that is not in ``before`` and wait for each (up
    to ``timeout`` seconds in all); the pids ended."""
    ended = sorted(children() - before)
    for pid in ended:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    waiting = list(ended)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # waited for elsewhere
                done = pid
            if done:
                waiting.remove(pid)
        if waiting:
            time.sleep(0.01)
    return ended
