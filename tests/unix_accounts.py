"""Real Unix accounts for the tests that play a course's people on one machine (run as
root): made with ``useradd``, commands run as them with ``runuser``, removed afterwards.
Used by tests/course/test_exchange.py and tests/browser/courseserver.py (test_hub.py,
test_server_audit.py).
"""

import json
import os
import pwd
import signal
import stat
import subprocess
from pathlib import Path

# Run as another account: which of the paths on stdin (a JSON list) it can read or list.
_TRY_READING = """
import json, os, stat, sys
readable = []
for path in json.load(sys.stdin):
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            os.listdir(path)
        elif stat.S_ISREG(mode):
            with open(path, "rb") as f:
                f.read(1)
        else:
            continue  # a socket or a pipe holds nothing to read
        readable.append(path)
    except OSError:
        pass
json.dump(readable, sys.stdout)
"""


def others_can_enter(path):
    """Whether every folder above ``path`` lets other accounts through (o+x)."""
    path = Path(path).resolve()
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents])


def others_can_read(path):
    """Whether other accounts can list ``path`` and pass through every folder above it."""
    path = Path(path).resolve()
    return bool(os.stat(path).st_mode & stat.S_IROTH) and others_can_enter(path)


class Accounts:
    """The accounts (and groups) made for a test, and running commands as them."""

    def __init__(self, base, exchange):
        self.base, self.exchange = base, exchange
        self.made, self.groups = [], []

    def add_group(self, name):
        subprocess.run(["groupadd", name], check=True, capture_output=True)
        self.groups.append(name)
        return name

    def add(self, name, groups=(), password=None):
        """Make the account ``name`` with a home, in the supplementary ``groups``, with
        ``password`` (for a PAM login) if given; returns its home."""
        command = ["useradd", "--create-home", "--shell", "/bin/sh", name]
        if groups:
            command[1:1] = ["--groups", ",".join(groups)]
        subprocess.run(command, check=True, capture_output=True)
        self.made.append(name)
        if password is not None:
            subprocess.run(
                ["chpasswd"],
                input=f"{name}:{password}\n",
                text=True,
                check=True,
                capture_output=True,
            )
        return Path(pwd.getpwnam(name).pw_dir)

    def adopt(self, name, groups=()):
        """Remove the account ``name`` and the ``groups``, made by what the test ran,
        with the test's own."""
        self.made.append(name)
        self.groups += list(groups)

    def run(self, user, command, cwd, venv_bin, check=True, **extra):
        """``command`` as ``user`` in ``cwd``, with a clean environment naming the
        exchange and ``venv_bin`` first on PATH (None: a plain login's PATH); returns the
        CompletedProcess (stdout and stderr together)."""
        home = pwd.getpwnam(user).pw_dir
        env = {
            "HOME": home,
            "USER": user,
            "LOGNAME": user,
            "LANG": "C.UTF-8",
            "PATH": "/usr/bin:/bin" if venv_bin is None else f"{venv_bin}:/usr/bin:/bin",
            "HANDNET_EXCHANGE": str(self.exchange),
            "PYTHONHASHSEED": "0",
            "OPENBLAS_NUM_THREADS": "1",
            **extra,
        }
        result = subprocess.run(
            [
                "runuser",
                "-u",
                user,
                "--",
                "env",
                "-i",
                *(f"{k}={v}" for k, v in env.items()),
                *command,
            ],
            check=False,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
        )
        if check:
            assert result.returncode == 0, f"{user}: {' '.join(command)}\n{result.stdout[-3000:]}"
        return result

    def readable(self, user, paths):
        """Those of ``paths`` that ``user`` can read (a file: open it and read a byte) or
        list (a folder), tried as that account."""
        result = subprocess.run(
            ["runuser", "-u", user, "--", "/usr/bin/python3", "-I", "-c", _TRY_READING],
            input=json.dumps([str(p) for p in paths]),
            capture_output=True,
            text=True,
            check=True,
            cwd="/",
            timeout=900,
        )
        return {Path(p) for p in json.loads(result.stdout)}

    def processes(self):
        """Process ids of the processes that run as one of the accounts."""
        uids = {pwd.getpwnam(name).pw_uid for name in self.made}
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and entry.stat().st_uid in uids:
                    found.append(int(entry.name))
            except FileNotFoundError:  # ended meanwhile
                pass
        return found

    def remove(self):
        """Remove the accounts (ending what still runs as them, which the test started
        through them) and the groups."""
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for name in self.made:
            subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)
        for name in self.groups:
            subprocess.run(["groupdel", name], check=False, capture_output=True)
