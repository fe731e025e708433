"""Run commands at the same time, each line of their output printed as it comes with the
command's name in front, and exit with the first failing command's status (0 if none
failed). `make test` runs its two halves of the heavy tests this way.

    python scripts/side_by_side.py NAME "COMMAND" [NAME "COMMAND" ...]

Each COMMAND is split like a shell's words (shlex), not run by a shell.
"""

import shlex
import subprocess
import sys
import threading


def relay(name: str, process: subprocess.Popen, lock: threading.Lock) -> None:
    """Print each line ``process`` writes, as ``[name] line``, until it closes its output."""
    for line in process.stdout:
        with lock:
            sys.stdout.write(f"[{name}] {line}")
            sys.stdout.flush()


def main(argv: list[str]) -> int:
    if not argv or len(argv) % 2:
        sys.exit(__doc__)
    pairs = list(zip(argv[::2], argv[1::2], strict=True))
    lock = threading.Lock()
    running = []
    for name, command in pairs:
        process = subprocess.Popen(
            shlex.split(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        thread = threading.Thread(target=relay, args=(name, process, lock))
        thread.start()
        running.append((name, process, thread))
    statuses = []
    for name, process, thread in running:
        thread.join()
        status = process.wait()
        print(f"[{name}] exit status {status}", flush=True)
        statuses.append(status)
    return next((s for s in statuses if s), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
