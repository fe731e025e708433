"""Start a program under resource limits: ``python -m handnet.course.limited --memory-mb
4096 --cpu-seconds 900 --file-mb 100 --processes 256 -- program args...``.

The grading kernel is started through this launcher, so a student's code cannot take all
the memory or CPU time of the grading machine: past a limit the kernel is killed (or a
MemoryError is raised), and the grader reports it.
"""

import argparse
import os
import resource
import signal
import sys


def apply_limits(memory_mb=None, cpu_seconds=None, file_mb=None, processes=None):
    """Set this process's address-space, CPU-time, file-size and process-count limits
    (soft = hard). The process count is per user: it holds for an unprivileged user only
    (the sandbox runs the kernel as ``nobody``), never for root."""
    mb = 1024 * 1024
    for limit, value in ((resource.RLIMIT_AS, memory_mb and memory_mb * mb),
                         (resource.RLIMIT_CPU, cpu_seconds),
                         (resource.RLIMIT_FSIZE, file_mb and file_mb * mb),
                         (resource.RLIMIT_NPROC, processes)):
        if value:
            resource.setrlimit(limit, (int(value), int(value)))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        sys.exit("usage: python -m handnet.course.limited [limits] -- program args...")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="handnet.course.limited")
    parser.add_argument("--memory-mb", type=int)
    parser.add_argument("--cpu-seconds", type=int)
    parser.add_argument("--file-mb", type=int)
    parser.add_argument("--processes", type=int)
    parser.add_argument("--interrupts", choices=("ignore", "default"),
                        help="SIGINT for the program: ignored (the sandbox's own processes, "
                        "which must survive the kernel's interrupt) or the default again")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    apply_limits(args.memory_mb, args.cpu_seconds, args.file_mb, args.processes)
    if args.interrupts:
        signal.signal(signal.SIGINT, signal.SIG_IGN if args.interrupts == "ignore"
                      else signal.SIG_DFL)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
