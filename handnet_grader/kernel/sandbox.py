"""The grading kernel's sandbox: bubblewrap (``bwrap``) with an allow-list of folders.

Inside, the kernel sees only what a Python kernel needs, read-only: the system (``/usr``
and ``/etc``), the Python installation, the virtual environment's packages and the public
``handnet`` package. It can write only to the submission's own folder (its working
directory) and the exchange folder shared with the grader (the kernel's sockets, the
grader's verdict socket, files a check hands over), and to a private ``/tmp``. It has no
network (its own empty network namespace), its own process tree, and, when the grader
runs as root, it runs as an unprivileged user id of its own (``KernelAccount``: one per
submission being graded, leased from a range no account uses), so that the process
limit holds and counts that kernel's processes only: a fork bomb in one submission
cannot keep the submission graded beside it from starting its kernel. The course folder (the gradebook, ``source/``, other students' folders,
``handnet_ref``) and the grader's home directory are simply not there.

Without ``bwrap`` (or where it cannot make namespaces), ``sandbox_status()`` says why and
the grader warns loudly: the kernel then runs with the resource limits only, and the
verdicts are still decided outside it.
"""

import fcntl
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from typing import Self

NOBODY = 65534
# Kernel user ids: unused by any account (below 2**31, which some tools read as signed).
KERNEL_UID_BASE = 1_900_000_000
KERNEL_UID_SLOTS = 4096


class KernelAccount:
    """A user id of its own for one submission's kernels, leased across every grading
    process of the machine (a lock file per id, released when the holder ends, even by a
    crash): ``lease()`` then ``release()``, or a ``with`` block. ``uid`` is None when the
    grader is not root (the kernel then runs as the grader's user, in a user namespace)."""

    def __init__(self) -> None:
        self.uid, self._lock = None, None

    def lease(self) -> Self:
        """Take a free user id (none when the grader is not root); returns self."""
        if not drops_privileges():
            return self
        folder = os.path.join(tempfile.gettempdir(), "handnet-kernel-uids")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        start = os.getpid() % KERNEL_UID_SLOTS  # spread parallel graders over the range
        for i in range(KERNEL_UID_SLOTS):
            slot = (start + i) % KERNEL_UID_SLOTS
            fd = os.open(os.path.join(folder, f"{slot}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._lock = KERNEL_UID_BASE + slot, fd
            return self
        raise RuntimeError(f"all {KERNEL_UID_SLOTS} kernel user ids are in use")

    def release(self) -> None:
        """Give the user id back."""
        if self._lock is not None:
            os.close(self._lock)
        self.uid, self._lock = None, None

    def __enter__(self):
        return self.lease()

    def __exit__(self, *exc):
        self.release()


@functools.cache
def sandbox_status() -> tuple[bool, str]:
    """(True, "bwrap <version>") if the sandbox works here, else (False, why not)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, (
            "bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: "
            "apt-get install bubblewrap) to sandbox the grading kernels"
        )
    try:
        probe = subprocess.run(
            [
                bwrap,
                "--ro-bind",
                "/",
                "/",
                "--unshare-net",
                "--unshare-pid",
                # `true` is the namespace's init: without it, bwrap's own init would be
                # left as an orphan when bwrap returns (see orphans.py)
                "--as-pid-1",
                *_user_arguments(),
                "true",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"bwrap could not run: {e}"
    if probe.returncode != 0:
        return False, f"bwrap cannot make a sandbox here: {probe.stderr.strip()[:300]}"
    version = subprocess.run([bwrap, "--version"], capture_output=True, text=True).stdout.strip()
    return True, version or "bwrap"


def _user_arguments():
    """As root: stay root for bwrap itself (the kernel's user is dropped later);
    otherwise an unprivileged user namespace."""
    return [] if os.geteuid() == 0 else ["--unshare-user"]


def drops_privileges() -> bool:
    """Whether sandboxed kernels run as an unprivileged user (the grader is root)."""
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def _system_binds():
    args = []
    for path in ("/usr", "/etc", "/opt"):
        if os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def python_folders() -> list[str]:
    """The folders the kernel's Python needs: installation, virtual environment, the
    site-packages on its path and the public ``handnet`` package (never the course)."""
    import handnet

    folders = {
        os.path.realpath(sys.base_prefix),
        os.path.realpath(sys.prefix),
        os.path.dirname(os.path.realpath(handnet.__file__)),
    }
    for entry in sys.path:
        if entry and os.path.isdir(entry) and "site-packages" in entry:
            folders.add(os.path.realpath(entry))
    # the virtual environment's python is a link to the installation's
    folders.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(folders)


def sandbox_command(
    command: Sequence[str],
    *,
    writable: Sequence[str],
    hidden: Iterable[str] = (),
    tmp_mb: int = 256,
    uid: int | None = None,
) -> list[str]:
    """``command`` wrapped in bwrap: read-only system and Python folders, ``writable``
    folders bound read-write at the same paths, the working directory the first writable
    folder; nothing else of the machine's files, and ``hidden`` folders emptied even where
    they lie inside a bound one (``handnet_ref`` installed in site-packages); a private
    /tmp of ``tmp_mb`` MiB; run as ``uid`` (default ``nobody``) when the grader is root."""
    args = [
        shutil.which("bwrap"),
        "--die-with-parent",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--hostname",
        "grading",
        *_user_arguments(),
        *_system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(tmp_mb * 1024 * 1024),
        "--tmpfs",
        "/tmp",
    ]
    bound = python_folders()
    writable = [os.path.realpath(w) for w in writable]
    args += _traversable_parents(bound + writable)
    for folder in bound:
        args += ["--ro-bind", folder, folder]
    for folder in (os.path.realpath(h) for h in hidden):
        if any(folder.startswith(b + os.sep) for b in bound):
            args += ["--tmpfs", folder]
    for folder in writable:
        args += ["--bind", folder, folder]
    # JPY_PARENT_PID: the grader's pid means nothing in the sandbox's process tree, and
    # ipykernel would shut down at once; --die-with-parent does that job instead.
    args += [
        "--chdir",
        writable[0],
        "--setenv",
        "HOME",
        "/tmp",
        "--setenv",
        "TMPDIR",
        "/tmp",
        "--setenv",
        "JPY_PARENT_PID",
        "1",
        "--",
    ]
    if drops_privileges():
        uid = NOBODY if uid is None else uid
        args += [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            "--",
        ]
    return args + list(command)


def _chown_tree(folders, uid, gid):
    for folder in folders:
        if os.path.isfile(folder):
            os.lchown(folder, uid, gid)
        if not os.path.isdir(folder):
            continue
        for root, dirs, files in os.walk(folder):
            for name in [root] + [os.path.join(root, f) for f in dirs + files]:
                try:
                    os.lchown(name, uid, gid)
                except FileNotFoundError:
                    pass


def _traversable_parents(folders):
    """``--dir`` arguments that make the sandbox's copies of the folders' parents
    traversable (bwrap makes the parents of a bound folder 0700, which would shut the
    unprivileged kernel out of a Python installed under /root/.pyenv). Only the path is
    exposed, not the parents' other contents."""
    args, seen = [], {"/tmp"}
    for folder in folders:
        parts = folder.strip(os.sep).split(os.sep)[:-1]
        for i in range(1, len(parts) + 1):
            parent = os.sep + os.path.join(*parts[:i])
            if parent not in seen:
                seen.add(parent)
                args += ["--perms", "0711", "--dir", parent]
    return args


def give_to_sandbox(*folders: str, uid: int | None = None) -> None:
    """Make ``folders`` writable by the sandboxed kernel (owned by its ``uid``, default
    ``nobody``, when the grader is root)."""
    if drops_privileges():
        uid = NOBODY if uid is None else uid
        _chown_tree(folders, uid, uid)


def take_back(*folders: str) -> None:
    """Everything under ``folders`` owned by the grader again (what the kernel made too)."""
    if drops_privileges():
        _chown_tree(folders, os.geteuid(), os.getegid())
